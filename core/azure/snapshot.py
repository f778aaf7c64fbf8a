"""The slim code snapshot an Azure trial runs: the trainer ``core.train`` and only what it imports.

Azure uploads a job's ``code`` folder as is and runs the trial command in it, so uploading the
whole repository would ship the dashboard, the tests and the benchmarks with every sweep. The
snapshot holds the modules ``python -m core.train`` imports from this repository's ``core``
package, found by reading their import statements (:mod:`ast`): top-level and lazy imports
inside functions alike (the trainer imports scikit-learn, MLflow and its own helpers lazily),
relative imports resolved; imports under ``if TYPE_CHECKING:`` are left out (they never run).
Every package's ``__init__.py`` on the way comes along (Python runs it on import). Third-party
libraries are not copied: the trial's environment provides them.
"""

from __future__ import annotations

import ast
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ENTRY_MODULES", "CodeSnapshot", "build_code_snapshot", "snapshot_modules", "snapshot_summary"]

PACKAGE = "core"
ENTRY_MODULES = ("core.train", "core.train.__main__")  # what ``python -m core.train`` runs
REPO_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the ``core`` package


@dataclass(frozen=True)
class CodeSnapshot:
    path: Path  # the folder to upload as the job's code
    files: tuple[str, ...]  # POSIX paths relative to ``path``, sorted
    size_bytes: int


def build_code_snapshot(dest: Path) -> CodeSnapshot:
    """Copy the trainer's modules into ``dest`` (created; must be empty or absent)."""
    if dest.exists() and any(dest.iterdir()):
        raise ValueError(f"the snapshot folder {dest} is not empty")
    files = tuple(sorted(_relative(REPO_ROOT, path) for path in snapshot_modules(REPO_ROOT).values()))
    size = 0
    for name in files:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO_ROOT / name, target)
        size += target.stat().st_size
    return CodeSnapshot(dest, files, size)


def snapshot_summary(snap: CodeSnapshot) -> str:
    """``"23 files, 148 KB"``, for the page."""
    count = len(snap.files)
    return f"{count} file{'s' if count != 1 else ''}, {max(1, round(snap.size_bytes / 1024))} KB"


def snapshot_modules(root: Path, entries: tuple[str, ...] = ENTRY_MODULES) -> dict[str, Path]:
    """Module name -> source file of every ``core`` module the entries import, transitively,
    with every package ``__init__.py`` on the way."""
    found: dict[str, Path] = {}
    pending = list(entries)
    while pending:
        name = pending.pop()
        if name in found:
            continue
        path = _source(root, name)
        if path is None:
            continue  # a name imported from a module (``from core.x import f``), not a module
        found[name] = path
        parents = [".".join(name.split(".")[:depth]) for depth in range(1, name.count(".") + 1)]
        pending.extend(parents)
        pending.extend(_imports(root, name, path))
    return found


def _source(root: Path, name: str) -> Path | None:
    base = root.joinpath(*name.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _imports(root: Path, name: str, path: Path) -> Iterator[str]:
    """The ``core`` modules (or candidate modules) that ``path``'s code imports when it runs."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from _ours(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(package, node.module, node.level)
            yield from _ours(base)
            for alias in node.names:  # ``from core.train import cli`` imports a module
                if alias.name != "*":
                    yield from _ours(f"{base}.{alias.name}")


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, except the bodies of ``if TYPE_CHECKING:`` (their ``else`` does run)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(package: str, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    parts = package.split(".")
    base = parts[: len(parts) - (level - 1)] if level > 1 else parts
    return ".".join([*base, *([module] if module else [])])


def _ours(name: str) -> Iterator[str]:
    if name == PACKAGE or name.startswith(f"{PACKAGE}."):
        yield name


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()
