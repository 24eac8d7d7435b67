"""One event per stay: objects lost for a moment and found again, through the real engine.

Scenes run at 2 fps (``tests.test_rules.run``). A stay survives gaps shorter than the rule's
``clear_after_s``, tracker id switches and a re-found box a little further on (overlapping, or
its anchor within ``presence.refind_distance`` box widths); objects seen side by side stay
apart, and one found far away, or after ``clear_after_s``, is a new stay.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import pytest

from alerts.engine import CameraRuleEngine
from alerts.events import ChangeKind, EventChange
from alerts.observation import Observation
from alerts.params import RuleParams
from tests.test_rules import (
    CABLE_WATCH,
    CORRIDOR,
    DT,
    ELEVATOR,
    H,
    Obj,
    Scene,
    W,
    bike_at,
    kinds,
    observation,
    run,
    with_params,
)
from vision.tracking import ObjectTracker

Span = tuple[float, float, Sequence[Obj]]


def timeline(*spans: Span) -> Scene:
    """Each span's objects from its start (inclusive) to its end (exclusive); nothing between."""
    return lambda t: [o for start, end, objs in spans if start <= t < end for o in objs]


def small_bike(cx: float, tid: int) -> Obj:
    return bike_at(cx, h=60, tid=tid)  # 90 x 60 px


def lift_bike(x1: float, tid: int) -> Obj:
    return Obj("ebike", (x1, 200, x1 + 150, 420), tid=tid)  # 150 x 220 px


def cable(x1: float, tid: int, width: float = 200) -> Obj:
    return Obj("cable", (x1, 60, x1 + width, 200), 0.7, tid=tid)


# Corridor (no_parking, x 64..576 px): dwell_s 60, clear_after_s 10. bike_at boxes: 180 x 120 px.
PARKED_CASES = [
    # id, scene, duration, the story: (t, "raised") and (t, "ended", end_ts)
    (
        "found 0.8 widths further on under a new id",
        timeline((0, 70, [bike_at(320, tid=1)]), (72, 120, [bike_at(470, tid=2)])),
        120,
        [(60.0, "raised")],
    ),
    (
        "fragmented after the alert: three gaps < clear_after_s, new id and place each time",
        timeline(
            (0, 70, [bike_at(320, tid=1)]),
            (73, 85, [bike_at(420, tid=2)]),
            (88, 100, [bike_at(330, tid=3)]),
            (105, 130, [bike_at(250, tid=4)]),
        ),
        150,
        [(60.0, "raised"), (140.0, "ended", 129.5)],
    ),
    (
        "gap > clear_after_s: a new stay",
        timeline((0, 70, [bike_at(320, tid=1)]), (82, 150, [bike_at(360, tid=2)])),
        150,
        [(60.0, "raised"), (80.0, "ended", 69.5), (142.0, "raised")],
    ),
    (
        "found far away (1.8 widths): a new stay",
        timeline((0, 70, [bike_at(150, tid=1)]), (72, 140, [bike_at(470, tid=2)])),
        140,
        [(60.0, "raised"), (80.0, "ended", 69.5), (132.0, "raised")],
    ),
    (
        "two bikes side by side",
        timeline((0, 100, [small_bike(200, 1), small_bike(320, 2)])),
        100,
        [(60.0, "raised"), (60.0, "raised")],
    ),
    (
        "two bikes side by side, lost at once, each found a little further on",
        timeline(
            (0, 70, [small_bike(200, 1), small_bike(320, 2)]),
            (72, 100, [small_bike(150, 3), small_bike(370, 4)]),
        ),
        100,
        [(60.0, "raised"), (60.0, "raised")],
    ),
    (
        "two bikes side by side, one lost and found again beside the other",
        timeline(
            (0, 100, [small_bike(320, 2)]),
            (0, 70, [small_bike(200, 1)]),
            (73, 100, [small_bike(250, 3)]),
        ),
        100,
        [(60.0, "raised"), (60.0, "raised")],
    ),
    (
        "one leaves, another arrives after clear_after_s",
        timeline((0, 70, [bike_at(320, tid=1)]), (85, 150, [bike_at(340, tid=2)])),
        150,
        [(60.0, "raised"), (80.0, "ended", 69.5), (145.0, "raised")],
    ),
    (
        "another arrives within clear_after_s: the spot is still taken, one stay",
        timeline((0, 70, [bike_at(320, tid=1)]), (75, 120, [bike_at(300, h=100, tid=2)])),
        120,
        [(60.0, "raised")],
    ),
]


def story(changes: list[tuple[float, EventChange]]) -> list[tuple[float, ...]]:
    """(t, "raised") and (t, "ended", end_ts) of each change, in order; updates left out."""
    out: list[tuple] = []
    for t, c in changes:
        if c.kind is ChangeKind.RAISED:
            out.append((t, "raised"))
        elif c.kind is ChangeKind.ENDED:
            out.append((t, "ended", c.event.end_ts))
    return out


@pytest.mark.parametrize(
    ("scene", "duration", "expected"),
    [c[1:] for c in PARKED_CASES],
    ids=[c[0] for c in PARKED_CASES],
)
def test_ebike_parked_stays(scene: Scene, duration: float, expected: list) -> None:
    _, changes = run(scene, duration)
    assert story(changes) == expected


