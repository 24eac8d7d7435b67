"""Tamper image measures: blocked, blurred, turned away vs a normal noisy view."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vision.errors import VisionError
from vision.tamper import (
    TamperReference,
    TamperThresholds,
    assess,
    learn_reference,
    measure_image,
    thumbnail_correlation,
)


def scene(seed: int = 1, h: int = 360, w: int = 480) -> np.ndarray:
    r = np.random.default_rng(seed)
    img = np.full((h, w, 3), 120, np.uint8)
    for _ in range(30):
        x, y = int(r.integers(0, w)), int(r.integers(0, h))
        size = (int(r.integers(15, 120)), int(r.integers(15, 120)))
        colour = tuple(int(v) for v in r.integers(0, 255, 3))
        cv2.rectangle(img, (x, y), (x + size[0], y + size[1]), colour, -1)
    for _ in range(25):
        p1 = (int(r.integers(0, w)), int(r.integers(0, h)))
        p2 = (int(r.integers(0, w)), int(r.integers(0, h)))
        cv2.line(img, p1, p2, tuple(int(v) for v in r.integers(0, 255, 3)), 2)
    return img


RNG = np.random.default_rng(0)


def noisy(img: np.ndarray, sd: float = 5.0) -> np.ndarray:
    return np.clip(img + RNG.normal(0, sd, img.shape), 0, 255).astype(np.uint8)


BASE = scene()


def reference() -> TamperReference:
    ref = None
    for _ in range(20):
        ref = learn_reference(ref, measure_image(noisy(BASE)), 0.5, 600.0)
    assert ref is not None
    return ref


CASES = {
    # name: (image, blocked, blurred, moved)
    "normal": (lambda: noisy(BASE), False, False, False),
    "noisier": (lambda: noisy(BASE, 12), False, False, False),
    "lights dimmed": (lambda: noisy((BASE * 0.4).astype(np.uint8)), False, False, False),
    "person in front": (
        lambda: noisy(cv2.rectangle(BASE.copy(), (300, 100), (380, 360), (60, 60, 90), -1)),
        False,
        False,
        False,
    ),
    "covered": (lambda: noisy(np.full_like(BASE, 30)), True, False, True),
    "sprayed grey": (lambda: noisy(np.full_like(BASE, 140), 2), True, False, True),
    "defocused": (lambda: noisy(cv2.GaussianBlur(BASE, (0, 0), 5)), False, True, False),
    "turned": (lambda: noisy(np.roll(BASE, 150, axis=1)), False, False, True),
    "other view": (lambda: noisy(scene(9)), False, False, True),
}


@pytest.mark.parametrize(("make", "blocked", "blurred", "moved"), CASES.values(), ids=CASES.keys())
def test_assess(make, blocked: bool, blurred: bool, moved: bool) -> None:  # type: ignore[no-untyped-def]
    verdict = assess(measure_image(make()), reference(), TamperThresholds())
    assert (verdict.blocked, verdict.blurred, verdict.moved) == (blocked, blurred, moved)
    assert verdict.normal is not (blocked or blurred or moved)


def test_without_reference_only_blocked_is_judged() -> None:
    verdict = assess(measure_image(noisy(np.roll(BASE, 150, axis=1))), None, TamperThresholds())
    assert verdict == assess(measure_image(noisy(BASE)), None, TamperThresholds())
    assert verdict.normal and verdict.correlation is None
    assert assess(measure_image(np.full_like(BASE, 30)), None, TamperThresholds()).blocked


def test_reference_learns_fast_then_adapts_slowly() -> None:
    a = measure_image(noisy(BASE))
    b = measure_image(noisy(scene(9)))
    ref = learn_reference(None, a, 0.5, 600.0)
    assert ref.learned_s == 0.5
    early = learn_reference(ref, b, 0.5, 600.0)  # second frame: a plain mean of two
    np.testing.assert_allclose(early.thumbnail, (a.thumbnail + b.thumbnail) / 2, rtol=1e-5)
    late = TamperReference(a.sharpness, a.thumbnail, learned_s=3600.0)
    slow = learn_reference(late, b, 0.5, 600.0)
    assert thumbnail_correlation(slow.thumbnail, a.thumbnail) > 0.999


def test_measures_do_not_depend_on_resolution() -> None:
    small = measure_image(BASE)
    large = measure_image(
        np.asarray(cv2.resize(BASE, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST), np.uint8)
    )
    assert thumbnail_correlation(small.thumbnail, large.thumbnail) > 0.99
    assert large.sharpness == pytest.approx(small.sharpness, rel=0.3)


def test_grey_input_and_bad_shapes() -> None:
    assert measure_image(np.asarray(cv2.cvtColor(BASE, cv2.COLOR_BGR2GRAY), np.uint8)).grey_std > 10
    with pytest.raises(VisionError):
        measure_image(np.zeros((1, 10, 3), np.uint8))
