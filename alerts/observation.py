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
    """

    camera_id: str
    timestamp: float
    width: int
    height: int
    detections: Detections
    image: NDArray[np.uint8] | None = None
