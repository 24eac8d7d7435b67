"""The frame type every source yields."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded picture.

    Attributes:
        camera_id: the camera (or clip) it came from.
        image: (H, W, 3) uint8 BGR pixels.
        timestamp: capture time in seconds. Live sources use the wall clock (Unix time);
            file sources use ``start_time + position``, so evaluation never reads the wall clock.
        position_s: seconds from the start of the source (the video's own timestamps for files;
            time since connection for live sources).
        index: frame number since the source was opened (keeps counting across loops).
    """

    camera_id: str
    image: NDArray[np.uint8]
    timestamp: float
    position_s: float
    index: int

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])
