"""measure_cable on drawn crops: thin long structures score high, blobs and texture low."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vision.cable_geometry import measure_cable
from vision.errors import VisionError


def wall(h: int = 160, w: int = 240, grey: int = 170, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(grey, 6, (h, w, 3)), 0, 255).astype(np.uint8)


def sine_curve(img: np.ndarray, colour: int, thickness: int) -> np.ndarray:
    h, w = img.shape[:2]
    xs = np.arange(int(0.05 * w), int(0.95 * w))
    ys = h / 2 + 0.25 * h * np.sin(xs / (0.12 * w))
    pts = np.stack([xs, ys], 1).astype(np.int32)
    return cv2.polylines(img.copy(), [pts], False, (colour,) * 3, thickness)


def line(img: np.ndarray, colour: int, thickness: int) -> np.ndarray:
    h, w = img.shape[:2]
    return cv2.line(img.copy(), (5, h - 5), (w - 5, 5), (colour,) * 3, thickness)


def blob(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return cv2.ellipse(img.copy(), (w // 2, h // 2), (w // 3, h // 3), 0, 0, 360, (40, 40, 40), -1)


def bar(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return cv2.rectangle(img.copy(), (10, h // 3), (w - 10, 2 * h // 3), (30, 30, 30), -1)


def spots(img: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(5)
    out = img.copy()
    h, w = img.shape[:2]
    for _ in range(15):
        centre = (int(rng.integers(10, w - 10)), int(rng.integers(10, h - 10)))
        cv2.circle(out, centre, int(rng.integers(3, 8)), (40, 40, 40), -1)
    return out


CABLES = {
    "dark curve": lambda: sine_curve(wall(), 25, 3),
    "light curve on dark": lambda: sine_curve(wall(grey=50), 230, 2),
    "straight line": lambda: line(wall(), 30, 2),
    "large crop": lambda: sine_curve(wall(480, 720), 25, 6),
    "small crop": lambda: sine_curve(wall(40, 60), 25, 1),
    "grey input": lambda: cv2.cvtColor(sine_curve(wall(), 25, 3), cv2.COLOR_BGR2GRAY),
}
NOT_CABLES = {
    "blob": lambda: blob(wall()),
    "thick bar": lambda: bar(wall()),
    "plain wall": lambda: wall(),
    "spots": lambda: spots(wall()),
}


@pytest.mark.parametrize("make", CABLES.values(), ids=CABLES.keys())
def test_thin_long_structures_score_high(make) -> None:  # type: ignore[no-untyped-def]
    result = measure_cable(make())
    assert result.score >= 0.8
    assert result.thickness_px < 0.1 * result.length_px


@pytest.mark.parametrize("make", NOT_CABLES.values(), ids=NOT_CABLES.keys())
def test_blobs_and_texture_score_low(make) -> None:  # type: ignore[no-untyped-def]
    assert measure_cable(make()).score < 0.3


def test_length_and_thickness_are_in_crop_pixels() -> None:
    img = line(wall(), 30, 3)
    expected = float(np.hypot(230, 150))
    result = measure_cable(img)
    assert result.length_px == pytest.approx(expected, rel=0.15)
    assert 2.0 <= result.thickness_px <= 8.0
    doubled = measure_cable(
        np.asarray(cv2.resize(img, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR), np.uint8)
    )
    assert doubled.length_px == pytest.approx(2 * result.length_px, rel=0.15)


@pytest.mark.parametrize("shape", [(2, 50, 3), (50, 3), (10,)])
def test_unusable_crops_raise(shape: tuple[int, ...]) -> None:
    with pytest.raises(VisionError):
        measure_cable(np.zeros(shape, np.uint8))
