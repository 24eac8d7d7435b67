"""Read an Ultralytics ``data.yaml`` and pin every path in it.

Ultralytics resolves a relative ``path:`` against the current folder (or its own datasets
folder), not against the YAML file, so ``path: .`` silently points elsewhere when training
starts from another folder. :func:`resolve_dataset` resolves against the YAML file instead and
writes a copy with absolute paths for the trainer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lab.training.errors import DatasetError

RESOLVED_NAME = "data.resolved.yaml"


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset with absolute paths.

    Attributes:
        source: the data.yaml given.
        root: the dataset root folder.
        names: class names, index = class id.
        train: image folders, list files or images used for training.
        val: the same for validation.
    """

    source: Path
    root: Path
    names: tuple[str, ...]
    train: tuple[Path, ...]
    val: tuple[Path, ...]

    def as_yaml_dict(self) -> dict[str, Any]:
        """The dataset in Ultralytics' data.yaml form, all paths absolute."""
        return {
            "path": str(self.root),
            "train": [str(p) for p in self.train],
            "val": [str(p) for p in self.val],
            "nc": len(self.names),
            "names": dict(enumerate(self.names)),
        }


def resolve_dataset(data_yaml: Path) -> DatasetSpec:
    """Parse ``data_yaml``; relative paths are taken from the YAML file's folder."""
    raw = _load(data_yaml)
    base = data_yaml.resolve().parent
    root = (base / str(raw.get("path") or ".")).resolve()
    names = parse_names(raw.get("names"), data_yaml)
    train = _split_paths(raw, "train", root, data_yaml)
    val = _split_paths(raw, "val", root, data_yaml)
    return DatasetSpec(source=data_yaml, root=root, names=names, train=train, val=val)


def write_resolved(spec: DatasetSpec, folder: Path) -> Path:
    """Write ``spec`` as ``folder/data.resolved.yaml``; returns the file."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / RESOLVED_NAME
    target.write_text(yaml.safe_dump(spec.as_yaml_dict(), sort_keys=False), encoding="utf-8")
    return target


def parse_names(value: object, source: Path) -> tuple[str, ...]:
    """Class names from a data.yaml ``names`` entry: a list, or a dict ``{0: name, ...}``."""
    if isinstance(value, dict):
        if sorted(value) != list(range(len(value))):
            raise DatasetError(
                f"{source}: names keys must be 0..{len(value) - 1}, got {sorted(value)}"
            )
        value = [value[i] for i in range(len(value))]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise DatasetError(f"{source}: 'names' must be a non-empty list or dict of class names")
    if len(set(value)) != len(value):
        raise DatasetError(f"{source}: class names repeat: {value}")
    return tuple(value)


def _load(data_yaml: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(data_yaml.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DatasetError(f"cannot read {data_yaml}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise DatasetError(f"{data_yaml} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise DatasetError(f"{data_yaml}: expected a mapping with path/train/val/names")
    return raw


def _split_paths(raw: dict[str, Any], key: str, root: Path, source: Path) -> tuple[Path, ...]:
    value = raw.get(key)
    entries = [value] if isinstance(value, str) else value
    if not isinstance(entries, list) or not entries or not all(isinstance(e, str) for e in entries):
        raise DatasetError(f"{source}: '{key}' must name a folder, list file or list of them")
    paths = tuple((root / entry).resolve() for entry in entries)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise DatasetError(f"{source}: {key} paths do not exist: {', '.join(missing)}")
    return paths
