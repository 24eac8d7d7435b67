"""Class-wise non-maximum suppression, vectorised over the candidates."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

MAX_CANDIDATES = 30_000
"""Candidates kept (best first) before NMS, bounding its cost on a degenerate output."""


def classwise_nms(
    xyxy: NDArray[np.float32],
    scores: NDArray[np.float32],
    class_id: NDArray[np.int32],
    iou_threshold: float,
    max_detections: int,
) -> NDArray[np.intp]:
    """Indices of the boxes that survive greedy NMS within each class, best score first.

    Args:
        xyxy: (N, 4) boxes, corners x1, y1, x2, y2 (any pixel unit).
        scores: (N,) confidences.
        class_id: (N,) classes; boxes of different classes never suppress each other.
        iou_threshold: a box is dropped when its IoU with a better box of its class exceeds this.
        max_detections: at most this many indices are returned.
    """
    if len(scores) == 0 or max_detections <= 0:
        return np.zeros(0, np.intp)
    order = np.argsort(-scores, kind="stable")[:MAX_CANDIDATES]
    boxes = _separate_classes(xyxy.astype(np.float64), class_id)
    areas = np.maximum(boxes[:, 2] - boxes[:, 0], 0) * np.maximum(boxes[:, 3] - boxes[:, 1], 0)
    keep: list[int] = []
    while order.size and len(keep) < max_detections:
        best, rest = order[0], order[1:]
        keep.append(int(best))
        top_left = np.maximum(boxes[best, :2], boxes[rest, :2])
        bottom_right = np.minimum(boxes[best, 2:], boxes[rest, 2:])
        inter = np.prod(np.maximum(bottom_right - top_left, 0), axis=1)
        union = areas[best] + areas[rest] - inter
        iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        order = rest[iou <= iou_threshold]
    return np.array(keep, np.intp)


def _separate_classes(
    boxes: NDArray[np.float64], class_id: NDArray[np.int32]
) -> NDArray[np.float64]:
    """Shift each class's boxes into its own region so one NMS pass works class by class."""
    span = float(boxes.max() - boxes.min()) + 1.0
    shifted: NDArray[np.float64] = boxes + (class_id.astype(np.float64) * span)[:, None]
    return shifted
