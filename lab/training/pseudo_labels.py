"""Teacher labels for classes a real dataset does not label.

The real scooter photos we mix into training label only their vehicles: the people in them are
unlabelled, which would teach the student that real people are background. A COCO teacher (e.g.
YOLOX-Nano) adds ``person`` boxes to those images before training.

Usage::

    python -m lab.training.pseudo_labels DATASET --teacher yolox_nano.onnx \
        --labels coco80.txt --take person=person [--prefix real_] [--confidence 0.45]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from lab.synth.yolo_labels import read_yolo, yolo_line
from vision.detector import OnnxDetector, load_detector
from vision.kinds import KIND_NAMES


@dataclass(frozen=True)
class PseudoLabelCounts:
    images: int
    boxes_added: int


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """IoU of one xyxy box (4,) against (N, 4) boxes."""
    x1 = np.maximum(box[0], others[:, 0])
    y1 = np.maximum(box[1], others[:, 1])
    x2 = np.minimum(box[2], others[:, 2])
    y2 = np.minimum(box[3], others[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return np.asarray(inter / np.maximum(area + areas - inter, 1e-9))


def pseudo_label_image(
    image_path: Path, label_path: Path, teacher: OnnxDetector, take: dict[str, int]
) -> int:
    """Append teacher boxes of the ``take`` classes not already labelled; returns boxes added."""
    image = cv2.imread(str(image_path))
    if image is None:
        return 0
    h, w = image.shape[:2]
    found = teacher.detect([np.asarray(image, np.uint8)])[0]
    existing = read_yolo(label_path, 1, 1)
    lines = []
    for xyxy, label in zip(found.xyxy, found.labels, strict=True):
        if label not in take:
            continue
        norm = xyxy / np.array([w, h, w, h], np.float32)
        same = np.array([b for c, b in existing if c == take[label]]).reshape(-1, 4)
        if len(same) and _iou(norm, same).max() > 0.5:
            continue
        lines.append(yolo_line(take[label], norm, 1, 1))
    if lines:
        with label_path.open("a") as f:
            f.writelines(lines)
    return len(lines)


def pseudo_label_dataset(
    dataset: Path, teacher: OnnxDetector, take: dict[str, int], prefix: str, splits: tuple[str, ...]
) -> PseudoLabelCounts:
    images = [
        p
        for split in splits
        for p in sorted((dataset / "images" / split).glob(f"{prefix}*"))
        if p.suffix.lower() in (".jpg", ".jpeg", ".png")
    ]
    added = 0
    for image in tqdm(images, desc="pseudo-label", unit="img"):
        label = dataset / "labels" / image.parent.name / f"{image.stem}.txt"
        added += pseudo_label_image(image, label, teacher, take)
    return PseudoLabelCounts(len(images), added)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dataset", type=Path)
    p.add_argument("--teacher", type=Path, required=True)
    p.add_argument("--labels", type=Path, default=None)
    p.add_argument("--take", nargs="+", default=["person=person"], help="TEACHER_CLASS=OUR_KIND")
    p.add_argument("--prefix", default="real_")
    p.add_argument("--splits", nargs="+", default=["train", "val_real"])
    p.add_argument("--confidence", type=float, default=0.45)
    args = p.parse_args(argv)
    take = {}
    for item in args.take:
        src, _, dst = item.partition("=")
        if dst not in KIND_NAMES:
            print(f"--take {item}: {dst!r} is not one of {KIND_NAMES}", file=sys.stderr)
            return 2
        take[src] = KIND_NAMES.index(dst)
    teacher = load_detector(args.teacher, labels=args.labels, confidence=args.confidence)
    counts = pseudo_label_dataset(args.dataset, teacher, take, args.prefix, tuple(args.splits))
    print(f"pseudo-labelled {counts.images} images: {counts.boxes_added} boxes added")
    return 0


if __name__ == "__main__":
    sys.exit(main())
