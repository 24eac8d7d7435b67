"""The shed rules over synthetic observation sequences at 2 fps, through the real engine:
shed_intrusion (closed hours), exit_blocked, and which charging spots are taken."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from alerts.engine import CameraRuleEngine
from alerts.events import ChangeKind, EventChange, EventType, Severity
from alerts.params import RuleParams, RuleParamsOverride
from alerts.rules.shed_spots import ShedOccupancy
from tests.test_rules import DT, Obj, observation
from vision.kinds import ObjectKind
from vision.zones import Zone, ZoneKind

DAY = datetime(2026, 12, 7, tzinfo=UTC)
SPOT_A = Zone("A1", ZoneKind.SHED, ((0.1, 0.6), (0.4, 0.6), (0.4, 0.95), (0.1, 0.95)))
SPOT_B = Zone("A2", ZoneKind.SHED, ((0.6, 0.6), (0.9, 0.6), (0.9, 0.95), (0.6, 0.95)))
SHED = Zone(
    "shed", ZoneKind.SHED, ((0.05, 0.3), (0.95, 0.3), (0.95, 1.0), (0.05, 1.0)), (SPOT_A, SPOT_B)
)
EXIT = Zone("exit", ZoneKind.EXIT, ((0.3, 0.5), (0.7, 0.5), (0.7, 1.0), (0.3, 1.0)))

Scene = Callable[[float], Sequence[Obj]]


def person_at(cx: float, bottom: float = 420.0, tid: int = 5) -> Obj:
    return Obj("person", (cx - 30, bottom - 170, cx + 30, bottom), tid=tid)


def vehicle_at(kind: str, cx: float, bottom: float = 420.0, tid: int = 1) -> Obj:
    return Obj(kind, (cx - 80, bottom - 110, cx + 80, bottom), tid=tid)


def run_at(
    scene: Scene,
    duration_s: float,
    start: datetime,
    zones: Sequence[Zone],
    params: RuleParams,
) -> tuple[list[tuple[float, EventChange]], list[tuple[float, tuple[ShedOccupancy, ...]]]]:
    """Frames every DT seconds from ``start`` (wall clock, UTC site); the rule clock starts at 0."""
    engine = CameraRuleEngine("cam1", zones, params, tz=UTC)
    changes, occupancy = [], []
    for i in range(round(duration_s / DT) + 1):
        t = i * DT
        obs = replace(observation(t, scene(t)), wall_ts=start.timestamp() + t)
        changes += [(t, c) for c in engine.step(obs)]
        occupancy.append((t, engine.occupancy))
    return changes, occupancy


def params_with(**sections: dict[str, object]) -> RuleParams:
    return RuleParams().merged(RuleParamsOverride.model_validate(sections))


def shed_params(closed: list[str], **more: object) -> RuleParams:
    return params_with(shed_intrusion={"closed_hours": closed, **more})


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return DAY.replace(hour=hour, minute=minute, second=second)


def stays(from_s: float, to_s: float, cx: float = 320.0, tid: int = 5) -> Scene:
    return lambda t: [person_at(cx, tid=tid)] if from_s <= t < to_s else []


def walks_through(t: float) -> list[Obj]:
    return [person_at(40 + 80 * t)] if t < 8 else []


def one_then_another(t: float) -> list[Obj]:
    """Someone in the shed for 8 s; 5 s after they are gone, someone else for 15 s."""
    return [*stays(0, 8)(t), *stays(13, 28, tid=6)(t)]


def two_together(t: float) -> list[Obj]:
    return [*stays(0, 40)(t), *stays(0, 40, cx=500, tid=6)(t)]


def relieved(t: float) -> list[Obj]:
    """One person 0-30 s, another 25-90 s elsewhere in the shed: one intrusion all along."""
    return [*stays(0, 30)(t), *stays(25, 90, cx=500, tid=6)(t)]


def raised(changes: list[tuple[float, EventChange]]) -> list[float]:
    return [t for t, c in changes if c.kind is ChangeKind.RAISED]


# --- shed_intrusion ----------------------------------------------------------------------

INTRUSION_CASES = [
    # id, closed hours, clip start (site time), scene, duration, RAISED times
    ("inside the closed shed", ["22:00-06:00"], at(23), stays(0, 60), 60, [20.0]),
    ("brief passer-by", ["22:00-06:00"], at(23), walks_through, 30, []),
    ("short visit under min_s", ["22:00-06:00"], at(23), stays(0, 15), 40, []),
    ("open hours", ["22:00-06:00"], at(12), stays(0, 60), 60, []),
    ("across midnight", ["22:00-06:00"], at(23, 59, 50), stays(0, 60), 60, [20.0]),
    ("inside before closing", ["22:00-06:00"], at(21, 59, 50), stays(0, 60), 60, [30.0]),
    ("inside until opening", ["22:00-06:00"], at(5, 59, 50), stays(0, 60), 60, []),
    ("closing at midnight", ["00:00-06:00"], at(23, 59, 55), stays(0, 60), 60, [25.0]),
    ("closed all day", ["00:00-00:00"], at(12), stays(0, 60), 60, [20.0]),
    ("two windows, second one", ["01:00-02:00", "13:00-14:00"], at(13), stays(0, 60), 60, [20.0]),
    ("no schedule, never closed", [], at(23), stays(0, 60), 60, []),
    ("passer-by, then another soon after", ["22:00-06:00"], at(23), one_then_another, 40, []),
    ("two together are one intrusion", ["22:00-06:00"], at(23), two_together, 40, [20.0]),
    ("one leaves, the other stays on", ["22:00-06:00"], at(23), relieved, 90, [20.0]),
    (
        "left and came back",
        ["22:00-06:00"],
        at(23),
        lambda t: stays(0, 25)(t) or stays(50, 80)(t),
        80,
        [20.0, 70.0],
    ),
]


@pytest.mark.parametrize(
    ("closed", "start", "scene", "duration", "raised_at"),
    [c[1:] for c in INTRUSION_CASES],
    ids=[c[0] for c in INTRUSION_CASES],
)
def test_shed_intrusion(
    closed: list[str], start: datetime, scene: Scene, duration: float, raised_at: list
) -> None:
    changes, _ = run_at(scene, duration, start, (SHED,), shed_params(closed))
    assert raised(changes) == raised_at
    for _, change in changes:
        assert change.event.type is EventType.SHED_INTRUSION
        assert change.event.severity is Severity.HIGH
        assert change.event.zone == "shed"


def test_each_shed_has_its_own_schedule() -> None:
    """The schedule is the shed zone's own rules: a shed without one is never closed."""
    other = Zone("shed2", ZoneKind.SHED, ((0.0, 0.0), (0.3, 0.0), (0.3, 0.25), (0.0, 0.25)))
    closed = RuleParams().merged(
        RuleParamsOverride.model_validate({"shed_intrusion": {"closed_hours": ["22:00-06:00"]}})
    )
    engine = CameraRuleEngine("cam1", (SHED, other), RuleParams(), {"shed": closed}, tz=UTC)
    out = []
    for i in range(121):
        t = i * DT
        people = [person_at(320), person_at(60, bottom=100, tid=6)]
        obs = replace(observation(t, people), wall_ts=at(23).timestamp() + t)
        out += engine.step(obs)
    assert [(c.kind, c.event.zone) for c in out] == [(ChangeKind.RAISED, "shed")]


