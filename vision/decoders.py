"""Raw model outputs -> scored boxes in model input pixels, one :class:`Candidates` per image.

Layouts:
    Ultralytics: ``[batch, 4 + nc, anchors]``: cx, cy, w, h in input pixels, then class scores.
    Ultralytics with NMS in the graph (``nms=True`` / end-to-end exports):
        ``[batch, max_det, 6]``: x1, y1, x2, y2 in input pixels, score, class id.
    YOLOX: ``[batch, anchors, 5 + nc]`` raw: x, y, w, h offsets on the stride 8/16/32 grids,
        objectness, class scores; score = objectness * class score.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from vision.letterbox import InputConvention, Size

YOLOX_STRIDES = (8, 16, 32)
_MAX_LOG_SIZE = 20.0  # exp() limit for YOLOX sizes: far beyond any frame, short of overflow


class Layout(StrEnum):
    """Which decoder a model's output needs."""

    ULTRALYTICS = "ultralytics"
    ULTRALYTICS_NMS = "ultralytics_nms"
    YOLOX = "yolox"

    @property
    def input_convention(self) -> InputConvention:
        """The preprocessing the exporter of this layout expects."""
        if self is Layout.YOLOX:
            return InputConvention.yolox()
        return InputConvention.ultralytics()


@dataclass(frozen=True, eq=False)
class Candidates:
    """Scored boxes of one image above the confidence threshold, before NMS.

    Attributes:
        xyxy: (N, 4) float32 corners in model input pixels.
        score: (N,) float32 confidences.
        class_id: (N,) int32 model class indexes.
    """

    xyxy: NDArray[np.float32]
    score: NDArray[np.float32]
    class_id: NDArray[np.int32]


@dataclass(frozen=True, eq=False)
class YoloxGrid:
    """Grid cell and stride of every YOLOX anchor, in output order.

    Attributes:
        cells: (A, 2) float32 cell column, row.
        strides: (A, 1) float32 stride in input pixels.
    """

    cells: NDArray[np.float32]
    strides: NDArray[np.float32]

    @classmethod
    def for_input(cls, input_size: Size, strides: tuple[int, ...] = YOLOX_STRIDES) -> YoloxGrid:
        cells, cell_strides = [], []
        for stride in strides:
            rows, cols = input_size.height // stride, input_size.width // stride
            row, col = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
            cells.append(np.stack([col.ravel(), row.ravel()], axis=1))
            cell_strides.append(np.full((rows * cols, 1), stride))
        return cls(
            cells=np.concatenate(cells).astype(np.float32),
            strides=np.concatenate(cell_strides).astype(np.float32),
        )

    @property
    def anchors(self) -> int:
        return len(self.cells)


def decode_ultralytics(output: NDArray[np.float32], confidence: float) -> list[Candidates]:
    """(B, 4 + nc, A) Ultralytics output -> candidates per image."""
    results = []
    for image in output:
        scores = image[4:]
        class_id = scores.argmax(axis=0)
        best = scores[class_id, np.arange(scores.shape[1])]
        kept = np.flatnonzero(best >= confidence)
        cx, cy, w, h = image[:4, kept]
        xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        results.append(_candidates(xyxy, best[kept], class_id[kept]))
    return results


def decode_ultralytics_nms(output: NDArray[np.float32], confidence: float) -> list[Candidates]:
    """(B, max_det, 6) output of an export with NMS inside -> candidates per image."""
    results = []
    for image in output:
        kept = image[image[:, 4] >= confidence]
        results.append(_candidates(kept[:, :4], kept[:, 4], kept[:, 5].astype(np.int32)))
    return results


def decode_yolox(
    output: NDArray[np.float32], grid: YoloxGrid, confidence: float
) -> list[Candidates]:
    """(B, A, 5 + nc) raw YOLOX output -> candidates per image."""
    results = []
    for image in output:
        scores = image[:, 4:5] * image[:, 5:]
        class_id = scores.argmax(axis=1)
        best = scores[np.arange(len(scores)), class_id]
        kept = np.flatnonzero(best >= confidence)
        stride = grid.strides[kept]
        centre = (image[kept, :2] + grid.cells[kept]) * stride
        size = np.exp(np.minimum(image[kept, 2:4], _MAX_LOG_SIZE)) * stride
        xyxy = np.concatenate([centre - size / 2, centre + size / 2], axis=1)
        results.append(_candidates(xyxy, best[kept], class_id[kept]))
    return results


def _candidates(
    xyxy: NDArray[np.floating], score: NDArray[np.floating], class_id: NDArray[np.integer]
) -> Candidates:
    return Candidates(
        xyxy=np.asarray(xyxy, np.float32).reshape(-1, 4),
        score=np.asarray(score, np.float32),
        class_id=np.asarray(class_id, np.int32),
    )
