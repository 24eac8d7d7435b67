"""YOLO label rows (``class cx cy w h``, normalized), read and written in one place."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def yolo_line(class_id: int, xyxy: Sequence[float], w: int, h: int) -> str:
    """One label row, newline included, for an xyxy pixel box in a ``w`` x ``h`` image."""
    x1, y1, x2, y2 = (float(v) for v in xyxy)
    return (
        f"{class_id} {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} "
        f"{(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}\n"
    )


def read_yolo(label: Path, w: int, h: int) -> list[tuple[int, np.ndarray]]:
    """(class, xyxy box in a ``w`` x ``h`` image) per row of a YOLO label file (boxes or
    polygons); a missing file has none. ``w = h = 1`` gives normalized boxes."""
    rows = []
    for line in label.read_text().splitlines() if label.is_file() else []:
        parts = line.split()
        if len(parts) < 5:
            continue
        vals = np.array([float(v) for v in parts[1:]])
        if len(vals) == 4:
            cx, cy, bw, bh = vals
            box = np.array([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2])
        else:
            xs, ys = vals[0::2], vals[1::2]
            box = np.array([xs.min(), ys.min(), xs.max(), ys.max()])
        rows.append((int(float(parts[0])), box * np.array([w, h, w, h])))
    return rows


def split_folders(dataset: Path, split: str) -> tuple[Path, Path]:
    """``dataset/images/split`` and ``dataset/labels/split``, created if missing."""
    images, labels = dataset / "images" / split, dataset / "labels" / split
    images.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    return images, labels
