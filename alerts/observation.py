"""What a camera's rule engine sees of one frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from vision.detections import Detections


@dataclass(frozen=True, eq=False)
class Observation:
    """One processed frame of one camera.

    Attributes:
        camera_id: the camera.
        timestamp: capture time in seconds on the frames' clock (never the wall clock in eval).
        width, height: frame size in pixels.
        detections: tracked detections over :data:`vision.kinds.KIND_NAMES`
            (``tracker_id`` set), in pixels of this frame.
        image: (H, W, 3) uint8 BGR frame, for image checks (cable geometry, tampering);
            rules must not keep references to it beyond the step.
        wall_ts: capture time on the wall clock (Unix seconds), only to tell the time of day
            (a shed's closed hours); None: ``timestamp`` is taken for it. Durations always
            come from ``timestamp``.
    """

    camera_id: str
    timestamp: float
    width: int
    height: int
    detections: Detections
    image: NDArray[np.uint8] | None = None
    wall_ts: float | None = None

    @property
    def wall_time(self) -> float:
        """Unix seconds to tell the time of day by."""
        return self.timestamp if self.wall_ts is None else self.wall_ts
