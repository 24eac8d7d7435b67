"""Motion gating: skip the detector on frames where nothing moved.

A skipped frame means "scene unchanged since the last detection", never "scene empty": a parked
e-bike is static, so the caller must keep its tracks and dwell timers as they were. Cameras with
live tracks are detected regardless, and a detection is forced every ``max_skip_s`` so static
objects keep being re-confirmed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
from numpy.typing import NDArray

from vision.zones import Polygon, keep_mask


@dataclass(frozen=True)
class MotionParams:
    """Tuning for :class:`MotionGate`.

    Attributes:
        width: pixels across of the grey working image (height keeps the aspect ratio).
        blur_kernel: odd Gaussian kernel size at that width.
        background_time_s: time constant of the running-average background; the per-frame
            weight is ``1 - exp(-dt / background_time_s)``, so it does not depend on the frame rate.
        pixel_threshold: grey-level difference (0-255) from the background that counts as moving.
        min_blob_px: moving blobs smaller than this (working-image pixels) are noise.
        min_motion_ratio: moving fraction of the unmasked area that triggers the detector.
        max_skip_s: longest stretch without a detection, in seconds.
    """

    width: int = 160
    blur_kernel: int = 5
    background_time_s: float = 5.0
    pixel_threshold: int = 25
    min_blob_px: int = 6
    min_motion_ratio: float = 0.002
    max_skip_s: float = 10.0


class MotionReason(StrEnum):
    FIRST_FRAME = "first_frame"  # no background yet (or the frame size changed, or time went back)
    MOTION = "motion"
    LIVE_TRACKS = "live_tracks"  # objects are being tracked: keep detecting at the camera's rate
    FORCED_REFRESH = "forced_refresh"  # max_skip_s passed: re-confirm static objects
    NO_MOTION = "no_motion"  # skipped: the scene is unchanged


@dataclass(frozen=True)
class MotionDecision:
    """Whether to run the detector on this frame.

    Attributes:
        run_detector: False only for NO_MOTION; the caller must then treat the scene as unchanged.
        motion_ratio: moving fraction of the unmasked area, in [0, 1].
        reason: why.
    """

    run_detector: bool
    motion_ratio: float
    reason: MotionReason


@dataclass(frozen=True)
class MotionStats:
    frames: int
    detector_runs: int
    detector_calls_saved: int


class MotionGate:
    """Per-camera explicit state: the background model, the last detection time, counters.

    ``ignore`` holds polygons (normalized (x, y) in [0, 1], like zones) whose pixels never count
    as motion: timestamp overlays, flickering lights, trees.
    """

    def __init__(self, params: MotionParams | None = None, ignore: Sequence[Polygon] = ()) -> None:
        self.params = params or MotionParams()
        if self.params.blur_kernel % 2 != 1:
            raise ValueError(f"blur_kernel must be odd, got {self.params.blur_kernel}")
        self._ignore = tuple(_checked_polygon(p) for p in ignore)
        self._background: NDArray[np.float32] | None = None
        self._keep: NDArray[np.uint8] = np.zeros((0, 0), np.uint8)  # 255 where motion counts
        self._keep_area = 0
        self._last_frame_at = 0.0
        self._last_run_at = 0.0
        self._frames = 0
        self._runs = 0

    @property
    def stats(self) -> MotionStats:
        saved = self._frames - self._runs
        return MotionStats(self._frames, self._runs, saved)

    def step(
        self, image: NDArray[np.uint8], timestamp: float, has_live_tracks: bool
    ) -> MotionDecision:
        """Decide for one (H, W, 3) BGR or (H, W) grey frame taken at ``timestamp`` seconds."""
        grey = self._prepare(image)
        self._frames += 1
        background = self._background
        if background is None or background.shape != grey.shape or timestamp < self._last_frame_at:
            self._reset(grey, timestamp)
            return self._run(0.0, MotionReason.FIRST_FRAME, timestamp)
        ratio = self._motion_ratio(grey, background)
        weight = 1.0 - math.exp(-(timestamp - self._last_frame_at) / self.params.background_time_s)
        cv2.accumulateWeighted(grey, background, weight)
        self._last_frame_at = timestamp
        if ratio >= self.params.min_motion_ratio:
            return self._run(ratio, MotionReason.MOTION, timestamp)
        if has_live_tracks:
            return self._run(ratio, MotionReason.LIVE_TRACKS, timestamp)
        if timestamp - self._last_run_at >= self.params.max_skip_s:
            return self._run(ratio, MotionReason.FORCED_REFRESH, timestamp)
        return MotionDecision(False, ratio, MotionReason.NO_MOTION)

    def motion_mask(self, image: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """(h, w) uint8 at working size: 255 where ``image`` differs from the background (for
        debugging and tuning; does not change the state). All zero before the first frame."""
        grey = self._prepare(image)
        if self._background is None or self._background.shape != grey.shape:
            return np.zeros(grey.shape, np.uint8)
        return self._moving_pixels(grey, self._background)

    # -- internals ----------------------------------------------------------------------------

    def _prepare(self, image: NDArray[np.uint8]) -> NDArray[np.float32]:
        grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        height = max(1, round(grey.shape[0] * self.params.width / grey.shape[1]))
        small = cv2.resize(grey, (self.params.width, height), interpolation=cv2.INTER_AREA)
        k = self.params.blur_kernel
        return np.asarray(cv2.GaussianBlur(small, (k, k), 0), np.float32)

    def _reset(self, grey: NDArray[np.float32], timestamp: float) -> None:
        self._background = grey.copy()
        self._keep = keep_mask(grey.shape[1], grey.shape[0], self._ignore)
        self._keep_area = int(np.count_nonzero(self._keep))
        self._last_frame_at = timestamp

    def _moving_pixels(
        self, grey: NDArray[np.float32], background: NDArray[np.float32]
    ) -> NDArray[np.uint8]:
        diff = cv2.absdiff(grey, background)
        moving = np.where(diff > self.params.pixel_threshold, 255, 0).astype(np.uint8)
        return np.asarray(cv2.bitwise_and(moving, self._keep), np.uint8)

    def _motion_ratio(self, grey: NDArray[np.float32], background: NDArray[np.float32]) -> float:
        if self._keep_area == 0:
            return 0.0
        moving = self._moving_pixels(grey, background)
        contours, _ = cv2.findContours(moving, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        blobs = [c for c in contours if cv2.contourArea(c) >= self.params.min_blob_px]
        if not blobs:
            return 0.0
        kept = np.zeros_like(moving)
        cv2.drawContours(kept, blobs, -1, 255, thickness=cv2.FILLED)
        covered = np.count_nonzero(cv2.bitwise_and(kept, moving))
        return min(1.0, float(covered) / self._keep_area)

    def _run(self, ratio: float, reason: MotionReason, timestamp: float) -> MotionDecision:
        self._runs += 1
        self._last_run_at = timestamp
        return MotionDecision(True, ratio, reason)


def _checked_polygon(polygon: Polygon) -> tuple[tuple[float, float], ...]:
    points = tuple((float(x), float(y)) for x, y in polygon)
    if len(points) < 3:
        raise ValueError(f"an ignore polygon needs at least 3 points, got {len(points)}")
    if any(not (0.0 <= v <= 1.0) for point in points for v in point):
        raise ValueError(f"ignore polygon {points} is not normalized to [0, 1]")
    return points
