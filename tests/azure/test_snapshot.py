"""The slim code snapshot an Azure trial runs: only the trainer's modules, and enough to run alone.

"Alone" is checked for real: ``python -S`` skips site processing, so the editable install's
finder (which would quietly serve any missing module from the main checkout) is not active;
only the snapshot and the venv's site-packages are on the path.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from core.azure.snapshot import CodeSnapshot, build_code_snapshot, snapshot_modules, snapshot_summary
from core.data.samples import heart_sample

# The trainer is ~22 modules of ~5 KB (111 KB measured when this was written); the whole
# ``core`` package is ~830 KB. 200 KB leaves room for the trainer to grow, and fails as soon
# as a large part of the app (core.azure, core.engine, the dashboard) is pulled in.
MAX_BYTES = 200 * 1024


def _run_alone(
    snapshot: Path, args: list[str], mlflow_uri: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -S -m core.train <args>`` in the snapshot folder (as Azure runs it in the code
    folder), with only the snapshot and site-packages importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MLFLOW_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(snapshot), *site.getsitepackages()])
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # the snapshot stays as built
    if mlflow_uri:
        env["MLFLOW_TRACKING_URI"] = mlflow_uri
    return subprocess.run(
        [sys.executable, "-S", "-m", "core.train", *args],
        cwd=snapshot,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> CodeSnapshot:
    return build_code_snapshot(tmp_path_factory.mktemp("snapshot") / "code")


def test_the_snapshot_holds_the_trainer_and_nothing_of_the_app(snapshot: CodeSnapshot) -> None:
    print(f"\ncode snapshot: {snapshot_summary(snapshot)} ({snapshot.size_bytes} bytes)")  # noqa: T201
    files = set(snapshot.files)
    assert {
        "core/__init__.py",
        "core/train/__init__.py",
        "core/train/__main__.py",
        "core/train/cli.py",
    } <= files
    assert "core/train/tracking.py" in files, "imported lazily inside a function, still found"
    assert "core/train/predictions.py" in files and "core/mlflow_layout.py" in files
    for name in files:
        assert name.startswith("core/") and name.endswith(".py"), name
        assert not name.startswith(("dashboard/", "tests/", "benchmarks/", "pages/")), name
        assert not name.startswith(("core/azure/", "core/engine/", "core/trials/")), (
            f"not the trainer's: {name}"
        )
    for folder in {str(Path(name).parent) for name in files}:
        assert f"{folder}/__init__.py" in files, f"package {folder} lacks its __init__.py"
    on_disk = sorted(p.relative_to(snapshot.path).as_posix() for p in snapshot.path.rglob("*") if p.is_file())
    assert on_disk == list(snapshot.files), "exactly the listed files: no __pycache__"
    assert list(snapshot.files) == sorted(snapshot.files)
    assert snapshot.size_bytes == sum((snapshot.path / n).stat().st_size for n in files)
    assert snapshot.size_bytes < MAX_BYTES
    assert snapshot_summary(snapshot) == f"{len(files)} files, {round(snapshot.size_bytes / 1024)} KB"


def test_the_snapshot_is_deterministic(snapshot: CodeSnapshot, tmp_path: Path) -> None:
    again = build_code_snapshot(tmp_path / "again")
    assert again.files == snapshot.files and again.size_bytes == snapshot.size_bytes
    for name in again.files:
        assert (again.path / name).read_bytes() == (snapshot.path / name).read_bytes()
    with pytest.raises(ValueError, match="not empty"):
        build_code_snapshot(tmp_path / "again")


def _tiny_csv(folder: Path) -> Path:
    folder.mkdir()
    heart_sample(60, seed=5).to_csv(folder / "train.csv", index=False)
    return folder / "train.csv"


def _train_args(csv: Path) -> list[str]:
    return ["--data", str(csv), "--family", "logistic_regression", "--folds", "2", "--no-model", "--C", "0.5"]


def test_the_snapshot_runs_on_its_own(snapshot: CodeSnapshot, tmp_path: Path) -> None:
    helped = _run_alone(snapshot.path, ["--help"])
    assert helped.returncode == 0, helped.stderr
    assert "usage: python -m core.train" in helped.stdout
    where = subprocess.run(  # the same path setup imports core from the snapshot, nowhere else
        [sys.executable, "-S", "-c", "import core; print(core.__file__)"],
        cwd=snapshot.path,
        env={"PYTHONPATH": os.pathsep.join([str(snapshot.path), *site.getsitepackages()])},
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.strip() == str(snapshot.path / "core" / "__init__.py")

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    done = _run_alone(snapshot.path, _train_args(_tiny_csv(tmp_path / "data")), mlflow_uri=uri)
    assert done.returncode == 0, done.stderr
    assert '"accuracy_mean"' in done.stdout

    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    (run,) = client.search_runs(["0"])
    assert run.info.status == "FINISHED" and run.data.params == {"C": "0.5"}
    assert [a.path for a in client.list_artifacts(run.info.run_id)] == ["oof_predictions.csv"]


def test_a_module_missing_from_the_snapshot_makes_the_run_fail(
    snapshot: CodeSnapshot, tmp_path: Path
) -> None:
    """The check above can fail: without the lazily imported tracking module the command still
    prints its help, but a real run stops."""
    broken = tmp_path / "broken"
    shutil.copytree(snapshot.path, broken)
    (broken / "core" / "train" / "tracking.py").unlink()
    assert _run_alone(broken, ["--help"]).returncode == 0
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    done = _run_alone(broken, _train_args(_tiny_csv(tmp_path / "data")), mlflow_uri=uri)
    assert done.returncode != 0
    assert "cannot import name 'tracking' from 'core.train'" in done.stderr, done.stderr


def test_import_analysis_follows_relative_lazy_and_from_imports(tmp_path: Path) -> None:
    """On a small package tree: what runs is found, what never runs is not."""
    files = {
        "core/__init__.py": "",
        "core/train/__init__.py": "",
        "core/train/__main__.py": "from .cli import main\nmain()\n",
        "core/train/cli.py": (
            "from typing import TYPE_CHECKING\nimport numpy\nfrom . import helpers\n"
            "from ..data import load\n"
            "if TYPE_CHECKING:\n    from core.heavy import Thing\nelse:\n    import core.light\n"
            "def main():\n    from core.train.lazy import go\n    import core.deep.module\n    go()\n"
        ),
        "core/train/helpers.py": "from .. import errors\n",
        "core/train/lazy.py": "",
        "core/data/__init__.py": "",
        "core/data/load.py": "",
        "core/errors.py": "",
        "core/light.py": "",
        "core/heavy.py": "",
        "core/unused.py": "",
        "core/deep/__init__.py": "",
        "core/deep/module.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = snapshot_modules(tmp_path)
    assert sorted(found) == [
        "core",
        "core.data",
        "core.data.load",
        "core.deep",
        "core.deep.module",
        "core.errors",
        "core.light",
        "core.train",
        "core.train.__main__",
        "core.train.cli",
        "core.train.helpers",
        "core.train.lazy",
    ]
    assert found["core.deep"] == tmp_path / "core" / "deep" / "__init__.py"
