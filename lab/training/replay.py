"""Fine-tuning on a site's own data without forgetting the rest: mix a slice of the base
training data (what the bundled model learnt from) into the site's training images.

The mix is a list file of absolute image paths (Ultralytics finds each label by replacing
``/images/`` with ``/labels/``); validation stays the site's own.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import yaml

from lab.training.dataset import DatasetSpec, resolve_dataset
from lab.training.errors import DatasetError
from lab.training.quantize import IMAGE_SUFFIXES

MIXED_NAME = "data.mixed.yaml"


def replay_spec(replay: Path) -> DatasetSpec:
    """The base dataset to replay: a data.yaml, or a folder holding one."""
    data_yaml = replay / "data.yaml" if replay.is_dir() else replay
    if not data_yaml.is_file():
        raise DatasetError(f"--replay {replay}: no data.yaml there (give a dataset's data.yaml)")
    return resolve_dataset(data_yaml)


def train_images(spec: DatasetSpec) -> list[Path]:
    """Every training image of ``spec`` (folders searched recursively, list files read)."""
    found: list[Path] = []
    for entry in spec.train:
        if entry.is_dir():
            found += sorted(p for p in entry.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        elif entry.suffix == ".txt":
            lines = entry.read_text(encoding="utf-8").split()
            found += [(entry.parent / line).resolve() for line in lines]
        else:
            found.append(entry)
    return found


def mix_replay(site: DatasetSpec, base: DatasetSpec, share: float, seed: int, out: Path) -> Path:
    """Write ``out/data.mixed.yaml``: the site's training images plus ``share`` times as many
    of the base's, drawn at random with ``seed`` (all of them when it has fewer)."""
    if base.names != site.names:
        raise DatasetError(
            f"--replay {base.source}: classes {list(base.names)} differ from the site's "
            f"{list(site.names)} ({site.source})"
        )
    own = train_images(site)
    pool = train_images(base)
    if not own:
        raise DatasetError(f"{site.source}: no training images")
    if not pool:
        raise DatasetError(f"--replay {base.source}: no training images")
    count = min(len(pool), math.ceil(share * len(own)))
    replayed = random.Random(seed).sample(pool, count)
    out.mkdir(parents=True, exist_ok=True)
    listing = out / "train.mixed.txt"
    listing.write_text("".join(f"{p}\n" for p in [*own, *replayed]), encoding="utf-8")
    mixed = {**site.as_yaml_dict(), "train": [str(listing)]}
    target = out / MIXED_NAME
    target.write_text(yaml.safe_dump(mixed, sort_keys=False), encoding="utf-8")
    return target
