"""The one columnar detection type passed between modules."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, eq=False)
class Detections:
    """Detections of one frame, stored column-wise.

    Attributes:
        xyxy: (N, 4) float32, box corners x1, y1, x2, y2 in pixels of the source frame
            (x right, y down).
        confidence: (N,) float32 scores in [0, 1].
        class_id: (N,) int32 indexes into ``class_names``.
        class_names: the names ``class_id`` indexes (a model's classes, or our object kinds).
        tracker_id: (N,) int64 track ids, or None before tracking.
    """

    xyxy: NDArray[np.float32]
    confidence: NDArray[np.float32]
    class_id: NDArray[np.int32]
    class_names: tuple[str, ...]
    tracker_id: NDArray[np.int64] | None = field(default=None)

    def __post_init__(self) -> None:
        n = len(self.xyxy)
        if self.xyxy.shape != (n, 4):
            raise ValueError(f"xyxy must have shape (N, 4), got {self.xyxy.shape}")
        if self.confidence.shape != (n,) or self.class_id.shape != (n,):
            raise ValueError("confidence and class_id must have shape (N,) matching xyxy")
        if self.tracker_id is not None and self.tracker_id.shape != (n,):
            raise ValueError("tracker_id must have shape (N,) matching xyxy")

    @classmethod
    def empty(cls, class_names: tuple[str, ...]) -> Detections:
        """No detections (a frame that was looked at and holds nothing)."""
        return cls(
            xyxy=np.zeros((0, 4), np.float32),
            confidence=np.zeros(0, np.float32),
            class_id=np.zeros(0, np.int32),
            class_names=class_names,
        )

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index: NDArray[np.bool_] | NDArray[np.intp] | slice) -> Detections:
        """Rows selected by a boolean mask, an index array or a slice."""
        return Detections(
            xyxy=self.xyxy[index],
            confidence=self.confidence[index],
            class_id=self.class_id[index],
            class_names=self.class_names,
            tracker_id=None if self.tracker_id is None else self.tracker_id[index],
        )

    @property
    def labels(self) -> list[str]:
        """Class name of each row."""
        return [self.class_names[int(i)] for i in self.class_id]

    def with_tracker_ids(self, tracker_id: NDArray[np.int64]) -> Detections:
        """The same rows with track ids attached."""
        return Detections(self.xyxy, self.confidence, self.class_id, self.class_names, tracker_id)

    def of_class(self, name: str) -> Detections:
        """Rows whose class is ``name`` (empty when the name is unknown)."""
        if name not in self.class_names:
            return self[np.zeros(len(self), bool)]
        return self[self.class_id == self.class_names.index(name)]

    def anchors(self) -> NDArray[np.float32]:
        """(N, 2) bottom-centre points of the boxes, in pixels."""
        x = (self.xyxy[:, 0] + self.xyxy[:, 2]) / 2
        return np.stack([x, self.xyxy[:, 3]], axis=1).astype(np.float32)

    @staticmethod
    def concatenate(parts: list[Detections], class_names: tuple[str, ...]) -> Detections:
        """Rows of every part, in order. Track ids are kept only if every part has them."""
        if not parts:
            return Detections.empty(class_names)
        tracked = all(p.tracker_id is not None for p in parts)
        return Detections(
            xyxy=np.concatenate([p.xyxy for p in parts]).astype(np.float32),
            confidence=np.concatenate([p.confidence for p in parts]).astype(np.float32),
            class_id=np.concatenate([p.class_id for p in parts]).astype(np.int32),
            class_names=class_names,
            tracker_id=(
                np.concatenate([p.tracker_id for p in parts if p.tracker_id is not None])
                if tracked
                else None
            ),
        )
