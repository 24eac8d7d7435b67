"""The last few seconds of one camera's frames, shrunk and JPEG-compressed to bound memory."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from stairwatch.media.errors import ClipError


@dataclass(frozen=True, eq=False)
class RingFrame:
    """One kept frame: capture time (Unix seconds, the :class:`Frame` clock) and JPEG bytes."""

    timestamp: float
    jpeg: bytes


def compress(image: NDArray[np.uint8], max_width: int, quality: int) -> bytes:
    """(H, W, 3) BGR -> JPEG no wider than ``max_width`` px, even width and height (H.264)."""
    ok, buf = cv2.imencode(".jpg", shrink(image, max_width), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ClipError(f"cannot JPEG-encode a {image.shape[1]}x{image.shape[0]} frame")
    return buf.tobytes()


def shrink(image: NDArray[np.uint8], max_width: int) -> NDArray[np.uint8]:
    """(H, W, 3) -> no wider than ``max_width`` px, with even width and height (H.264)."""
    height, width = image.shape[:2]
    scale = min(1.0, max_width / width)
    size = (_even(width * scale), _even(height * scale))
    if size == (width, height):
        return image
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)


def spaced(previous_ts: float | None, timestamp: float, fps: float) -> bool:
    """Whether a picture taken at ``timestamp`` is far enough (seconds) from the previous one
    kept for a rate of at most ``fps`` (always, for the first)."""
    # A little tolerance, or 8 fps sampled from 25 fps jitters down to 6.
    return previous_ts is None or timestamp - previous_ts >= 0.9 / fps


class FrameRing:
    """Frames of the last ``keep_s`` seconds, at most ``fps`` a second. Not thread-safe.

    ``keep_s`` must cover the pre-alert span plus how far the detector may lag the reader.
    Memory: about ``keep_s * fps`` JPEGs (30-60 kB each at 640 px).
    """

    def __init__(self, keep_s: float, fps: float):
        if keep_s <= 0 or fps <= 0:
            raise ClipError(f"ring needs keep_s > 0 and fps > 0, got {keep_s}, {fps}")
        self.keep_s = keep_s
        self.fps = fps
        self._frames: deque[RingFrame] = deque()

    def wants(self, timestamp: float) -> bool:
        """Whether a frame taken at ``timestamp`` would be kept (ask before compressing it)."""
        return spaced(self._frames[-1].timestamp if self._frames else None, timestamp, self.fps)

    def push(self, frame: RingFrame) -> bool:
        """Keep ``frame`` unless unwanted; forget frames older than ``keep_s`` before it."""
        if not self.wants(frame.timestamp):
            return False
        self._frames.append(frame)
        while self._frames[0].timestamp < frame.timestamp - self.keep_s:
            self._frames.popleft()
        return True

    def since(self, timestamp: float) -> list[RingFrame]:
        """Kept frames taken at or after ``timestamp``, oldest first."""
        return [f for f in self._frames if f.timestamp >= timestamp]

    def __len__(self) -> int:
        return len(self._frames)


def _even(x: float) -> int:
    return max(2, round(x / 2) * 2)
