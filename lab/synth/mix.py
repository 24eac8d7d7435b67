"""Mixing a real YOLO-format dataset into a synthetic one, with class names remapped."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from lab.synth.errors import DatasetSourceError
from vision.kinds import KIND_NAMES

_TRAIN_SPLITS = ("train",)
_HELD_OUT_SPLITS = ("valid", "val", "test")
_IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


@dataclass(frozen=True)
class MixCounts:
    train_images: int
    val_real_images: int
    boxes: int


def parse_mix_map(items: list[str]) -> dict[str, str]:
    """``["bike=ebike", ...]`` -> {"bike": "ebike"}; every target must be one of our kinds."""
    mapping = {}
    for item in items:
        src, sep, dst = item.partition("=")
        if not sep or not src or dst not in KIND_NAMES:
            raise DatasetSourceError(
                f"--mix-map {item!r}: expected SRC=DST with DST in {KIND_NAMES}"
            )
        mapping[src] = dst
    return mapping


def read_class_names(root: Path) -> tuple[str, ...]:
    path = root / "data.yaml"
    if not path.is_file():
        raise DatasetSourceError(f"{path}: missing")
    names = yaml.safe_load(path.read_text()).get("names")
    if isinstance(names, dict):
        return tuple(str(names[k]) for k in sorted(names))
    if isinstance(names, list):
        return tuple(str(n) for n in names)
    raise DatasetSourceError(f"{path}: no 'names' list or mapping")


def _split_dirs(root: Path, split: str) -> tuple[Path, Path] | None:
    for images, labels in (
        (root / split / "images", root / split / "labels"),
        (root / "images" / split, root / "labels" / split),
    ):
        if images.is_dir():
            return images, labels
    return None


def _convert_line(line: str, table: dict[int, int]) -> str | None:
    """A source label line (box or polygon) -> our ``class cx cy w h`` line; None if dropped."""
    parts = line.split()
    if len(parts) < 5 or int(float(parts[0])) not in table:
        return None
    vals = [float(v) for v in parts[1:]]
    if len(vals) == 4:
        cx, cy, w, h = vals
    else:  # polygon: x1 y1 x2 y2 ...
        xs, ys = vals[0::2], vals[1::2]
        cx, cy, w, h = (
            (min(xs) + max(xs)) / 2,
            (min(ys) + max(ys)) / 2,
            max(xs) - min(xs),
            max(ys) - min(ys),
        )
    return f"{table[int(float(parts[0]))]} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}"


def _copy_split(
    images: Path,
    labels: Path,
    dest_images: Path,
    dest_labels: Path,
    table: dict[int, int],
    prefix: str,
) -> tuple[int, int]:
    dest_images.mkdir(parents=True, exist_ok=True)
    dest_labels.mkdir(parents=True, exist_ok=True)
    n_images = n_boxes = 0
    for img in sorted(p for p in images.iterdir() if p.suffix.lower() in _IMAGE_EXTS):
        src_label = labels / f"{img.stem}.txt"
        lines = src_label.read_text().splitlines() if src_label.is_file() else []
        out = [c for c in (_convert_line(x, table) for x in lines) if c is not None]
        shutil.copyfile(img, dest_images / f"{prefix}{img.name}")
        (dest_labels / f"{prefix}{img.stem}.txt").write_text("".join(f"{x}\n" for x in out))
        n_images += 1
        n_boxes += len(out)
    return n_images, n_boxes


def mix_yolo(
    source: Path,
    mapping: dict[str, str],
    out: Path,
    prefix: str = "real_",
    held_out: str = "val_real",
) -> MixCounts:
    """Copy ``source``'s train split into ``out``'s train and its valid/test splits into
    ``held_out``, keeping only classes in ``mapping`` (images without them stay as negatives).
    Copied files are named ``prefix`` + the source's name."""
    names = read_class_names(source)
    table = {i: KIND_NAMES.index(mapping[n]) for i, n in enumerate(names) if n in mapping}
    if not table:
        raise DatasetSourceError(f"{source}: none of {sorted(mapping)} among its classes {names}")
    train = val = boxes = 0
    for split in (*_TRAIN_SPLITS, *_HELD_OUT_SPLITS):
        dirs = _split_dirs(source, split)
        if dirs is None:
            continue
        dest = "train" if split in _TRAIN_SPLITS else held_out
        n, b = _copy_split(
            dirs[0], dirs[1], out / "images" / dest, out / "labels" / dest, table, prefix
        )
        boxes += b
        if dest == "train":
            train += n
        else:
            val += n
    if train + val == 0:
        raise DatasetSourceError(f"{source}: no train/valid/test image folders found")
    return MixCounts(train, val, boxes)
