"""Does the picture inside a "cable" box hold a thin, long, continuous structure? Pure.

Method (see docs/flying_wire.md): on a grey copy scaled down to at most :data:`WORK_SIZE` pixels
on its longer side (borders replicated), a white and a black top-hat with a :data:`RIDGE_KERNEL`
ellipse keep only structures thinner than the kernel, bright or dark; thresholding (Otsu, but
never under :data:`MIN_CONTRAST` grey levels) gives a mask whose connected components are
measured: length is half the outer contour's perimeter, thickness is area / length. The
longest component decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from vision.errors import VisionError

WORK_SIZE = 200
RIDGE_KERNEL = 17
MIN_CONTRAST = 25
MIN_ELONGATION = 4.0  # length / thickness where the score starts to rise
FULL_ELONGATION = 12.0  # ... and where that factor reaches 1
FULL_LENGTH = 0.7  # longest side of the crop a structure must span for that factor to reach 1
_MIN_COMPONENT_AREA = 8


@dataclass(frozen=True)
class CableGeometry:
    """How cable-like the crop looks.

    Attributes:
        score: 0 (no thin long structure) to 1 (a thin structure spanning the crop).
        length_px: length of the longest thin structure, in pixels of the given crop.
        thickness_px: its mean thickness, in pixels of the given crop (0 when none).
    """

    score: float
    length_px: float
    thickness_px: float


def measure_cable(crop: NDArray[np.uint8]) -> CableGeometry:
    """Measure an (H, W, 3) BGR or (H, W) grey uint8 crop, at least 4 pixels each way."""
    if crop.ndim not in (2, 3) or min(crop.shape[:2]) < 4:
        raise VisionError(f"expected an (H, W[, 3]) crop of at least 4x4, got shape {crop.shape}")
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    # Never upscale: a small crop's cable would grow thicker than the ridge kernel.
    scale = min(1.0, WORK_SIZE / max(grey.shape))
    size = (max(4, round(grey.shape[1] * scale)), max(4, round(grey.shape[0] * scale)))
    resized = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    work = np.asarray(cv2.GaussianBlur(resized, (3, 3), 0), np.uint8)
    mask = _thin_structure_mask(work)
    length, thickness = _longest_component(mask)
    return CableGeometry(
        score=_score(length, thickness, float(max(work.shape))),
        length_px=length / scale,
        thickness_px=thickness / scale,
    )


def _thin_structure_mask(work: NDArray[np.uint8]) -> NDArray[np.uint8]:
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (RIDGE_KERNEL, RIDGE_KERNEL))
    # Replicated borders: a strip between an object and the crop's edge is not a thin ridge.
    pad = RIDGE_KERNEL
    padded = cv2.copyMakeBorder(work, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    ridge = np.maximum(
        cv2.morphologyEx(padded, cv2.MORPH_TOPHAT, kernel),
        cv2.morphologyEx(padded, cv2.MORPH_BLACKHAT, kernel),
    )[pad:-pad, pad:-pad]
    otsu, _ = cv2.threshold(ridge, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    _, mask = cv2.threshold(ridge, max(otsu, MIN_CONTRAST), 255, cv2.THRESH_BINARY)
    return np.asarray(mask, np.uint8)


def _longest_component(mask: NDArray[np.uint8]) -> tuple[float, float]:
    """(length, thickness) in working pixels of the longest connected component; (0, 0) if none."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    best = (0.0, 0.0)
    for label in range(1, count):
        area = float(stats[label, cv2.CC_STAT_AREA])
        if area < _MIN_COMPONENT_AREA:
            continue
        component = (labels == label).astype(np.uint8)
        contours, _ = cv2.findContours(component, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        length = max(cv2.arcLength(c, closed=True) for c in contours) / 2
        if length > best[0]:
            best = (length, area / max(length, 1.0))
    return best


def _score(length: float, thickness: float, longest_side: float) -> float:
    if length <= 0:
        return 0.0
    span = min(1.0, length / (FULL_LENGTH * longest_side))
    elongation = length / max(thickness, 1.0)
    thin = np.clip((elongation - MIN_ELONGATION) / (FULL_ELONGATION - MIN_ELONGATION), 0.0, 1.0)
    return float(span * thin)
