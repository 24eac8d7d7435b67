"""Our object kinds, and the map from a model's own class names to them."""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from vision.detections import Detections


class ObjectKind(StrEnum):
    """What stairwatch reasons about. A model's classes are mapped onto these."""

    EBIKE = "ebike"
    BICYCLE = "bicycle"
    PERSON = "person"
    CABLE = "cable"


KIND_NAMES: tuple[str, ...] = tuple(kind.value for kind in ObjectKind)
"""Class names of :class:`~vision.detections.Detections` after kind mapping; index = class_id."""

XYXY = tuple[float, float, float, float]


def check_normalized_xyxy(xyxy: XYXY) -> XYXY:
    """A labelled box's corners as people give them (a ground-truth sidecar, a verdict): top-left
    then bottom-right, normalized to [0, 1] (x right, y down), not empty. Raises ValueError."""
    x1, y1, x2, y2 = xyxy
    if not all(0.0 <= v <= 1.0 for v in xyxy):
        raise ValueError(f"{list(xyxy)} is outside [0, 1]: coordinates are normalized")
    if x2 <= x1 or y2 <= y1:
        raise ValueError(f"{list(xyxy)} is empty: need x1 < x2 and y1 < y2")
    return xyxy


class KindMapper:
    """Maps a model's class names onto :class:`ObjectKind` and drops classes we do not use.

    ``class_map`` lists, for each kind, the model class names that mean it, e.g.
    ``{ObjectKind.EBIKE: ("motorbike",)}``. A kind missing from the map is looked up
    under its own name (a model trained by stairwatch names its classes after our kinds).
    """

    def __init__(
        self, model_class_names: tuple[str, ...], class_map: dict[ObjectKind, tuple[str, ...]]
    ):
        lookup = {kind: class_map.get(kind, (kind.value,)) for kind in ObjectKind}
        table = np.full(len(model_class_names), -1, np.int32)
        for kind_index, kind in enumerate(ObjectKind):
            for name in lookup[kind]:
                if name in model_class_names:
                    table[model_class_names.index(name)] = kind_index
        self._table = table
        self.model_class_names = model_class_names

    @property
    def mapped_model_classes(self) -> dict[str, ObjectKind]:
        """Model class name -> kind, for every class that is mapped."""
        kinds = list(ObjectKind)
        return {self.model_class_names[i]: kinds[k] for i, k in enumerate(self._table) if k >= 0}

    def __call__(self, detections: Detections) -> Detections:
        """Detections over the model's classes -> detections over :data:`KIND_NAMES`."""
        kind_id = self._table[detections.class_id] if len(detections) else np.zeros(0, np.int32)
        kept = detections[kind_id >= 0]
        return Detections(
            xyxy=kept.xyxy,
            confidence=kept.confidence,
            class_id=kind_id[kind_id >= 0].astype(np.int32),
            class_names=KIND_NAMES,
            tracker_id=kept.tracker_id,
        )
