"""Person (and bicycle) truth where a dataset has none: the COCO teacher, YOLOX-Nano from
``../shared/models`` (Apache-2.0), at score >= 0.5; a frame counts as empty only when it sees
nothing even at 0.25 (frames in between are not scored). Checked by eye on a sample."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from lab.real_check.errors import CheckSetError
from lab.real_check.sources import TruthBox
from vision.detector import OnnxDetector, load_detector
from vision.kinds import ObjectKind

TEACHER = Path("models/yolox_nano.onnx")
TEACHER_LABELS = Path("models/coco80.txt")
MIN_SCORE = 0.5
SURE_EMPTY_BELOW = 0.25  # a frame is empty only when the teacher sees nothing even at this
PEOPLE: Mapping[str, ObjectKind] = {"person": ObjectKind.PERSON}
TWO_WHEELERS: Mapping[str, ObjectKind] = {
    "motorbike": ObjectKind.EBIKE,
    "bicycle": ObjectKind.BICYCLE,
}
PEOPLE_AND_BICYCLES: Mapping[str, ObjectKind] = {
    "person": ObjectKind.PERSON,
    "bicycle": ObjectKind.BICYCLE,
}


class Teacher:
    """The teacher's boxes of the ``take`` COCO classes (``detector`` must return scores down
    to :data:`SURE_EMPTY_BELOW`)."""

    def __init__(self, detector: OnnxDetector, take: Mapping[str, ObjectKind]):
        self._detector = detector
        self._take = dict(take)

    def look(self, image: np.ndarray) -> tuple[tuple[TruthBox, ...], bool]:
        """``image``: (H, W, 3) uint8 BGR -> (its boxes at score >= :data:`MIN_SCORE`,
        normalized; whether it is surely empty: nothing even at :data:`SURE_EMPTY_BELOW`)."""
        h, w = image.shape[:2]
        found = self._detector.detect([image])[0]
        scale = np.array([w, h, w, h], np.float64)
        out, seen = [], False
        for xyxy, label, score in zip(found.xyxy, found.labels, found.confidence, strict=True):
            if label not in self._take:
                continue
            seen = True
            if score < MIN_SCORE:
                continue
            x1, y1, x2, y2 = (float(min(max(v, 0.0), 1.0)) for v in xyxy / scale)
            if x2 > x1 and y2 > y1:
                out.append(TruthBox(self._take[label], (x1, y1, x2, y2)))
        return tuple(out), not seen

    def boxes(self, image: np.ndarray) -> tuple[TruthBox, ...]:
        return self.look(image)[0]

    def with_take(self, take: Mapping[str, ObjectKind]) -> Teacher:
        return Teacher(self._detector, take)


def load_teacher(shared: Path, take: Mapping[str, ObjectKind] = PEOPLE) -> Teacher:
    model = shared / TEACHER
    if not model.is_file():
        raise CheckSetError(f"{model}: the COCO teacher is missing")
    return Teacher(load_detector(model, shared / TEACHER_LABELS, SURE_EMPTY_BELOW), take)
