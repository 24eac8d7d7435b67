"""Overload: cameras served in turn (urgent ones a little earlier), each camera's detection rate
and share of its due detections, and one ``capacity`` problem while the box cannot keep up."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pytest

from stairwatch.gating import gate_frame
from stairwatch.runtime.capacity import CapacityWatch
from stairwatch.runtime.due_window import DueWindow
from stairwatch.runtime.health import CameraState, HealthSnapshot
from stairwatch.runtime.pending import URGENT_LEAD_S, PendingFrames
from streams.frame import Frame
from vision.motion import MotionGate, MotionParams

BASE = HealthSnapshot("cam", CameraState.ONLINE, 2.0, 0, 0, 0, 0, 0, 0, 0, 0, 0, None, None, None)


def frame(camera_id: str, t: float = 0.0) -> Frame:
    return Frame(camera_id, np.zeros((8, 8, 3), np.uint8), t, t, round(t * 10))


def health(camera: str, due: int, run: int, errors: int = 0) -> HealthSnapshot:
    return replace(
        BASE, camera_id=camera, detections_due=due, detections_run=run, detector_errors=errors
    )


def take_order(slots: PendingFrames) -> list[str]:
    return [p.frame.camera_id for p in slots.take(10, 0.0, 0.1)]


@pytest.mark.parametrize(
    ("puts", "expected"),
    [
        # Oldest first.
        ([("a", True), ("b", True), ("c", True)], ["a", "b", "c"]),
        # An urgent camera goes before quiet ones queued less than URGENT_LEAD_S before it.
        ([("a", False), ("b", False), ("c", True)], ["c", "a", "b"]),
        # A newer frame replacing a waiting one keeps the camera's turn: a busy camera whose
        # slot is overwritten again and again is not sent to the back each time.
        ([("a", True), ("b", True), ("a", True)], ["a", "b"]),
        # Urgency is kept when a quiet frame replaces an urgent one.
        ([("a", False), ("b", True), ("b", False)], ["b", "a"]),
    ],
)
def test_cameras_are_served_in_turn(puts: list[tuple[str, bool]], expected: list[str]) -> None:
    slots = PendingFrames()
    for camera, urgent in puts:
        slots.put(frame(camera), detect=True, urgent=urgent)
    assert take_order(slots) == expected


def test_a_quiet_camera_is_not_starved_by_urgent_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr("stairwatch.runtime.pending.time.monotonic", lambda: clock[0])
    slots = PendingFrames()
    slots.put(frame("quiet"), detect=True, urgent=False)
    clock[0] += URGENT_LEAD_S + 0.5
    slots.put(frame("busy"), detect=True, urgent=True)
    assert take_order(slots) == ["quiet", "busy"]


@pytest.mark.parametrize(
    ("samples", "expected_share", "expected_rate", "over"),
    [
        # 2 cameras, 2 due a second each, all run: fine.
        ([(0, {"a": (0, 0), "b": (0, 0)}), (30, {"a": (60, 60), "b": (60, 60)})], 1.0, 2.0, False),
        # Half of b's detections dropped: 75 % overall, b got 50 %.
        ([(0, {"a": (0, 0), "b": (0, 0)}), (30, {"a": (60, 60), "b": (60, 30)})], 0.5, 1.0, True),
        # Too few due detections to judge.
        ([(0, {"a": (0, 0), "b": (0, 0)}), (30, {"a": (5, 5), "b": (5, 1)})], 0.2, 0.033, False),
        # Too short a span to judge (the start: the model's first batches are slow).
        ([(0, {"a": (0, 0), "b": (0, 0)}), (5, {"a": (20, 20), "b": (20, 1)})], 0.05, 0.2, False),
    ],
)
def test_capacity_watch_rates_and_problem(
    samples: list[tuple[float, dict[str, tuple[int, int]]]],
    expected_share: float,
    expected_rate: float,
    over: bool,
) -> None:
    watch = CapacityWatch(window_s=60.0)
    for at, counts in samples:
        watch.observe([health(c, due, run) for c, (due, run) in counts.items()], at)
    rates = watch.rates()
    assert rates["b"].due_share == pytest.approx(expected_share)
    assert rates["b"].detections_per_s == pytest.approx(expected_rate)
    problem = watch.problem()
    assert (problem is not None) is over
    if problem is not None:
        assert problem.subject == "capacity" and "worst camera got 50%" in problem.message


def test_capacity_problem_is_logged_once_and_clears(caplog: pytest.LogCaptureFixture) -> None:
    watch = CapacityWatch(window_s=10.0)
    caplog.set_level(logging.INFO, logger="stairwatch.runtime.capacity")
    for second in range(0, 30):  # 2 due a second, 1 run: over capacity throughout
        watch.observe([health("a", 2 * second, second)], float(second))
    assert watch.problem() is not None
    for second in range(30, 60):  # then every due detection runs
        watch.observe([health("a", 2 * second, second + 2 * (second - 29))], float(second))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "over capacity" in warnings[0].message
    assert watch.problem() is None
    assert any("every due detection runs again" in r.message for r in caplog.records)


@pytest.mark.parametrize(
    ("images", "tracks", "expected"),
    [
        ([0, 0], False, [(True, True), (False, False)]),  # first frame, then a still scene
        ([0, 255], False, [(True, True), (True, True)]),  # motion
        ([0, 0], True, [(True, True), (True, True)]),  # objects tracked
    ],
)
def test_gate_frame_says_what_is_urgent(
    images: list[int], tracks: bool, expected: list[tuple[bool, bool]]
) -> None:
    gate = MotionGate(MotionParams(max_skip_s=100.0))
    got = []
    for i, level in enumerate(images):
        image = np.full((48, 64, 3), level, np.uint8)
        got.append(gate_frame(gate, Frame("c", image, i * 0.5, i * 0.5, i), tracks))
    assert got == expected
    assert gate_frame(None, frame("c"), False) == (True, True)


def test_a_failing_detector_is_not_a_capacity_problem() -> None:
    """Frames whose detector call failed were due and did not run, but not for want of cores."""
    watch = CapacityWatch(window_s=60.0)
    watch.observe([health("a", 0, 0)], 0.0)
    watch.observe([health("a", 60, 20, errors=40)], 30.0)
    assert watch.problem() is None
    assert watch.rates()["a"].due_share == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("passes", "counts", "span_s", "least_backlog"),
    [
        ([], {}, 0.0, 0),
        ([(0.0, [("a", 4, 2)], 3)], {}, 0.0, 3),  # one pass: nothing to compare yet
        # a camera that appears later counts from its first pass; errors are not due
        (
            [(0.0, [("a", 4, 2)], 5), (1.0, [("a", 8, 5), ("b", 3, 3)], 2)],
            {"a": (4, 3), "b": (0, 0)},
            1.0,
            2,
        ),
        # a pass is forgotten once the next one is older than the window: it is the base
        (
            [(0.0, [("a", 0, 0)], 9), (3.0, [("a", 10, 5)], 9), (14.0, [("a", 30, 9)], 1)],
            {"a": (20, 4)},
            11.0,
            1,
        ),
    ],
)
def test_the_due_window_counts_over_its_span(
    passes: list[tuple[float, list[tuple[str, int, int]], int]],
    counts: dict[str, tuple[int, int]],
    span_s: float,
    least_backlog: int,
) -> None:
    window = DueWindow(window_s=10.0)
    for at, cameras, backlog in passes:
        window.observe([health(c, due, run) for c, due, run in cameras], at, backlog)
    assert (window.counts(), window.span_s, window.least_backlog()) == (
        counts,
        span_s,
        least_backlog,
    )
