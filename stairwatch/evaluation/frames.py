"""Frame-level detector quality (mAP at IoU 0.5 per kind) on the sidecars' boxed frames,
and picking the frames nearest given times out of a clip.

mAP is computed by :class:`supervision.metrics.MeanAveragePrecision` (COCO-style, 101-point
interpolation); classes are our :class:`~vision.kinds.ObjectKind` values after kind mapping.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import supervision as sv
from supervision.metrics import MeanAveragePrecision

from stairwatch.evaluation.errors import ClipError
from stairwatch.evaluation.metrics import FrameMetrics
from stairwatch.evaluation.sidecar import SidecarBox
from streams.errors import StreamError
from streams.file_source import FileSource
from streams.frame import Frame
from vision.detections import Detections
from vision.kinds import KIND_NAMES


def targets(boxes: Sequence[SidecarBox], width: int, height: int) -> Detections:
    """The true boxes of one image as :class:`Detections` over :data:`KIND_NAMES`, in pixels."""
    if not boxes:
        return Detections.empty(KIND_NAMES)
    scale = np.array([width, height, width, height], np.float32)
    return Detections(
        xyxy=np.array([b.xyxy for b in boxes], np.float32) * scale,
        confidence=np.ones(len(boxes), np.float32),
        class_id=np.array([KIND_NAMES.index(b.label.value) for b in boxes], np.int32),
        class_names=KIND_NAMES,
    )


def _to_supervision(detections: Detections) -> sv.Detections:
    return sv.Detections(
        xyxy=detections.xyxy.astype(np.float64),
        confidence=detections.confidence.astype(np.float64),
        class_id=detections.class_id.astype(int),
    )


class FrameScorer:
    """Collects (predictions, targets) per image over :data:`KIND_NAMES`; scores them at the end."""

    def __init__(self) -> None:
        self._predictions: list[sv.Detections] = []
        self._targets: list[sv.Detections] = []
        self._boxes = 0

    def add(self, predictions: Detections, truth: Detections) -> None:
        """One image: ``predictions`` and ``truth`` both over :data:`KIND_NAMES`, same pixels."""
        if predictions.class_names != KIND_NAMES or truth.class_names != KIND_NAMES:
            raise ValueError(
                "frame scoring needs detections over KIND_NAMES (map model classes first)"
            )
        self._predictions.append(_to_supervision(predictions))
        self._targets.append(_to_supervision(truth))
        self._boxes += len(truth)

    def extend(self, other: FrameScorer) -> None:
        """Add every image ``other`` collected (after this one's)."""
        self._predictions.extend(other._predictions)
        self._targets.extend(other._targets)
        self._boxes += other._boxes

    @property
    def images(self) -> int:
        return len(self._targets)

    def compute(self) -> FrameMetrics | None:
        """mAP50 over the kinds that have true boxes; None when no image had any box."""
        if self._boxes == 0:
            return None
        result = MeanAveragePrecision().update(self._predictions, self._targets).compute()
        per_class = {
            KIND_NAMES[int(cls)]: round(max(float(ap[0]), 0.0), 3)
            for cls, ap in zip(result.matched_classes, result.ap_per_class, strict=True)
        }
        return FrameMetrics(
            map50=round(max(result.map50, 0.0), 3),
            per_class_ap50=per_class,
            images=self.images,
            boxes=self._boxes,
        )


def nearest_frames(video: Path, times: Iterable[float]) -> dict[float, Frame]:
    """For each time (seconds from the clip's start), the decoded frame nearest it.

    One sequential decode of the clip (stopping after the last time); raises :class:`ClipError`.
    """
    wanted = sorted(set(times))
    if not wanted:
        return {}
    best: dict[float, Frame] = {}
    try:
        with FileSource(video, video.name, realtime=False, loop=False, start_time=0.0) as source:
            for frame in source:
                for t in wanted:
                    held = best.get(t)
                    if held is None or abs(frame.position_s - t) < abs(held.position_s - t):
                        best[t] = frame
                if frame.position_s > wanted[-1]:
                    break
    except StreamError as exc:
        raise ClipError(str(exc)) from exc
    return best
