"""Person (and bicycle) truth where a dataset has none: the COCO teacher, YOLOX-Nano from
``../shared/models`` (Apache-2.0), at score >= 0.5. Its boxes were checked by eye on a sample."""

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
PEOPLE: Mapping[str, ObjectKind] = {"person": ObjectKind.PERSON}
PEOPLE_AND_BICYCLES: Mapping[str, ObjectKind] = {
    "person": ObjectKind.PERSON,
    "bicycle": ObjectKind.BICYCLE,
}


class Teacher:
    """``boxes(image)``: the teacher's boxes of the ``take`` COCO classes, normalized."""

    def __init__(self, detector: OnnxDetector, take: Mapping[str, ObjectKind]):
        self._detector = detector
        self._take = dict(take)

    def boxes(self, image: np.ndarray) -> tuple[TruthBox, ...]:
        """``image``: (H, W, 3) uint8 BGR."""
        h, w = image.shape[:2]
        found = self._detector.detect([image])[0]
        scale = np.array([w, h, w, h], np.float64)
        out = []
        for xyxy, label in zip(found.xyxy, found.labels, strict=True):
            if label in self._take:
                x1, y1, x2, y2 = (float(min(max(v, 0.0), 1.0)) for v in xyxy / scale)
                if x2 > x1 and y2 > y1:
                    out.append(TruthBox(self._take[label], (x1, y1, x2, y2)))
        return tuple(out)

    def with_take(self, take: Mapping[str, ObjectKind]) -> Teacher:
        return Teacher(self._detector, take)


def load_teacher(shared: Path, take: Mapping[str, ObjectKind] = PEOPLE) -> Teacher:
    model = shared / TEACHER
    if not model.is_file():
        raise CheckSetError(f"{model}: the COCO teacher is missing")
    return Teacher(load_detector(model, shared / TEACHER_LABELS, MIN_SCORE), take)
