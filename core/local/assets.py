"""Versioned data assets of a local workspace: what Azure ML calls ``Data`` (uri_file).

Each version is a folder ``data_assets/<name>/<version>/`` holding ``asset.json`` and the
files registered with it. A version never changes once written.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

from core.errors import NotFoundError
from core.resources import DataAsset


class AssetFolder:
    def __init__(self, root: Path) -> None:
        self.root = root

    def versions(self, name: str) -> list[DataAsset]:
        folder = self.root / name
        if not folder.is_dir():
            return []
        found = [self._read(p / "asset.json") for p in folder.iterdir() if (p / "asset.json").is_file()]
        return sorted(found, key=lambda a: a.version)

    def all_latest(self) -> list[DataAsset]:
        if not self.root.is_dir():
            return []
        latest = [self.versions(p.name)[-1] for p in sorted(self.root.iterdir()) if self.versions(p.name)]
        return sorted(latest, key=lambda a: a.created_at)

    def next_version(self, name: str) -> int:
        versions = self.versions(name)
        return versions[-1].version + 1 if versions else 1

    def write(self, asset: DataAsset, files: dict[str, bytes]) -> DataAsset:
        folder = self.root / asset.name / str(asset.version)
        staging = folder.with_name(f".{asset.version}.staging")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for filename, data in files.items():
            (staging / filename).write_bytes(data)
        (staging / "asset.json").write_text(json.dumps(asdict(asset), indent=2), encoding="utf-8")
        staging.rename(folder)  # a version appears whole or not at all
        return asset

    def file(self, name: str, version: int, filename: str) -> Path:
        path = self.root / name / str(version) / filename
        if not path.is_file():
            raise NotFoundError(
                f"Data asset '{name}' version {version} has no file '{filename}'.",
                "Register the dataset again on the Data page.",
            )
        return path

    @staticmethod
    def _read(path: Path) -> DataAsset:
        return DataAsset(**json.loads(path.read_text(encoding="utf-8")))
