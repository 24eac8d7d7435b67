"""Per-camera object tracking: one ByteTrack per object kind, ids unique across kinds."""

from __future__ import annotations

import numpy as np

from vision.bytetrack import ByteTrack, ByteTrackConfig, IdSource
from vision.detections import Detections


class ObjectTracker:
    """Gives the detections of one camera track ids. Not thread-safe: one per camera.

    Each kind (class name) has its own ByteTrack, so a person's track can never take over an
    e-bike's box however much the boxes overlap; ids come from one counter and never repeat.
    """

    def __init__(self, config: ByteTrackConfig | None = None):
        self.config = config or ByteTrackConfig()
        self._ids = IdSource()
        self._trackers: dict[str, ByteTrack] = {}

    def update(self, detections: Detections, timestamp: float) -> Detections:
        """Track one frame's detections, taken at ``timestamp`` seconds.

        Returns the same rows, in the same order, with ``tracker_id`` set; rows no track took
        (low-score detections that extend nothing) are dropped. Every kind seen before is
        stepped, so tracks of kinds absent from this frame age too.
        """
        ids = np.full(len(detections), -1, np.int64)
        present = {detections.class_names[int(c)] for c in np.unique(detections.class_id)}
        for name in sorted(present | set(self._trackers)):
            rows = np.flatnonzero(detections.class_id == _class_index(detections, name))
            tracker = self._trackers.setdefault(name, ByteTrack(self.config, self._ids))
            ids[rows] = tracker.update(
                detections.xyxy[rows], detections.confidence[rows], timestamp
            )
        kept = ids >= 0
        return detections[kept].with_tracker_ids(ids[kept])

    def reset(self) -> None:
        """Forget every track (a new clip, a reconnected stream). Ids keep counting up."""
        self._trackers.clear()


def _class_index(detections: Detections, name: str) -> int:
    return detections.class_names.index(name) if name in detections.class_names else -1
