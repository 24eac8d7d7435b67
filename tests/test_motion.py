"""MotionGate on synthetic frames: a textured static scene with sensor noise, moving squares,
a flickering overlay."""

from __future__ import annotations

import numpy as np
import pytest

from vision.motion import MotionDecision, MotionGate, MotionParams, MotionReason

H, W = 360, 640
FPS = 2.0


def scene(rng: np.random.Generator) -> np.ndarray:
    """A fixed textured background (walls, stairs: low-frequency shading plus stripes)."""
    y, x = np.mgrid[0:H, 0:W]
    grey = 90 + 40 * np.sin(x / 37.0) + 30 * np.cos(y / 23.0) + 15 * ((x // 40 + y // 30) % 2)
    base = np.clip(grey, 0, 255).astype(np.uint8)
    return np.dstack([base, base, base]) + rng.integers(0, 3, (H, W, 3), dtype=np.uint8)


def noisy(image: np.ndarray, rng: np.random.Generator, sigma: float = 3.0) -> np.ndarray:
    """Sensor noise; a cheap per-frame random shift of a small Gaussian field, tiled."""
    tile = rng.normal(0.0, sigma, (H // 4 + 8, W // 4 + 8, 1)).astype(np.int16)
    dy, dx = rng.integers(0, 8, 2)
    field = np.tile(tile[dy : dy + H // 4, dx : dx + W // 4], (4, 4, 3))
    return np.clip(image.astype(np.int16) + field, 0, 255).astype(np.uint8)


def run(
    gate: MotionGate,
    frames: list[np.ndarray],
    tracks: list[bool] | None = None,
    start: float = 0.0,
) -> list[MotionDecision]:
    tracks = tracks or [False] * len(frames)
    return [
        gate.step(frame, start + i / FPS, live)
        for i, (frame, live) in enumerate(zip(frames, tracks, strict=True))
    ]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def test_static_scene_skips_most_frames(rng: np.random.Generator) -> None:
    background = scene(rng)
    gate = MotionGate(MotionParams(max_skip_s=10.0))
    decisions = run(gate, [noisy(background, rng) for _ in range(120)])  # 1 minute at 2 fps
    skipped = sum(not d.run_detector for d in decisions)
    assert skipped / len(decisions) >= 0.7
    reasons = {d.reason for d in decisions}
    assert MotionReason.MOTION not in reasons
    assert decisions[0].reason is MotionReason.FIRST_FRAME
    assert gate.stats.detector_calls_saved == skipped
    assert gate.stats.frames == 120 and gate.stats.detector_runs == 120 - skipped


def test_forced_refresh_every_max_skip(rng: np.random.Generator) -> None:
    background = scene(rng)
    gate = MotionGate(MotionParams(max_skip_s=10.0))
    decisions = run(gate, [noisy(background, rng) for _ in range(61)])
    run_times = [i / FPS for i, d in enumerate(decisions) if d.run_detector]
    assert run_times == [0.0, 10.0, 20.0, 30.0]
    assert all(d.reason is MotionReason.FORCED_REFRESH for d in decisions[1:] if d.run_detector)


def with_square(image: np.ndarray, x: int, y: int, size: int = 60, value: int = 240) -> np.ndarray:
    out = image.copy()
    out[y : y + size, x : x + size] = value
    return out


def test_moving_object_triggers(rng: np.random.Generator) -> None:
    background = scene(rng)
    gate = MotionGate()
    quiet = [noisy(background, rng) for _ in range(6)]
    walking = [noisy(with_square(background, 40 + 60 * i, 150), rng) for i in range(8)]
    decisions = run(gate, quiet + walking)
    assert all(not d.run_detector for d in decisions[1:6])
    moving = decisions[6:]
    assert all(d.run_detector and d.reason is MotionReason.MOTION for d in moving)
    assert min(d.motion_ratio for d in moving) > 0.01


def test_object_that_stops_becomes_background_but_refresh_reconfirms(
    rng: np.random.Generator,
) -> None:
    """A parked e-bike: motion while it arrives, then static; it is never 'gone', and the
    forced refresh keeps running the detector on it."""
    background = scene(rng)
    parked = with_square(background, 300, 200, size=80)
    gate = MotionGate(MotionParams(max_skip_s=10.0, background_time_s=2.0))
    decisions = run(gate, [noisy(background, rng)] * 2 + [noisy(parked, rng) for _ in range(80)])
    assert decisions[2].reason is MotionReason.MOTION
    late = decisions[40:]
    assert MotionReason.MOTION not in {d.reason for d in late}
    assert sum(d.reason is MotionReason.FORCED_REFRESH for d in late) >= 2


def flicker(image: np.ndarray, on: bool) -> np.ndarray:
    """A timestamp-like overlay in the top-left corner that changes every frame."""
    out = image.copy()
    out[10:50, 10:200] = 255 if on else 0
    return out


@pytest.mark.parametrize(
    ("ignore", "expect_motion"),
    [
        ([], True),
        ([[(0.0, 0.0), (0.4, 0.0), (0.4, 0.2), (0.0, 0.2)]], False),
    ],
)
def test_masked_region_is_ignored(
    rng: np.random.Generator, ignore: list[list[tuple[float, float]]], expect_motion: bool
) -> None:
    background = scene(rng)
    gate = MotionGate(ignore=ignore)
    decisions = run(gate, [noisy(flicker(background, i % 2 == 0), rng) for i in range(12)])
    saw_motion = any(d.reason is MotionReason.MOTION for d in decisions[1:])
    assert saw_motion is expect_motion


def test_masked_region_does_not_hide_motion_elsewhere(rng: np.random.Generator) -> None:
    background = scene(rng)
    gate = MotionGate(ignore=[[(0.0, 0.0), (0.4, 0.0), (0.4, 0.2), (0.0, 0.2)]])
    frames = [noisy(flicker(background, i % 2 == 0), rng) for i in range(4)]
    frames.append(noisy(with_square(flicker(background, True), 400, 200), rng))
    assert run(gate, frames)[-1].reason is MotionReason.MOTION


def test_live_tracks_keep_the_detector_running(rng: np.random.Generator) -> None:
    background = scene(rng)
    gate = MotionGate()
    tracks = [False, False, True, True, True, False, False]
    decisions = run(gate, [noisy(background, rng) for _ in tracks], tracks)
    assert [d.run_detector for d in decisions] == [True, False, True, True, True, False, False]
    assert decisions[3].reason is MotionReason.LIVE_TRACKS


@pytest.mark.parametrize(
    ("second_shape", "second_time"),
    [((H, W // 2, 3), 0.5), ((H, W, 3), -5.0)],
)
def test_new_size_or_time_going_back_restarts(
    rng: np.random.Generator, second_shape: tuple[int, int, int], second_time: float
) -> None:
    gate = MotionGate()
    gate.step(noisy(scene(rng), rng), 0.0, False)
    second = np.zeros(second_shape, np.uint8)
    assert gate.step(second, second_time, False).reason is MotionReason.FIRST_FRAME


def test_grey_input_and_motion_mask(rng: np.random.Generator) -> None:
    gate = MotionGate()
    background = scene(rng)[:, :, 0]
    assert not gate.motion_mask(background).any()
    gate.step(background, 0.0, False)
    mask = gate.motion_mask(with_square(background, 300, 150, size=60))
    assert mask.shape == (90, 160) and mask.any()


@pytest.mark.parametrize(
    "polygon",
    [[(0.0, 0.0), (1.0, 1.0)], [(0.0, 0.0), (2.0, 0.0), (0.0, 1.0)]],
)
def test_bad_ignore_polygons_are_rejected(polygon: list[tuple[float, float]]) -> None:
    with pytest.raises(ValueError):
        MotionGate(ignore=[polygon])