def test_intrusion_ends_when_they_leave() -> None:
    changes, _ = run_at(stays(0, 40), 60, at(23), (SHED,), shed_params(["22:00-06:00"]))
    assert Counter(c.kind.value for _, c in changes) == Counter(raised=1, ended=1)
    assert [c.event.end_ts for _, c in changes if c.kind is ChangeKind.ENDED] == [39.5]


# --- exit_blocked ------------------------------------------------------------------------


def left_in_exit(kind: str, from_s: float = 0.0, to_s: float = 1e9) -> Scene:
    return lambda t: [vehicle_at(kind, 320)] if from_s <= t < to_s else []


def wheeled_through(t: float) -> list[Obj]:
    return [vehicle_at("bicycle", 40 + 40 * t), person_at(60 + 40 * t)]


EXIT_CASES = [
    # id, scene, duration, overrides, RAISED times
    ("bicycle left in the exit", left_in_exit("bicycle"), 130, {}, [120.0]),
    ("e-bike left in the exit", left_in_exit("ebike"), 130, {}, [120.0]),
    ("moved away before dwell_s", left_in_exit("bicycle", 0, 100), 130, {}, []),
    ("wheeled through", wheeled_through, 15, {}, []),
    ("a person standing is no object", lambda t: [person_at(320)], 200, {}, []),
    ("shorter dwell_s", left_in_exit("bicycle"), 40, {"dwell_s": 30}, [30.0]),
    ("only the kinds listed", left_in_exit("bicycle"), 130, {"kinds": ["ebike"]}, []),
]


