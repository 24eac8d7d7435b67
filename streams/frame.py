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
        monotonic_ts: capture time on a clock that never steps back (``time.monotonic()``), for
            live sources, whose ``timestamp`` is the wall clock NTP may step; None where
            ``timestamp`` never steps back already (files: the video's own timeline).
    """

    camera_id: str
    image: NDArray[np.uint8]
    timestamp: float
    position_s: float
    index: int
    monotonic_ts: float | None = None

    @property
    def steady_ts(self) -> float:
        """The capture time decisions run on (seconds): ``monotonic_ts`` when there is one."""
        return self.timestamp if self.monotonic_ts is None else self.monotonic_ts

    @property
    def wall_offset_s(self) -> float:
        """What to add to a time on the ``steady_ts`` clock to get wall-clock (Unix) time."""
        return self.timestamp - self.steady_ts

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])
