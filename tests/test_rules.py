"""Rules over synthetic observation sequences at 2 fps, through the real CameraRuleEngine."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import cv2
import numpy as np
import pytest

from alerts.engine import EVENT_RULES, CameraRuleEngine, EngineState, RuleEngineError
from alerts.events import ChangeKind, EventChange, EventType, Severity
from alerts.observation import Observation
from alerts.params import RuleParams, RuleParamsOverride
from vision.detections import Detections
from vision.kinds import KIND_NAMES
from vision.tracking import ObjectTracker
from vision.zones import Zone, ZoneKind

W, H = 640, 480
DT = 0.5  # 2 fps

CORRIDOR = Zone("corridor", ZoneKind.NO_PARKING, ((0.1, 0.3), (0.9, 0.3), (0.9, 0.95), (0.1, 0.95)))
LANDING = Zone("landing", ZoneKind.NO_PARKING, ((0.3, 0.6), (0.7, 0.6), (0.7, 0.95), (0.3, 0.95)))
ELEVATOR = Zone("lift", ZoneKind.ELEVATOR, ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)))
SHED = Zone("shed", ZoneKind.SHED, ((0.6, 0.55), (0.9, 0.55), (0.9, 0.95), (0.6, 0.95)))
CABLE_WATCH = Zone("wall", ZoneKind.CABLE_WATCH, ((0.0, 0.0), (0.5, 0.0), (0.5, 0.7), (0.0, 0.7)))


@dataclass(frozen=True)
class Obj:
    """One detection in a synthetic frame: kind, pixel box, score, tracker id."""

    kind: str
    box: tuple[float, float, float, float]
    conf: float = 0.9
    tid: int | None = 1


Scene = Callable[[float], Sequence[Obj]]


def bike_at(cx: float, bottom: float = 400.0, h: float = 120.0, **kw: object) -> Obj:
    w = 1.5 * h
    return Obj("ebike", (cx - w / 2, bottom - h, cx + w / 2, bottom), **kw)  # type: ignore[arg-type]


def observation(t: float, objs: Sequence[Obj], image: np.ndarray | None = None) -> Observation:
    n = len(objs)
    det = Detections(
        xyxy=np.array([o.box for o in objs], np.float32).reshape(n, 4),
        confidence=np.array([o.conf for o in objs], np.float32),
        class_id=np.array([KIND_NAMES.index(o.kind) for o in objs], np.int32),
        class_names=KIND_NAMES,
        tracker_id=np.array([o.tid if o.tid is not None else -1 for o in objs], np.int64),
    )
    return Observation("cam1", t, W, H, det, image)


def run(
    scene: Scene,
    duration_s: float,
    zones: Sequence[Zone] = (CORRIDOR,),
    params: RuleParams | None = None,
    image: Callable[[float], np.ndarray | None] = lambda t: None,
) -> tuple[CameraRuleEngine, list[tuple[float, EventChange]]]:
    engine = CameraRuleEngine("cam1", zones, params or RuleParams())
    out = []
    for i in range(round(duration_s / DT) + 1):
        t = i * DT
        out += [(t, c) for c in engine.step(observation(t, scene(t), image(t)))]
    return engine, out


def kinds(changes: list[tuple[float, EventChange]]) -> Counter[str]:
    return Counter(c.kind.value for _, c in changes)


def when(changes: list[tuple[float, EventChange]], kind: ChangeKind) -> list[float]:
    return [t for t, c in changes if c.kind is kind]


def with_params(**sections: dict[str, object]) -> RuleParams:
    return RuleParams().merged(RuleParamsOverride.model_validate(sections))


# --- ebike_parked ------------------------------------------------------------------------


def parked(t: float) -> list[Obj]:
    return [bike_at(320)]


def arrives_then_parks(t: float) -> list[Obj]:
    return [bike_at(min(100 + 60 * t, 320))]  # 0.5 box heights/s until t = 3.67, then at rest


def passes_through(t: float) -> list[Obj]:
    return [bike_at(40 + 60 * t)]


def wheeled(speed_px: float) -> Scene:
    def scene(t: float) -> list[Obj]:
        bike = bike_at(100 + speed_px * t, h=60)
        _, _, x2, y2 = bike.box
        return [bike, Obj("person", (x2 - 30, y2 - 170, x2 + 30, y2), tid=2)]

    return scene


def slow_drift_alone(t: float) -> list[Obj]:
    return [bike_at(100 + 6 * t, h=60)]


def with_gaps(gaps: Sequence[tuple[float, float]]) -> Scene:
    return lambda t: [] if any(a <= t < b for a, b in gaps) else [bike_at(320)]


def id_switches(t: float) -> list[Obj]:
    jitter = 4 * np.sin(t * 7.0)
    return [bike_at(320 + jitter, bottom=400 - jitter, tid=1 + int(t // 10))]


def two_bikes(t: float) -> list[Obj]:
    return [bike_at(200, tid=1), bike_at(470, tid=2)]


def leaves_and_returns(t: float) -> list[Obj]:
    return [] if 80 <= t < 110 else [bike_at(320, tid=1 if t < 80 else 7)]


def until(end_s: float, scene: Scene) -> Scene:
    return lambda t: scene(t) if t < end_s else []


PARKED_CASES = [
    # id, scene, duration, expected counts, expected RAISED times
    ("parks", parked, 120, {"raised": 1}, [60.0]),
    ("arrives then parks", arrives_then_parks, 120, {"raised": 1}, [63.5]),
    ("short stay", until(40, parked), 60, {}, []),
    ("passes through", passes_through, 10, {}, []),
    ("wheeled at walking pace", wheeled(60), 8, {}, []),
    ("wheeled slowly with a person", wheeled(6), 80, {}, []),
    ("same slow drift, nobody with it", slow_drift_alone, 80, {"raised": 1}, [60.5]),
    (
        "occlusion gaps < clear_after_s",
        with_gaps([(10, 19), (30, 39.5), (55, 64)]),
        80,
        {"raised": 1},
        [64.0],
    ),
    ("gap > clear_after_s restarts", with_gaps([(20, 32)]), 100, {"raised": 1}, [92.0]),
    ("id switches and jitter", id_switches, 80, {"raised": 1}, [60.0]),
    ("two bikes at once", two_bikes, 80, {"raised": 2}, [60.0, 60.0]),
    ("leaves and returns", leaves_and_returns, 200, {"raised": 2, "ended": 1}, [60.0, 170.0]),
    ("parked then gone", until(100, parked), 115, {"raised": 1, "ended": 1}, [60.0]),
]


@pytest.mark.parametrize(
    ("scene", "duration", "expected", "raised_at"),
    [c[1:] for c in PARKED_CASES],
    ids=[c[0] for c in PARKED_CASES],
)
def test_ebike_parked(scene: Scene, duration: float, expected: dict, raised_at: list) -> None:
    _, changes = run(scene, duration)
    assert kinds(changes) == Counter(expected)
    assert when(changes, ChangeKind.RAISED) == raised_at
    for _, change in changes:
        assert change.event.type is EventType.EBIKE_PARKED
        assert change.event.severity is Severity.HIGH


def wheeled_out_of_the_shed(t: float) -> list[Obj]:
    return [bike_at(480 if t < 30 else max(480 - 60 * (t - 30), 200))]  # at rest from 34.7 s


SHED_CASES = [
    # id, scene, zones, expected RAISED times
    ("at rest in the shed", lambda t: [bike_at(480)], (CORRIDOR, SHED), []),
    ("at rest beside the shed", lambda t: [bike_at(200)], (CORRIDOR, SHED), [60.0]),
    (
        "across the corridor into the shed",
        lambda t: [bike_at(min(100 + 60 * t, 480))],
        (CORRIDOR, SHED),
        [],
    ),
    ("just outside the shed, within the margin", lambda t: [bike_at(375)], (CORRIDOR, SHED), []),
    ("wheeled out and left", wheeled_out_of_the_shed, (CORRIDOR, SHED), [94.5]),
    ("a shed and no no_parking zone", lambda t: [bike_at(200)], (SHED,), []),
]


@pytest.mark.parametrize(
    ("scene", "zones", "raised_at"),
    [c[1:] for c in SHED_CASES],
    ids=[c[0] for c in SHED_CASES],
)
def test_sheds_are_carved_out_of_no_parking_zones(
    scene: Scene, zones: tuple[Zone, ...], raised_at: list[float]
) -> None:
    _, changes = run(scene, 120, zones=zones)
    assert when(changes, ChangeKind.RAISED) == raised_at
    assert all(c.event.zone == "corridor" for _, c in changes)


def test_parked_event_record_fields() -> None:
    _, changes = run(arrives_then_parks, 120)
    (record,) = [c.event for _, c in changes if c.kind is ChangeKind.RAISED]
    assert record.key == "cam1:ebike_parked:corridor:1"
    assert record.zone == "corridor" and record.camera_id == "cam1"
    assert record.track_id == 1 and record.confidence == pytest.approx(0.9)
    assert record.start_ts == pytest.approx(3.5)  # came to rest
    assert record.alert_ts == 63.5 and record.end_ts is None
    assert record.box is not None
    assert record.box.x1 == pytest.approx(230 / W) and record.box.y2 == pytest.approx(400 / H)


def test_leaving_ends_the_event_at_the_last_sighting() -> None:
    _, changes = run(leaves_and_returns, 200)
    (ended,) = [(t, c.event) for t, c in changes if c.kind is ChangeKind.ENDED]
    assert ended[0] == 90.0 and ended[1].end_ts == 79.5
    keys = [c.event.key for _, c in changes if c.kind is ChangeKind.RAISED]
    assert keys == ["cam1:ebike_parked:corridor:1", "cam1:ebike_parked:corridor:2"]


def test_two_bikes_are_two_events() -> None:
    _, changes = run(two_bikes, 80)
    raised = [c.event for _, c in changes if c.kind is ChangeKind.RAISED]
    assert len({r.key for r in raised}) == 2
    assert sorted(r.track_id or 0 for r in raised) == [1, 2]


def test_overlapping_zones_give_one_event_in_the_most_specific() -> None:
    _, changes = run(parked, 120, zones=(CORRIDOR, LANDING))
    (raised,) = [c.event for _, c in changes if c.kind is ChangeKind.RAISED]
    assert raised.zone == "landing"


def test_outside_every_zone_never_alerts() -> None:
    _, changes = run(lambda t: [bike_at(320, bottom=120)], 120)  # stands above the corridor
    assert changes == []


@pytest.mark.parametrize(
    ("remind_after_s", "stay_s", "expected"),
    [
        (600.0, 1800, {"raised": 1, "reminded": 2, "ended": 1}),
        (600.0, 1300, {"raised": 1, "reminded": 2, "ended": 1}),
        (600.0, 600, {"raised": 1, "ended": 1}),
        (None, 1800, {"raised": 1, "ended": 1}),
    ],
)
def test_reminders(remind_after_s: float | None, stay_s: float, expected: dict) -> None:
    params = with_params(ebike_parked={"remind_after_s": remind_after_s})
    _, changes = run(until(stay_s, parked), stay_s + 15, params=params)
    assert kinds(changes) == Counter(expected)
    reminded = when(changes, ChangeKind.REMINDED)
    assert reminded == [660.0, 1260.0][: len(reminded)]


def test_zone_params_override_the_camera() -> None:
    zone_params = {"landing": with_params(ebike_parked={"dwell_s": 20})}
    engine = CameraRuleEngine("cam1", (CORRIDOR, LANDING), RuleParams(), zone_params)
    raised = []
    for i in range(121):
        t = i * DT
        objs = [bike_at(320, tid=1), bike_at(120, tid=2)]  # landing, corridor only
        raised += [(t, c.event.zone) for c in engine.step(observation(t, objs))]
    assert raised == [(20.0, "landing"), (60.0, "corridor")]


@pytest.mark.parametrize(
    ("confidence", "expected_updates"),
    [
        (lambda t: 0.9, 0),  # same evidence all along: never re-rendered
        (lambda t: 0.5 if t < 80 else 0.95, 1),  # clearly better view once
        (lambda t: 0.6 if int(t * 2) % 2 else 0.7, 0),  # flicker below the ratio
    ],
    ids=["steady", "better once", "flicker"],
)
def test_better_evidence_updates(
    confidence: Callable[[float], float], expected_updates: int
) -> None:
    _, changes = run(lambda t: [bike_at(320, conf=confidence(t))], 120)
    assert kinds(changes)["updated"] == expected_updates
    if expected_updates:
        ((t, update),) = [(t, c) for t, c in changes if c.kind is ChangeKind.UPDATED]
        assert t == 80.0 and update.event.confidence == pytest.approx(0.95)


def test_flush_ends_open_events_and_keeps_numbering() -> None:
    engine, changes = run(parked, 100)
    assert kinds(changes) == Counter({"raised": 1})
    (ended,) = engine.flush(100.0)
    assert ended.kind is ChangeKind.ENDED and ended.event.end_ts == 100.0
    assert engine.flush(100.0) == []
    raised = []
    for i in range(121):
        raised += engine.step(observation(100.5 + i * DT, [bike_at(320)]))
    assert [c.event.key for c in raised] == ["cam1:ebike_parked:corridor:2"]


def test_engine_refuses_other_cameras_and_time_going_back() -> None:
    engine = CameraRuleEngine("cam1", (CORRIDOR,), RuleParams())
    engine.step(observation(5.0, []))
    with pytest.raises(RuleEngineError):
        engine.step(observation(4.0, []))
    other = Observation("cam2", 6.0, W, H, Detections.empty(KIND_NAMES))
    with pytest.raises(RuleEngineError):
        engine.step(other)


def test_state_is_inspectable() -> None:
    engine, _ = run(parked, 30)
    (trace,) = engine.state.ebike_parked.traces.traces
    assert trace.membership.zone == "corridor" and trace.rest_since == 0.0
    assert engine.state.ebike_parked.events == ()


# --- ebike_in_elevator -------------------------------------------------------------------


def in_lift(kind: str, present: Callable[[float], bool] = lambda t: True) -> Scene:
    return lambda t: [Obj(kind, (250, 200, 400, 420), tid=3)] if present(t) else []


ELEVATOR_CASES = [
    ("e-bike rides the lift", in_lift("ebike"), 10, {}, {"raised": 1}, [1.0]),
    ("bicycle is not an e-bike", in_lift("bicycle"), 10, {}, {}, []),
    ("person only", in_lift("person"), 10, {}, {}, []),
    (
        "two rides, two events",
        in_lift("ebike", lambda t: t < 10 or t >= 30),
        40,
        {},
        {"raised": 2, "ended": 1},
        [1.0, 31.0],
    ),
    (
        "min_s 0, enter at once",
        in_lift("ebike"),
        3,
        {"ebike_in_elevator": {"min_s": 0}, "presence": {"enter_frames": 1}},
        {"raised": 1},
        [0.0],
    ),
]


@pytest.mark.parametrize(
    ("scene", "duration", "overrides", "expected", "raised_at"),
    [c[1:] for c in ELEVATOR_CASES],
    ids=[c[0] for c in ELEVATOR_CASES],
)
def test_ebike_in_elevator(
    scene: Scene, duration: float, overrides: dict, expected: dict, raised_at: list
) -> None:
    _, changes = run(scene, duration, zones=(ELEVATOR,), params=with_params(**overrides))
    assert kinds(changes) == Counter(expected)
    assert when(changes, ChangeKind.RAISED) == raised_at
    for _, change in changes:
        assert change.event.type is EventType.EBIKE_IN_ELEVATOR
        assert change.event.severity is Severity.CRITICAL
        assert change.event.start_ts in (0.0, 30.0)


# --- flying_wire -------------------------------------------------------------------------

CABLE_BOX = (60.0, 60.0, 260.0, 200.0)  # inside the "wall" cable_watch zone


def wire_scene(
    cable_until: float = 1e9,
    box: tuple[float, float, float, float] = CABLE_BOX,
    bike_from: float | None = None,
) -> Scene:
    def scene(t: float) -> list[Obj]:
        objs = [Obj("cable", box, 0.7, tid=5)] if t < cable_until else []
        if bike_from is not None and t >= bike_from:
            objs.append(Obj("ebike", (250, 150, 400, 250), tid=6))  # touches the cable box
        return objs

    return scene


WIRE_CASES = [
    ("cable stays", wire_scene(), 15, {"raised": 1}, [(10.0, Severity.HIGH)]),
    ("cable too short", wire_scene(cable_until=8), 15, {}, []),
    ("cable outside zones", wire_scene(box=(400, 20, 600, 120)), 15, {}, []),
    (
        "cable reaches an e-bike",
        wire_scene(bike_from=0),
        15,
        {"raised": 1},
        [(10.0, Severity.CRITICAL)],
    ),
    (
        "e-bike arrives later: upgraded",
        wire_scene(bike_from=20),
        25,
        {"raised": 1, "updated": 1},
        [(10.0, Severity.HIGH), (20.0, Severity.CRITICAL)],
    ),
    (
        "cable unplugged",
        wire_scene(cable_until=15),
        30,
        {"raised": 1, "ended": 1},
        [(10.0, Severity.HIGH)],
    ),
]


@pytest.mark.parametrize(
    ("scene", "duration", "expected", "severities"),
    [c[1:] for c in WIRE_CASES],
    ids=[c[0] for c in WIRE_CASES],
)
def test_flying_wire(scene: Scene, duration: float, expected: dict, severities: list) -> None:
    _, changes = run(scene, duration, zones=(CABLE_WATCH,))
    assert kinds(changes) == Counter(expected)
    raised_or_updated = [
        (t, c.event.severity)
        for t, c in changes
        if c.kind in (ChangeKind.RAISED, ChangeKind.UPDATED)
    ]
    assert raised_or_updated == severities
    for _, change in changes:
        assert change.event.type is EventType.FLYING_WIRE and change.event.start_ts == 0.0


def test_cable_in_no_parking_zone_counts() -> None:
    box = (200.0, 250.0, 420.0, 330.0)  # lower half: inside the corridor
    _, changes = run(wire_scene(box=box), 12, zones=(CORRIDOR,))
    assert [c.event.zone for _, c in changes] == ["corridor"]


@pytest.mark.parametrize(
    ("shed", "raised"),
    [
        ((0.0, 0.0, 0.5, 0.5), 0),  # the cable's centre (160, 130) px is in the shed
        ((0.0, 0.0, 0.2, 0.5), 1),  # only its left end is: a wire run into the shed
    ],
)
def test_a_cable_in_a_shed_is_a_chargers(shed: tuple[float, ...], raised: int) -> None:
    x1, y1, x2, y2 = shed
    zone = Zone("shed", ZoneKind.SHED, ((x1, y1), (x2, y1), (x2, y2), (x1, y2)))
    _, changes = run(wire_scene(bike_from=0), 20, zones=(CABLE_WATCH, zone))
    assert kinds(changes)["raised"] == raised


def test_upgrade_says_why() -> None:
    _, changes = run(wire_scene(bike_from=20), 25, zones=(CABLE_WATCH,))
    (update,) = [c.event for _, c in changes if c.kind is ChangeKind.UPDATED]
    assert update.details == ("cable_reaches_ebike",)


def wall_image(shape: str) -> np.ndarray:
    rng = np.random.default_rng(3)
    img = np.clip(rng.normal(170, 5, (H, W, 3)), 0, 255).astype(np.uint8)
    x1, y1, x2, y2 = (int(v) for v in CABLE_BOX)
    if shape == "curve":
        xs = np.arange(x1 + 5, x2 - 5)
        ys = (y1 + y2) / 2 + 45 * np.sin((xs - x1) / 25)
        cv2.polylines(img, [np.stack([xs, ys], 1).astype(np.int32)], False, (25, 25, 25), 3)
    elif shape == "blob":
        cv2.ellipse(img, ((x1 + x2) // 2, (y1 + y2) // 2), (85, 55), 0, 0, 360, (40, 40, 40), -1)
    return img


@pytest.mark.parametrize(
    ("shape", "geometry_check", "expected"),
    [
        ("curve", True, 1),
        ("blob", True, 0),
        ("blob", False, 1),
        ("empty wall", True, 0),
    ],
)
def test_flying_wire_geometry_check(shape: str, geometry_check: bool, expected: int) -> None:
    image = wall_image(shape)
    params = with_params(flying_wire={"geometry_check": geometry_check})
    _, changes = run(wire_scene(), 12, zones=(CABLE_WATCH,), params=params, image=lambda t: image)
    wires = [(t, c) for t, c in changes if c.event.type is EventType.FLYING_WIRE]
    assert kinds(wires)["raised"] == expected


# --- camera_tampered ---------------------------------------------------------------------


def scene_image(seed: int = 1) -> np.ndarray:
    r = np.random.default_rng(seed)
    img = np.full((240, 320, 3), 120, np.uint8)
    for _ in range(25):
        x, y = (int(v) for v in r.integers(0, (320, 240)))
        colour = tuple(int(v) for v in r.integers(0, 255, 3))
        cv2.rectangle(
            img, (x, y), (x + int(r.integers(10, 80)), y + int(r.integers(10, 80))), colour, -1
        )
    for _ in range(20):
        p1 = tuple(int(v) for v in r.integers(0, (320, 240)))
        p2 = tuple(int(v) for v in r.integers(0, (320, 240)))
        cv2.line(img, p1, p2, tuple(int(v) for v in r.integers(0, 255, 3)), 2)
    return img


BASE = scene_image()
TAMPERED = {
    "blocked": np.full_like(BASE, 35),
    "blurred": cv2.GaussianBlur(BASE, (0, 0), 5),
    "moved": np.roll(BASE, 110, axis=1),
    "other view": scene_image(9),
}


def tamper_frames(
    kind: str | None, start: float = 20.0, end: float = 50.0
) -> Callable[[float], np.ndarray]:
    rng = np.random.default_rng(0)

    def image(t: float) -> np.ndarray:
        base = TAMPERED[kind] if kind is not None and start <= t < end else BASE
        return np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8)

    return image


TAMPER_PARAMS = with_params(camera_tampered={"learn_s": 10})


@pytest.mark.parametrize(
    ("kind", "detail"),
    [
        ("blocked", "view_blocked"),
        ("blurred", "view_blurred"),
        ("moved", "camera_turned_away"),
        ("other view", "camera_turned_away"),
    ],
)
def test_camera_tampered(kind: str, detail: str) -> None:
    _, changes = run(lambda t: [], 60, zones=(), params=TAMPER_PARAMS, image=tamper_frames(kind))
    assert [(t, c.kind) for t, c in changes] == [
        (30.0, ChangeKind.RAISED),
        (53.0, ChangeKind.ENDED),
    ]
    raised, ended = (c.event for _, c in changes)
    assert raised.type is EventType.CAMERA_TAMPERED and raised.severity is Severity.HIGH
    assert raised.start_ts == 20.0 and detail in raised.details
    assert raised.zone is None and ended.end_ts == 50.0


def test_normal_view_with_noise_never_alerts() -> None:
    _, changes = run(lambda t: [], 90, zones=(), params=TAMPER_PARAMS, image=tamper_frames(None))
    assert changes == []


def test_short_tampering_does_not_alert() -> None:
    image = tamper_frames("blocked", start=20, end=28)
    _, changes = run(lambda t: [], 60, zones=(), params=TAMPER_PARAMS, image=image)
    assert changes == []


@pytest.mark.parametrize(
    ("every_s", "measures"),
    [
        (0.0, 21),  # every frame of 10 s at 2 fps
        (1.0, 11),
        (2.0, 6),
        (3.0, 4),
    ],
)
def test_view_measured_at_most_every(
    every_s: float, measures: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import alerts.rules.camera_tampered as rule

    calls = []
    real = rule.measure_image
    monkeypatch.setattr(rule, "measure_image", lambda image: calls.append(1) or real(image))
    params = with_params(camera_tampered={"learn_s": 10, "measure_every_s": every_s})
    run(lambda t: [], 10, zones=(), params=params, image=tamper_frames(None))
    assert len(calls) == measures


def test_no_image_no_tamper_check() -> None:
    engine, changes = run(lambda t: [], 30, zones=(), params=TAMPER_PARAMS)
    assert changes == [] and engine.state.camera_tampered.reference is None


def test_through_the_tracker_with_flicker_and_a_passer_by() -> None:
    """ObjectTracker then the engine, as the pipeline runs them: one event for one stay."""
    rng = np.random.default_rng(4)
    tracker = ObjectTracker()
    engine = CameraRuleEngine("cam1", (CORRIDOR,), RuleParams())
    changes = []
    for i in range(round(150 / DT)):
        t = i * DT
        objs = []
        if t < 120 and rng.random() > 0.3:  # the detector misses 30 % of frames
            jx, jy = rng.normal(0, 3, 2)
            objs.append(bike_at(320 + jx, bottom=400 + jy, conf=float(rng.uniform(0.5, 0.9))))
        if 30 <= t < 40:  # someone walks past, in front of the bike
            x = 100 + 45 * (t - 30)
            objs.append(Obj("person", (x - 30, 220, x + 30, 420), 0.9))
        tracked = tracker.update(observation(t, objs).detections, t)
        changes += [(t, c) for c in engine.step(Observation("cam1", t, W, H, tracked))]
    assert kinds(changes)["raised"] == 1 and kinds(changes)["ended"] == 1
    assert kinds(changes)["updated"] <= 2
    (raised,) = [c.event for _, c in changes if c.kind is ChangeKind.RAISED]
    assert raised.start_ts <= 1.5 and raised.alert_ts <= 62.0


def test_the_engine_steps_and_flushes_every_rule_that_raises_events() -> None:
    """A rule's state added to EngineState but not to EVENT_RULES would never run."""
    apart = {"shed_spots", "last_ts"}  # stepped on its own (no events); the engine's clock
    assert [name for name, _ in EVENT_RULES] == [
        f.name for f in fields(EngineState) if f.name not in apart
    ]