# Whole-frame elevator zone: min_s 1, clear_after_s 5. lift_bike boxes: 150 x 220 px.
ELEVATOR_CASES = [
    (
        "lost 1.5 s, found 0.9 widths further on under a new id",
        timeline((0, 5, [lift_bike(250, 3)]), (6.5, 20, [lift_bike(390, 4)])),
        20,
        {},
        [(1.0, "raised")],
    ),
    (
        "fragmented: gaps < clear_after_s, new id and place each time",
        timeline(
            (0, 4, [lift_bike(250, 3)]),
            (6, 9, [lift_bike(380, 4)]),
            (12, 15, [lift_bike(250, 5)]),
            (18, 22, [lift_bike(120, 6)]),
        ),
        30,
        {},
        [(1.0, "raised"), (27.0, "ended", 21.5)],
    ),
    (
        "gap > clear_after_s: a new ride",
        timeline((0, 5, [lift_bike(250, 3)]), (11, 20, [lift_bike(300, 4)])),
        20,
        {},
        [(1.0, "raised"), (10.0, "ended", 4.5), (12.0, "raised")],
    ),
    (
        "found far away (2.7 widths): another e-bike",
        timeline((0, 5, [lift_bike(50, 3)]), (6, 15, [lift_bike(450, 4)])),
        15,
        {},
        [(1.0, "raised"), (7.0, "raised"), (10.0, "ended", 4.5)],
    ),
    (
        "refind_distance 0: only an overlapping box continues the stay",
        timeline((0, 5, [lift_bike(250, 3)]), (6.5, 20, [lift_bike(410, 4)])),
        20,
        {"presence": {"refind_distance": 0}},
        [(1.0, "raised"), (7.5, "raised"), (10.0, "ended", 4.5)],
    ),
    (
        "two e-bikes side by side",
        timeline((0, 10, [lift_bike(100, 3), lift_bike(300, 4)])),
        10,
        {},
        [(1.0, "raised"), (1.0, "raised")],
    ),
    (
        "two e-bikes, lost at once, each found a little further on",
        timeline(
            (0, 5, [lift_bike(100, 3), lift_bike(350, 4)]),
            (6, 10, [lift_bike(10, 5), lift_bike(440, 6)]),
        ),
        10,
        {},
        [(1.0, "raised"), (1.0, "raised")],
    ),
]


@pytest.mark.parametrize(
    ("scene", "duration", "overrides", "expected"),
    [c[1:] for c in ELEVATOR_CASES],
    ids=[c[0] for c in ELEVATOR_CASES],
)
def test_ebike_in_elevator_stays(
    scene: Scene, duration: float, overrides: dict, expected: list
) -> None:
    _, changes = run(scene, duration, zones=(ELEVATOR,), params=with_params(**overrides))
    assert story(changes) == expected


# "wall" cable_watch zone (x 0..320, y 0..336 px): persist_s 10, clear_after_s 10.
WIRE_CASES = [
    (
        "cable flickers, found a little further on under new ids",
        timeline((0, 12, [cable(60, 5)]), (14, 20, [cable(210, 6)]), (23, 30, [cable(80, 7)])),
        30,
        [(10.0, "raised")],
    ),
    (
        "cable gone > clear_after_s: a new one",
        timeline((0, 12, [cable(60, 5)]), (25, 40, [cable(100, 6)])),
        40,
        [(10.0, "raised"), (22.0, "ended", 11.5), (35.0, "raised")],
    ),
    (
        "two cables side by side",
        timeline((0, 15, [cable(0, 5, width=100), cable(150, 6, width=100)])),
        15,
        [(10.0, "raised"), (10.0, "raised")],
    ),
    (
        "one wire boxed whole and in part",
        timeline((0, 15, [cable(0, 5, width=250), cable(60, 6, width=80)])),
        15,
        [(10.0, "raised")],
    ),
    (
        "one wire in two overlapping boxes (detector and finder), the second from 3 s",
        timeline((0, 15, [cable(0, 5, width=150)]), (3, 15, [cable(100, 6, width=150)])),
        15,
        [(10.0, "raised")],
    ),
]


@pytest.mark.parametrize(
    ("scene", "duration", "expected"),
    [c[1:] for c in WIRE_CASES],
    ids=[c[0] for c in WIRE_CASES],
)
def test_flying_wire_stays(scene: Scene, duration: float, expected: list) -> None:
    _, changes = run(scene, duration, zones=(CABLE_WATCH,))
    assert story(changes) == expected


def test_the_event_follows_the_object_found_again() -> None:
    """Same key from RAISED to ENDED; the record shows where and under which id it was last."""
    scene = timeline((0, 5, [lift_bike(250, 3)]), (6.5, 10, [lift_bike(390, 4)]))
    _, changes = run(scene, 20, zones=(ELEVATOR,))
    (raised,) = [c.event for _, c in changes if c.kind is ChangeKind.RAISED]
    (ended,) = [c.event for _, c in changes if c.kind is ChangeKind.ENDED]
    assert ended.key == raised.key and (raised.track_id, ended.track_id) == (3, 4)
    assert ended.box is not None and ended.box.x1 == pytest.approx(390 / W)
    assert ended.end_ts == 9.5


def test_through_the_tracker_lost_and_found_further_on() -> None:
    """ObjectTracker then the engine: a bike hidden for 3 s and found 0.8 widths on gets a new
    track id (its box no longer overlaps the predicted one enough), yet stays one event."""
    tracker = ObjectTracker()
    engine = CameraRuleEngine("cam1", (CORRIDOR,), RuleParams())
    changes, ids = [], set()
    for i in range(round(120 / DT)):
        t = i * DT
        objs = [] if 70 <= t < 73 else [bike_at(320 if t < 70 else 470, tid=None)]
        tracked = tracker.update(observation(t, objs).detections, t)
        ids |= {int(i) for i in np.asarray(tracked.tracker_id)}
        changes += [(t, c) for c in engine.step(Observation("cam1", t, W, H, tracked))]
    assert len(ids) == 2
    assert kinds(changes) == Counter({"raised": 1})
