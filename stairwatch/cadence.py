"""Which of a camera's sampled frames run the detector and which only feed the fire check.

A camera with a ``shed`` zone is sampled at ``rules.smoke_fire.check_fps`` when that is faster
than its ``detect_fps`` (:func:`alerts.rules.smoke_fire.check_fps`): the frames due at
``detect_fps`` are *full* frames (detector, tracking, every rule), the others go to the
``smoke_fire`` check alone, with the last full frame's person boxes. The service's readers,
``stairwatch eval`` and ``fire_real_check`` all pick frames with this, so the evaluation measures
what runs.
"""

from __future__ import annotations

from streams.file_source import DueSelector


class FrameCadence:
    """One camera's sampling. Positions (seconds, any steady clock) must not decrease.

    Args:
        detect_fps: the detector's rate.
        check_fps: the fire check's rate when faster (None: every sampled frame is full).
    """

    def __init__(self, detect_fps: float, check_fps: float | None = None):
        self.detect_fps = detect_fps
        self.check_fps = check_fps if check_fps is not None and check_fps > detect_fps else None
        self.sample_fps = self.check_fps or detect_fps
        # A sampled frame within half a sampling period of a detection's due time is full.
        slack = 0.5 / self.sample_fps
        self._full = DueSelector(detect_fps if self.check_fps else None, half_frame_s=slack)

    def full(self, position_s: float) -> bool:
        """Whether the sampled frame at ``position_s`` is a full frame (else: fire check only).
        Call once per sampled frame, in order."""
        return self._full.due(position_s)
