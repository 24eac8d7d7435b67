"""Image measures for camera tampering: blocked, blurred or turned away. Pure functions.

Every measure is taken on a grey copy scaled to :data:`WORK_WIDTH` pixels wide, so thresholds do
not depend on the stream's resolution, and the scaling averages away much of the sensor noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from vision.errors import VisionError

WORK_WIDTH = 320
THUMB_SIZE = (32, 24)  # (width, height) of the view thumbnail
UNIFORM_TOLERANCE = 8  # grey levels around the median that count as "the same"
MIN_REFERENCE_SHARPNESS = 0.005  # a reference view blurrier than this cannot judge blur


@dataclass(frozen=True, eq=False)
class ImageMeasures:
    """What one frame looks like, for tamper checks.

    Attributes:
        grey_std: standard deviation of grey levels (0-255).
        uniform_fraction: share of pixels within ``UNIFORM_TOLERANCE`` of the median grey.
        sharpness: variance of the Laplacian after a 3x3 Gaussian over the variance of the grey
            levels (higher is sharper); dividing by the contrast keeps dimmed lights from
            reading as blur.
        thumbnail: (24, 32) float32 mean grey of the view, for "turned away" checks.
    """

    grey_std: float
    uniform_fraction: float
    sharpness: float
    thumbnail: NDArray[np.float32]


@dataclass(frozen=True, eq=False)
class TamperReference:
    """The camera's normal view, learned from normal frames.

    Attributes:
        sharpness: typical sharpness of the normal view.
        thumbnail: (24, 32) float32 mean thumbnail of the normal view.
        learned_s: seconds of normal frames folded in so far.
    """

    sharpness: float
    thumbnail: NDArray[np.float32]
    learned_s: float


@dataclass(frozen=True)
class TamperThresholds:
    """Decision thresholds (see :class:`alerts.params.CameraTamperedParams` for meanings)."""

    blocked_std: float = 6.0
    blocked_uniform_fraction: float = 0.95
    blur_ratio: float = 0.3
    moved_correlation: float = 0.5


@dataclass(frozen=True)
class TamperVerdict:
    """How one frame compares with the normal view.

    ``sharpness_ratio`` and ``correlation`` are None when no reference could judge them.
    """

    blocked: bool
    blurred: bool
    moved: bool
    sharpness_ratio: float | None = None
    correlation: float | None = None

    @property
    def normal(self) -> bool:
        return not (self.blocked or self.blurred or self.moved)


def measure_image(image: NDArray[np.uint8]) -> ImageMeasures:
    """Measure an (H, W, 3) BGR or (H, W) grey uint8 frame."""
    if image.ndim not in (2, 3) or image.shape[0] < 2 or image.shape[1] < 2:
        raise VisionError(f"expected an (H, W[, 3]) image, got shape {image.shape}")
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    height = max(2, round(grey.shape[0] * WORK_WIDTH / grey.shape[1]))
    work = cv2.resize(grey, (WORK_WIDTH, height), interpolation=cv2.INTER_AREA)
    smooth = cv2.GaussianBlur(work, (3, 3), 0)
    # The median and the uniform share from grey-level counts, variances from cv2.meanStdDev:
    # the measure runs on every camera every second, and numpy's sort for a median cost most.
    counts = np.bincount(smooth.ravel(), minlength=256).astype(np.float64)
    median = _median(counts)
    levels = np.arange(256, dtype=np.float64)
    uniform = float(counts[np.abs(levels - median) <= UNIFORM_TOLERANCE].sum() / counts.sum())
    sharpness = _variance(cv2.Laplacian(smooth, cv2.CV_64F)) / max(_variance(smooth), 1.0)
    thumb = cv2.resize(work, THUMB_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)
    return ImageMeasures(math.sqrt(_variance(work)), uniform, sharpness, thumb)


def _median(counts: NDArray[np.float64]) -> float:
    """The median of the values whose (256,) level counts are given, as ``np.median`` has it
    (the mean of the two middle values when their number is even)."""
    cumulative = np.cumsum(counts)
    total = int(cumulative[-1])
    low = int(np.searchsorted(cumulative, (total - 1) // 2, side="right"))
    high = int(np.searchsorted(cumulative, total // 2, side="right"))
    return (low + high) / 2


def _variance(image: NDArray[np.integer[Any] | np.floating[Any]]) -> float:
    _, std = cv2.meanStdDev(image)
    return float(std[0, 0]) ** 2


def learn_reference(
    reference: TamperReference | None, measures: ImageMeasures, dt_s: float, adapt_s: float
) -> TamperReference:
    """Fold a normal frame into the reference: a running mean at first, then a slow
    exponential average with time constant ``adapt_s`` seconds.
    ``dt_s``: the time this frame stands for, in seconds.
    """
    if reference is None:
        return TamperReference(measures.sharpness, measures.thumbnail.copy(), dt_s)
    learned = reference.learned_s + dt_s
    alpha = dt_s / min(learned, adapt_s)
    return TamperReference(
        sharpness=(1 - alpha) * reference.sharpness + alpha * measures.sharpness,
        thumbnail=((1 - alpha) * reference.thumbnail + alpha * measures.thumbnail).astype(
            np.float32
        ),
        learned_s=learned,
    )


def assess(
    measures: ImageMeasures, reference: TamperReference | None, thresholds: TamperThresholds
) -> TamperVerdict:
    """Judge a frame. Without a reference only "blocked" can be decided."""
    blocked = (
        measures.grey_std < thresholds.blocked_std
        or measures.uniform_fraction >= thresholds.blocked_uniform_fraction
    )
    if reference is None:
        return TamperVerdict(blocked, False, False)
    ratio = None
    if reference.sharpness >= MIN_REFERENCE_SHARPNESS:
        ratio = measures.sharpness / reference.sharpness
    correlation = thumbnail_correlation(measures.thumbnail, reference.thumbnail)
    return TamperVerdict(
        blocked=blocked,
        blurred=ratio is not None and ratio < thresholds.blur_ratio,
        moved=correlation < thresholds.moved_correlation,
        sharpness_ratio=ratio,
        correlation=correlation,
    )


def thumbnail_correlation(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    """Zero-mean normalized cross-correlation in [-1, 1]; 0 when either is flat."""
    x = a.astype(np.float64).ravel() - float(a.mean())
    y = b.astype(np.float64).ravel() - float(b.mean())
    denom = float(np.sqrt(np.dot(x, x) * np.dot(y, y)))
    return float(np.dot(x, y) / denom) if denom > 1e-9 else 0.0
