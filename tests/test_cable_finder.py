"""The detector-free cable finder on drawn scenes: a cable that appears is found; what was there
from the start, what moves, what is thick, and a camera that shifts or a light that switches are
not. Frames are (H, W, 3) BGR uint8, 2 a second, as the service's detect_fps."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from alerts.events import EventType
from alerts.params import FlyingWireOverride, FlyingWireParams, RuleParams
from stairwatch.cable_finding import finder_params, watched_zones
from stairwatch.pipeline import CameraPipeline
from streams.frame import Frame
from vision.bytetrack import ByteTrackConfig
from vision.cable_finder import (
    CableFinderParams,
    CableFinderState,
    WatchedZone,
    find_cables,
    merge_found,
)
from vision.detections import Detections
from vision.kinds import KIND_NAMES, KindMapper, ObjectKind
from vision.zones import Zone, ZoneKind

W, H = 480, 270
FPS = 2.0
SECONDS = 8.0
APPEARS_S = 2.0
Image = NDArray[np.uint8]
Scene = Callable[[float], Image]  # time (s) -> frame

WHOLE = Zone("wall", ZoneKind.CABLE_WATCH, ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)))
RIGHT_HALF = Zone("right", ZoneKind.CABLE_WATCH, ((0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0)))


def wall(seed: int = 0) -> Image:
    """A plain wall with sensor noise, a floor below 80 % of the height."""
    rng = np.random.default_rng(seed)
    image = np.clip(rng.normal(175, 3, (H, W, 3)), 0, 255).astype(np.uint8)
    image[int(0.8 * H) :] = (90, 110, 140)
    return image


def noisy(image: Image, t: float) -> Image:
    """Fresh sensor noise on every frame."""
    rng = np.random.default_rng(int(t * 100) + 1)
    return np.clip(image + rng.normal(0, 2, image.shape), 0, 255).astype(np.uint8)


def cable(image: Image, colour: tuple[int, int, int] = (25, 25, 25), width: int = 3) -> Image:
    """A sagging wire from high on the wall down to the floor."""
    xs = np.linspace(0.55 * W, 0.9 * W, 60)
    ys = 0.05 * H + (xs - xs[0]) / (xs[-1] - xs[0]) * 0.8 * H + 25 * np.sin(xs / 40)
    pts = np.stack([xs, ys], 1).astype(np.int32)
    return cv2.polylines(image.copy(), [pts], False, colour, width, cv2.LINE_AA)


def fixtures(image: Image) -> Image:
    """A door frame, a skirting line and a railing: long thin straight lines."""
    out = image.copy()
    cv2.rectangle(out, (int(0.1 * W), int(0.1 * H)), (int(0.3 * W), int(0.8 * H)), (60,) * 3, 3)
    cv2.line(out, (0, int(0.78 * H)), (W, int(0.78 * H)), (240,) * 3, 3)
    for x in range(int(0.55 * W), int(0.95 * W), 30):
        cv2.line(out, (x, int(0.4 * H)), (x, int(0.78 * H)), (40,) * 3, 2)
    cv2.line(out, (int(0.55 * W), int(0.4 * H)), (int(0.95 * W), int(0.4 * H)), (40,) * 3, 3)
    return out


def person(image: Image, x: float, arm_up: bool) -> Image:
    """A dark standing figure at ``x`` (fraction of the width) with one stretched arm."""
    out = image.copy()
    cx = int(x * W)
    cv2.ellipse(out, (cx, int(0.45 * H)), (22, 60), 0, 0, 360, (50, 40, 40), -1)
    cv2.circle(out, (cx, int(0.2 * H)), 14, (70, 80, 110), -1)
    hand = (cx + 70, int(0.15 * H)) if arm_up else (cx + 75, int(0.5 * H))
    cv2.line(out, (cx + 15, int(0.33 * H)), hand, (50, 40, 40), 11)
    return out


def appears(base: Image, after: Image) -> Scene:
    return lambda t: noisy(after if t >= APPEARS_S else base, t)


SCENES: dict[str, tuple[Scene, bool]] = {
    "dark cable appears": (appears(wall(), cable(wall())), True),
    "light cable appears": (appears(wall(), cable(wall(), (245, 245, 245))), True),
    "orange cable as bright as the wall": (appears(wall(), cable(wall(), (40, 120, 235))), True),
    "cable over door frame and railing": (appears(fixtures(wall()), cable(fixtures(wall()))), True),
    "door frame, skirting, railing from the start": (lambda t: noisy(fixtures(wall()), t), False),
    "cable hanging from the start": (lambda t: noisy(cable(wall()), t), False),
    "person walks across": (lambda t: noisy(person(wall(), 0.1 + 0.1 * t, t % 1 < 0.5), t), False),
    "person stands, arm moving": (lambda t: noisy(person(wall(), 0.5, t % 1 < 0.5), t), False),
    "person arrives and stays, arm out": (appears(wall(), person(wall(), 0.5, True)), False),
    "thick pipe appears": (appears(wall(), cable(wall(), width=30)), False),
    "short stub appears": (
        appears(wall(), cv2.line(wall(), (300, 50), (320, 80), (25, 25, 25), 3)),
        False,
    ),
    "camera shifts a pixel": (appears(fixtures(wall()), np.roll(fixtures(wall()), 1, 1)), False),
    "lights switch on": (appears(fixtures(wall()), cv2.add(fixtures(wall()), 60)), False),
}


def run(scene: Scene, zone: Zone = WHOLE, p: CableFinderParams | None = None) -> list[int]:
    """How many cables were found on each frame."""
    watched = [WatchedZone(zone, p or CableFinderParams())]
    state = CableFinderState()
    counts = []
    for k in range(int(SECONDS * FPS)):
        found, state = find_cables(scene(k / FPS), k / FPS, watched, state)
        counts.append(len(found))
    return counts


@pytest.mark.parametrize("every_s", [0.0, 1.0], ids=["look every frame", "look once a second"])
@pytest.mark.parametrize(("scene", "is_cable"), SCENES.values(), ids=SCENES.keys())
def test_found_only_when_a_cable_appears(scene: Scene, is_cable: bool, every_s: float) -> None:
    counts = run(scene, p=CableFinderParams(look_every_s=every_s))
    if is_cable:
        still_from = int((APPEARS_S + CableFinderParams().still_s + every_s) * FPS)
        assert counts[still_from:] == [1] * (len(counts) - still_from), counts
        assert not any(counts[: int(APPEARS_S * FPS)]), counts
    else:
        assert not any(counts), counts


@pytest.mark.parametrize(
    ("zone", "found"),
    [
        (WHOLE, True),
        (RIGHT_HALF, True),
        (Zone("left", ZoneKind.CABLE_WATCH, ((0, 0), (0.4, 0), (0.4, 1), (0, 1))), False),
    ],
    ids=["whole frame", "zone holding the cable", "zone beside the cable"],
)
def test_only_inside_the_zone(zone: Zone, found: bool) -> None:
    assert (run(appears(wall(), cable(wall())), zone)[-1] > 0) == found


def test_a_cable_taken_away_is_no_longer_found() -> None:
    with_cable, plain = cable(wall()), wall()
    counts = run(lambda t: noisy(with_cable if APPEARS_S <= t < 6.0 else plain, t))
    assert counts[int(5.5 * FPS)] == 1 and counts[-1] == 0, counts


@pytest.mark.parametrize(
    ("every_s", "times", "looks"),
    [
        (1.0, [0.0, 0.5, 1.0, 1.5, 2.0], [0.0, 1.0, 2.0]),
        (1.0, [0.0, 0.47, 0.96, 1.43], [0.0, 0.96]),  # 15 fps sampled at 2: jitter is slack
        (2.0, [0.0, 0.5, 1.0, 1.5, 2.0, 2.5], [0.0, 2.0]),
        (0.0, [0.0, 0.5, 1.0], [0.0, 0.5, 1.0]),
        (1.0, [5.0, 5.5, 0.0, 0.5], [5.0, 0.0]),  # a clip that loops looks at once
    ],
)
def test_looks_once_every_s_and_repeats_its_cables_between(
    every_s: float, times: list[float], looks: list[float]
) -> None:
    watched = [WatchedZone(WHOLE, CableFinderParams(look_every_s=every_s))]
    state = CableFinderState()
    seen = []
    for t in times:
        found, state = find_cables(noisy(cable(wall()), t), t, watched, state)
        seen.append(state.zones[WHOLE.name].last_ts)
        assert len(found) == len(state.zones[WHOLE.name].found)
    assert sorted(set(seen), key=seen.index) == looks


def test_boxes_are_in_frame_pixels() -> None:
    watched = [WatchedZone(RIGHT_HALF, CableFinderParams(work_width=240))]
    state = CableFinderState()
    found = Detections.empty(KIND_NAMES)
    for k in range(12):
        found, state = find_cables(
            noisy(cable(wall()) if k >= 4 else wall(), k), k / 2, watched, state
        )
    assert found.labels == ["cable"]
    x1, y1, x2, y2 = found.xyxy[0]
    assert 0.5 * W <= x1 < 0.6 * W and x2 > 0.85 * W and y1 < 0.15 * H and y2 > 0.75 * H


def boxes(*rows: tuple[str, tuple[float, float, float, float]], score: float = 0.9) -> Detections:
    return Detections(
        xyxy=np.array([r[1] for r in rows], np.float32).reshape(-1, 4),
        confidence=np.full(len(rows), score, np.float32),
        class_id=np.array([KIND_NAMES.index(r[0]) for r in rows], np.int32),
        class_names=KIND_NAMES,
    )


@pytest.mark.parametrize(
    ("detected", "kept"),
    [
        (boxes(), True),
        (boxes(("cable", (95, 0, 200, 210))), False),
        (boxes(("cable", (95, 0, 200, 210)), score=0.2), True),
        (boxes(("person", (90, 20, 160, 220))), False),
        (boxes(("person", (125, 0, 200, 220))), True),
        (boxes(("person", (0, 0, 50, 50)), ("cable", (300, 0, 400, 100))), True),
        (boxes(("ebike", (90, 20, 160, 220))), True),
    ],
    ids=[
        "nothing detected",
        "detector's cable",
        "detector's cable too weak to track",
        "on a person",
        "across a person",
        "elsewhere",
        "on an e-bike",
    ],
)
def test_merge_found(detected: Detections, kept: bool) -> None:
    found = boxes(("cable", (100, 10, 150, 200)))
    merged = merge_found(detected, found, trusted=0.35)
    assert len(merged) == len(detected) + int(kept)


def zone(kind: ZoneKind, name: str = "z") -> Zone:
    return Zone(name, kind, WHOLE.polygon)


ON, OFF = (RuleParams(flying_wire=FlyingWireParams(finder=f)) for f in (True, False))


@pytest.mark.parametrize(
    ("zones", "params", "zone_params", "watched"),
    [
        ([zone(ZoneKind.CABLE_WATCH)], RuleParams(), {}, ["z"]),
        ([zone(ZoneKind.CABLE_WATCH)], OFF, {}, []),
        ([zone(ZoneKind.NO_PARKING)], ON, {}, ["z"]),
        ([zone(ZoneKind.ELEVATOR)], ON, {}, []),
        ([zone(ZoneKind.SHED)], ON, {}, []),
        ([zone(ZoneKind.CABLE_WATCH, "a"), zone(ZoneKind.CABLE_WATCH, "b")], OFF, {"b": ON}, ["b"]),
        ([zone(ZoneKind.CABLE_WATCH, "a"), zone(ZoneKind.CABLE_WATCH, "b")], ON, {"b": OFF}, ["a"]),
    ],
    ids=[
        "on by default",
        "turned off",
        "no_parking",
        "not in elevators",
        "not in sheds",
        "one zone on",
        "one zone off",
    ],
)
def test_watched_zones(
    zones: list[Zone], params: RuleParams, zone_params: dict[str, RuleParams], watched: list[str]
) -> None:
    assert [w.zone.name for w in watched_zones(zones, params, zone_params)] == watched


def test_config_fields_reach_the_finder_and_unknown_ones_are_refused() -> None:
    wire = RuleParams().merged(None).flying_wire.model_copy(update={"finder_still_s": 4.0})
    assert finder_params(wire).still_s == 4.0
    with pytest.raises(ValueError, match="finder_typo"):
        FlyingWireOverride.model_validate({"finder_typo": 1})


def test_pipeline_raises_flying_wire_from_the_finder_alone() -> None:
    """A detector that sees nothing; the finder's cable alone makes the event."""
    rules = RuleParams(flying_wire=FlyingWireParams(finder=True, persist_s=3.0))
    pipeline = CameraPipeline(
        "cam",
        [WHOLE],
        rules,
        KindMapper(KIND_NAMES, {}),
        tracking=ByteTrackConfig.following(0.35, FPS),
    )
    scene = appears(wall(), cable(wall()))
    raised = []
    for k in range(int(12 * FPS)):
        t = k / FPS
        step = pipeline.process(Frame("cam", scene(t), t, t, k), Detections.empty(KIND_NAMES))
        raised += [c for c in step.changes if c.event.type is EventType.FLYING_WIRE]
    assert len(raised) == 1
    assert ObjectKind.CABLE.value in step.observation.detections.labels