@pytest.mark.parametrize(
    ("scene", "duration", "overrides", "raised_at"),
    [c[1:] for c in EXIT_CASES],
    ids=[c[0] for c in EXIT_CASES],
)
def test_exit_blocked(scene: Scene, duration: float, overrides: dict, raised_at: list) -> None:
    changes, _ = run_at(scene, duration, at(12), (EXIT,), params_with(exit_blocked=overrides))
    assert raised(changes) == raised_at
    for _, change in changes:
        assert change.event.type is EventType.EXIT_BLOCKED
        assert change.event.severity is Severity.HIGH


def test_detector_flipping_kinds_is_one_stay() -> None:
    """A bicycle the detector now and then calls an e-bike is one object, one event."""
    scene: Scene = lambda t: [vehicle_at("ebike" if int(t) % 7 == 0 else "bicycle", 320)]  # noqa: E731
    changes, _ = run_at(scene, 130, at(12), (EXIT,), RuleParams())
    assert raised(changes) == [120.0]


# --- charging spots ----------------------------------------------------------------------

A, B = 160.0, 480.0  # the centres of spots A1 and A2, in pixels


def occupants(occupancy: tuple[ShedOccupancy, ...]) -> dict[str, str | None]:
    (shed,) = occupancy
    return {s.name: s.occupant.value if s.occupant else None for s in shed.spots}


def moved(t: float) -> list[Obj]:
    """Parked at A1, wheeled to A2 at 20-26 s, parked there."""
    cx = A if t < 20 else B if t >= 26 else A + (B - A) * (t - 20) / 6
    return [vehicle_at("ebike", cx)]


def hidden_for(gap: tuple[float, float]) -> Scene:
    return lambda t: [] if gap[0] <= t < gap[1] else [vehicle_at("ebike", A)]


SPOT_CASES = [
    # id, scene, duration, occupants at the end, frees seen at some point
    ("e-bike in A1", lambda t: [vehicle_at("ebike", A)], 10, {"A1": "ebike", "A2": None}),
    ("bicycle in A2", lambda t: [vehicle_at("bicycle", B)], 10, {"A1": None, "A2": "bicycle"}),
    ("e-bike moved to A2", moved, 40, {"A1": None, "A2": "ebike"}),
    ("hidden 10 s by people", hidden_for((10, 20)), 25, {"A1": "ebike", "A2": None}),
    ("gone for good", hidden_for((10, 1e9)), 50, {"A1": None, "A2": None}),
    (
        "wheeled past, never stops",
        lambda t: [vehicle_at("ebike", 40 + 60 * t)],
        9,
        {"A1": None, "A2": None},
    ),
]


@pytest.mark.parametrize(
    ("scene", "duration", "expected"),
    [c[1:] for c in SPOT_CASES],
    ids=[c[0] for c in SPOT_CASES],
)
def test_spots_taken(scene: Scene, duration: float, expected: dict) -> None:
    changes, occupancy = run_at(scene, duration, at(12), (SHED,), RuleParams())
    assert changes == []  # occupancy is no event
    assert occupants(occupancy[-1][1]) == expected


def test_spot_occupancy_is_smoothed() -> None:
    """Once settled, a parked bike hidden for less than clear_after_s never frees its spot, and a
    bike moved between spots is never in both at once."""
    _, hidden = run_at(hidden_for((10, 20)), 40, at(12), (SHED,), RuleParams())
    assert all(occupants(o)["A1"] == "ebike" for t, o in hidden if t >= 3)
    _, moving = run_at(moved, 40, at(12), (SHED,), RuleParams())
    assert all(list(occupants(o).values()).count("ebike") <= 1 for _, o in moving)
    taken_a = [t for t, o in moving if occupants(o)["A1"] == "ebike"]
    assert max(taken_a) <= 21.5  # freed once it is seen moving (the speed window: 3 s)


def test_shed_counts() -> None:
    _, occupancy = run_at(lambda t: [vehicle_at("bicycle", B)], 10, at(12), (SHED,), RuleParams())
    (shed,) = occupancy[-1][1]
    assert (shed.shed, shed.total, shed.free) == ("shed", 2, 1)


def test_no_spots_no_occupancy() -> None:
    _, occupancy = run_at(lambda t: [], 2, at(12), (replace(SHED, spots=()),), RuleParams())
    assert all(o == () for _, o in occupancy)


def test_occupancy_kinds_are_the_vehicle_kinds() -> None:
    _, occupancy = run_at(lambda t: [person_at(A)], 10, at(12), (SHED,), RuleParams())
    assert occupants(occupancy[-1][1]) == {"A1": None, "A2": None}
    assert ObjectKind.PERSON.value not in {s.occupant for o in occupancy for s in o[1][0].spots}
