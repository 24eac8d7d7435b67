"""Stall watchdog: a capture that keeps returning the same picture is as dead as a silent one."""

from __future__ import annotations

import hashlib

import numpy as np
from numpy.typing import NDArray


def frame_fingerprint(image: NDArray[np.uint8], step: int = 4) -> bytes:
    """8-byte hash of every ``step``-th pixel row and column of an (H, W, C) image."""
    sample = np.ascontiguousarray(image[::step, ::step])
    return hashlib.blake2b(sample.tobytes(), digest_size=8).digest()


class StallWatchdog:
    """Decides whether each read frame is new, and whether the stream has stalled.

    A frame is new when its presentation time advanced or its pixels changed: a static scene
    (identical pixels) still advances its PTS, and a source without PTS still changes pixels.
    Times are monotonic seconds.
    """

    def __init__(self, stall_after_s: float) -> None:
        if stall_after_s <= 0:
            raise ValueError(f"stall_after_s must be > 0, got {stall_after_s}")
        self.stall_after_s = stall_after_s
        self._last_new_at = 0.0
        self._last_pts: float | None = None
        self._last_fingerprint: bytes | None = None

    def reset(self, now: float) -> None:
        """A connection (re)opened at ``now``: nothing seen yet, the stall clock starts."""
        self._last_new_at = now
        self._last_pts = None
        self._last_fingerprint = None

    def observe(self, now: float, pts_s: float | None, fingerprint: bytes) -> bool:
        """Record a read frame; True when it is new."""
        first = self._last_fingerprint is None
        pts_advanced = pts_s is not None and (self._last_pts is None or pts_s > self._last_pts)
        changed = fingerprint != self._last_fingerprint
        self._last_pts = pts_s  # the latest, not the maximum: an encoder restart rewinds PTS
        self._last_fingerprint = fingerprint
        is_new = first or pts_advanced or changed
        if is_new:
            self._last_new_at = now
        return is_new

    def stalled(self, now: float) -> bool:
        """True once no new frame arrived for ``stall_after_s`` seconds."""
        return now - self._last_new_at >= self.stall_after_s
