"""Whole, unoccluded object crops cut from the TRAINING split of a real YOLO dataset.

Only ``train`` images are read (``ROOT/train/images`` or ``ROOT/images/train``): ``valid`` and
``test`` stay held out for evaluation. A box makes a crop only if it is tall enough, clear of the
image border (a cut-off object would paste as a fragment) and not covered much by any other
labelled box. Other labelled objects that lie mostly inside the crop travel with it as labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from lab.synth.compose import Label
from lab.synth.errors import DatasetSourceError
from lab.synth.mix import read_class_names
from lab.synth.yolo_labels import read_yolo
from vision.kinds import KIND_NAMES

_IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
_BORDER_PX = 2.0
_MAX_COVERED = 0.25  # of a box's area, by any one other labelled box
_INSIDE_TO_LABEL = 0.6  # share of another object's area inside the crop to label it there
_FRAGMENT = 0.15  # more than this but less than _INSIDE_TO_LABEL inside: an unlabelled fragment


@dataclass(frozen=True)
class Crop:
    """``region`` (x0, y0, x1, y1) px of ``path``: the object plus a margin. ``labels`` are
    relative to the region; the first is the object the crop was cut for."""

    path: Path
    region: tuple[int, int, int, int]
    labels: tuple[Label, ...]

    def read(self) -> np.ndarray:
        """The region's pixels, (h, w, 3) uint8 BGR."""
        image = cv2.imread(str(self.path), cv2.IMREAD_COLOR)
        if image is None:
            raise DatasetSourceError(f"{self.path}: not a readable image")
        x0, y0, x1, y1 = self.region
        return np.ascontiguousarray(image[y0:y1, x0:x1])


def train_folders(root: Path) -> tuple[Path, Path]:
    """(images, labels) of ``root``'s training split, in either Roboflow or Ultralytics layout."""
    for images, labels in (
        (root / "train" / "images", root / "train" / "labels"),
        (root / "images" / "train", root / "labels" / "train"),
    ):
        if images.is_dir():
            return images, labels
    raise DatasetSourceError(f"{root}: no train/images or images/train folder")


def _inter(a: np.ndarray, b: np.ndarray) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _area(b: np.ndarray) -> float:
    return max(1e-6, float((b[2] - b[0]) * (b[3] - b[1])))


def _crop_for(
    k: int, boxes: list[tuple[int, np.ndarray]], table: dict[int, int], w: int, h: int, path: Path
) -> Crop | None:
    box = boxes[k][1]
    others = [b for j, b in enumerate(boxes) if j != k]
    if any(_inter(box, b) / _area(box) > _MAX_COVERED for _, b in others):
        return None
    pad = 0.06 * max(box[2] - box[0], box[3] - box[1]) + 3
    region = np.array(
        [max(0, box[0] - pad), max(0, box[1] - pad), min(w, box[2] + pad), min(h, box[3] + pad)]
    ).round()
    labels = [Label(table[boxes[k][0]], _relative(box, region))]
    for j, (c, b) in enumerate(boxes):
        inside = _inter(b, region) / _area(b)
        if j == k or c not in table or inside <= _FRAGMENT:
            continue
        if inside < _INSIDE_TO_LABEL:
            return None
        labels.append(Label(table[c], _relative(b, region)))
    x0, y0, x1, y1 = (int(v) for v in region)
    return Crop(path, (x0, y0, x1, y1), tuple(labels))


def _relative(box: np.ndarray, region: np.ndarray) -> tuple[float, float, float, float]:
    rw, rh = region[2] - region[0], region[3] - region[1]
    x0, y0 = max(0.0, box[0] - region[0]), max(0.0, box[1] - region[1])
    x1, y1 = min(rw, box[2] - region[0]), min(rh, box[3] - region[1])
    return float(x0), float(y0), float(x1), float(y1)


def harvest_crops(root: Path, mapping: dict[str, str], min_height: float = 40.0) -> list[Crop]:
    """Crops of the ``mapping`` classes (source name -> our kind) from ``root``'s train split."""
    names = read_class_names(root)
    table = {i: KIND_NAMES.index(mapping[n]) for i, n in enumerate(names) if n in mapping}
    if not table:
        raise DatasetSourceError(f"{root}: none of {sorted(mapping)} among its classes {names}")
    images_dir, labels_dir = train_folders(root)
    crops = []
    for path in sorted(p for p in images_dir.iterdir() if p.suffix.lower() in _IMAGE_EXTS):
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise DatasetSourceError(f"{path}: not a readable image")
        h, w = image.shape[:2]
        boxes = read_yolo(labels_dir / f"{path.stem}.txt", w, h)
        for k, (c, box) in enumerate(boxes):
            if c not in table or box[3] - box[1] < min_height:
                continue
            if min(box[0], box[1], w - box[2], h - box[3]) < _BORDER_PX:
                continue
            crop = _crop_for(k, boxes, table, w, h, path)
            if crop is not None:
                crops.append(crop)
    return crops
