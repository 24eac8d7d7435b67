"""smoke_fire: the classical check (vision.fire), the rule, its synthetic clips and its false
alarms on every real clip in ../shared. Frames here are drawn with OpenCV: no real fire footage
was available (see README, "Smoke and fire")."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from alerts.engine import CameraRuleEngine
from alerts.events import ChangeKind, EventChange, EventStatus, EventType, Severity
from alerts.observation import Observation
from alerts.params import RuleParams, SmokeFireParams
from alerts.routing import is_critical, needs_escalation
from lab.synth.clips import clip_truth
from lab.synth.fire import emitted
from lab.synth.fire_clips import fire_set_storyboard
from stairwatch.cli import main
from stairwatch.evaluation.sidecar import SidecarEvent
from stairwatch.tools.fire_real_check import check_alone, real_clips
from tests.test_digests import stored
from vision.detections import Detections
from vision.fire import FireHistory, FireKind, FireThresholds, watch_fire
from vision.fire_masks import FlameColour, hot_cores, watched_mask, work_size
from vision.fire_regions import growth_ratio, shape_flicker
from vision.kinds import KIND_NAMES
from vision.zones import Zone, ZoneKind

REPO = Path(__file__).resolve().parents[1]
W, H = 320, 180
FPS = 2.0
WHOLE = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
PERSON_BOX = (0.4, 0.2, 0.6, 0.95)  # normalized; where the jacket frames put a person
Frame = Callable[[float, np.random.Generator], np.ndarray]
"""Draws the picture at ``i`` = seconds x 2 (the frame number at 2 fps; fractional between)."""


# -- drawn frames -------------------------------------------------------------------------------


def _room() -> np.ndarray:
    """A grey room with a textured floor (for smoke to soften)."""
    image = np.full((H, W, 3), 110, np.uint8)
    image[100:] = 80
    for x in range(0, W, 12):
        cv2.line(image, (x, 100), (x - 40, H), (60, 60, 60), 1)
    return image


def _flame(image: np.ndarray, rng: np.random.Generator, scale: float = 1.0) -> None:
    """Flame tongues on (160, 130), new shapes every frame: red-orange, orange, yellow core."""
    shapes = [
        (160 + rng.integers(-8, 9), rng.uniform(25, 55) * scale, rng.uniform(5, 11) * scale)
        for _ in range(int(rng.integers(3, 6)))
    ]
    for color, share in (((20, 60, 230), 1.0), ((25, 140, 255), 0.7), ((190, 245, 255), 0.4)):
        for x, h, w in shapes:
            axes = (max(1, round(w * share)), max(1, round(h * share / 2)))
            cv2.ellipse(image, (int(x), round(130 - h * share / 2)), axes, 0, 0, 360, color, -1)


def flickering_flame(i: float, rng: np.random.Generator) -> np.ndarray:
    image = _room()
    _flame(image, rng)
    return image


def growing_flame(i: float, rng: np.random.Generator) -> np.ndarray:
    image = _room()
    _flame(image, rng, scale=0.5 + 0.12 * i)
    return image


def steady_lamp(i: float, rng: np.random.Generator) -> np.ndarray:
    image = _room()
    cv2.ellipse(image, (160, 110), (10, 22), 0, 0, 360, (25, 140, 255), -1)
    cv2.ellipse(image, (160, 110), (5, 10), 0, 0, 360, (190, 245, 255), -1)
    return image


def blinking_led(i: float, rng: np.random.Generator) -> np.ndarray:
    """On for half a second, off for half a second."""
    image = _room()
    if int(i) % 2 == 0:
        cv2.circle(image, (160, 110), 6, (25, 140, 255), -1)
        cv2.circle(image, (160, 110), 3, (190, 245, 255), -1)
    return image


def jacket_walking_by(i: float, rng: np.random.Generator) -> np.ndarray:
    """An orange jacket with a lit, white-yellow reflective stripe, crossing the room."""
    image = _room()
    x = round(20 + 30 * i)
    cv2.rectangle(image, (x, 70), (x + 30, 120), (20, 110, 250), -1)
    cv2.rectangle(image, (x, 95), (x + 30, 100), (190, 245, 255), -1)
    return image


def jacket_at_a_person(i: float, rng: np.random.Generator) -> np.ndarray:
    """The same jacket worn by someone fidgeting beside the bikes (inside PERSON_BOX)."""
    image = _room()
    x = 145 + int(rng.integers(-4, 5))
    cv2.rectangle(image, (x, 70 + int(rng.integers(-3, 4))), (x + 30, 120), (20, 110, 250), -1)
    cv2.rectangle(image, (x, 95), (x + 30, 100), (190, 245, 255), -1)
    return image


def rising_smoke(i: float, rng: np.random.Generator, born_y: int = 150) -> np.ndarray:
    """Soft grey puffs born at (160, ``born_y``) that rise and spread: the plume grows and
    climbs."""
    image = _room().astype(np.float32)
    alpha = np.zeros((H, W), np.float32)
    for p in range(max(0, int(i) - 8), int(i) + 1):
        age = (i - p) / FPS
        if i >= 6:  # the room is learned first
            centre = (160 + 3 * (p % 3 - 1), round(born_y - 18 * age))
            cv2.circle(alpha, centre, round(4 + 5 * age), 0.5, -1)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 2)[..., None]
    return np.clip(image * (1 - alpha) + 200 * alpha, 0, 255).astype(np.uint8)


def haze_at_the_top(i: float, rng: np.random.Generator) -> np.ndarray:
    """The same plume near the top of the picture: it reaches the edge, its rise cut off (a
    person's light hair against a white wall looks like this)."""
    return rising_smoke(i, rng, born_y=90)


def shadow_passing(i: float, rng: np.random.Generator) -> np.ndarray:
    """A soft shadow sliding over the floor: smooth darkening, no edges of its own."""
    image = _room().astype(np.float32)
    shade = np.zeros((H, W), np.float32)
    if i >= 6:
        cv2.circle(shade, (round(40 + 20 * (i - 6)), 150), round(15 + 6 * (i - 6)), 0.35, -1)
    shade = cv2.GaussianBlur(shade, (0, 0), 12)[..., None]
    return np.clip(image * (1 - shade), 0, 255).astype(np.uint8)


def grey_coat_coming_closer(i: float, rng: np.random.Generator) -> np.ndarray:
    """An opaque grey figure with a dark head, growing as it comes toward the camera."""
    image = _room()
    if i >= 6:
        s = 1 + 0.15 * (i - 6)
        top, bottom = round(150 - 60 * s), 150
        cv2.rectangle(
            image, (round(160 - 12 * s), top), (round(160 + 12 * s), bottom), (150,) * 3, -1
        )
        cv2.circle(image, (160, top - round(7 * s)), round(7 * s), (30, 30, 30), -1)
    return image


def _watch(
    draw: Frame,
    seconds: float,
    people: tuple[tuple[float, ...], ...] = (),
    thresholds: FireThresholds | None = None,
    fps: float = FPS,
) -> list[tuple[float, FireKind]]:
    """(time, kind) of every region :func:`watch_fire` reports over ``seconds`` at ``fps``."""
    watched = watched_mask([WHOLE], work_size(W, H), 0.25)
    history, seen = FireHistory(), []
    rng = np.random.default_rng(3)
    for k in range(round(seconds * fps)):
        ts = k / fps
        boxes = [(p[0], p[1], p[2], p[3]) for p in people]
        history, regions = watch_fire(
            history, draw(ts * FPS, rng), watched, boxes, ts, thresholds or FireThresholds()
        )
        seen += [(ts, r.kind) for r in regions]
    return seen


RATES = (2.0, 4.0, 6.0)


@pytest.mark.parametrize("fps", RATES)
@pytest.mark.parametrize(
    ("draw", "people", "expected"),
    [
        (flickering_flame, (), FireKind.FLAME),
        (growing_flame, (), FireKind.FLAME),
        (steady_lamp, (), None),
        (blinking_led, (), None),
        (jacket_walking_by, (), None),
        (jacket_at_a_person, (PERSON_BOX,), None),
    ],
)
def test_flames_flicker_look_alikes_do_not(
    draw: Frame, people: tuple[tuple[float, ...], ...], expected: FireKind | None, fps: float
) -> None:
    kinds = [kind for _, kind in _watch(draw, 4.0, people, fps=fps)]
    assert (expected in kinds) if expected else not kinds


@pytest.mark.parametrize("fps", RATES)
@pytest.mark.parametrize(
    ("draw", "smoke_check", "expected"),
    [
        (rising_smoke, True, FireKind.SMOKE),
        (rising_smoke, False, None),
        (shadow_passing, True, None),
        (grey_coat_coming_closer, True, None),
    ],
)
def test_smoke_is_growing_rising_haze(
    draw: Frame, smoke_check: bool, expected: FireKind | None, fps: float
) -> None:
    kinds = [
        kind for _, kind in _watch(draw, 7.0, thresholds=FireThresholds(smoke=smoke_check), fps=fps)
    ]
    assert (expected in kinds) if expected else not kinds


@pytest.mark.parametrize(
    ("draw", "smoke_at_top", "expected"),
    [
        (rising_smoke, False, FireKind.SMOKE),
        (haze_at_the_top, True, FireKind.SMOKE),
        (haze_at_the_top, False, None),  # reaches the picture's top: its rise is cut off
    ],
)
def test_smoke_at_the_top_of_the_picture_only_when_allowed(
    draw: Frame, smoke_at_top: bool, expected: FireKind | None
) -> None:
    kinds = [k for _, k in _watch(draw, 7.0, thresholds=FireThresholds(smoke_at_top=smoke_at_top))]
    assert (expected in kinds) if expected else not kinds


@pytest.mark.parametrize(
    ("frame", "colour", "core_px", "found"),
    [
        # a distant flame's whitish core, 4x4 pixels of a 640x360 frame: averaged away on the
        # 160-pixel copy, found on the finer one
        ((360, 640), (170, 235, 255), 4, True),
        ((1080, 1920), (170, 235, 255), 12, True),  # the same core on a 1080p frame
        ((360, 640), (90, 230, 255), 8, False),  # bright yellow paint: not whitish
        ((360, 640), (170, 200, 210), 8, False),  # a dim orange, not hot
    ],
)
def test_hot_cores_are_found_finer_than_the_work_copy(
    frame: tuple[int, int], colour: tuple[int, int, int], core_px: int, found: bool
) -> None:
    h, w = frame
    image = np.full((h, w, 3), (60, 80, 100), np.uint8)
    y, x = h // 2, w // 3
    image[y : y + core_px, x : x + core_px] = colour
    size = work_size(w, h)
    hot = hot_cores(image, size, FlameColour())
    assert hot.shape == (size[1], size[0])
    assert bool(hot.any()) == found
    if found:
        ys, xs = np.nonzero(hot)
        assert abs(xs.mean() - x * size[0] / w) <= 2 and abs(ys.mean() - y * size[1] / h) <= 2
        coarse = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        assert int(coarse.max()) < FlameColour().hot_min_red, "the work copy alone loses it"


@pytest.mark.parametrize(
    ("masks", "flicker"),
    [
        ([[1, 1, 1, 1]] * 4, 0.0),  # a lamp: never switches
        ([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], 0.0),  # moving by: each pixel switches once
        ([[1, 0], [0, 1], [1, 0], [0, 1]], 1.0),  # flickering: on-off-on everywhere
        ([[1, 1], [1, 0], [1, 1]], 0.5),  # a flickering edge on a steady core
        ([[0, 0], [0, 0]], 0.0),
    ],
)
def test_shape_flicker(masks: list[list[int]], flicker: float) -> None:
    assert shape_flicker(np.array(masks, bool)) == pytest.approx(flicker)


@pytest.mark.parametrize(
    ("areas", "growth"),
    [
        ([0, 10, 10, 10, 10], 1.0),
        ([0, 0, 10, 20, 30, 40], 35 / 15),  # a fire spreading
        ([40, 30, 20, 10], 15 / 35),  # burning down
        ([0, 5, 10], 1.0),  # too few lit frames to tell
    ],
)
def test_growth_ratio(areas: list[int], growth: float) -> None:
    times = np.arange(len(areas)) / FPS
    assert growth_ratio(np.array(areas), times) == pytest.approx(growth)


# -- the rule ----------------------------------------------------------------------------------


SHED = Zone("spots", ZoneKind.SHED, ((0.2, 0.5), (0.8, 0.5), (0.8, 1.0), (0.2, 1.0)))
CORRIDOR = Zone("corridor", ZoneKind.NO_PARKING, WHOLE)


def _run(
    zones: list[Zone], draw: Frame, frames: int, params: RuleParams | None = None
) -> tuple[list[EventChange], CameraRuleEngine]:
    engine = CameraRuleEngine("cam", zones, params or RuleParams())
    rng = np.random.default_rng(5)
    changes = []
    for i in range(frames):
        obs = Observation("cam", i / FPS, W, H, Detections.empty(KIND_NAMES), draw(i, rng))
        changes += engine.step(obs)
    return changes, engine


def fire_from_3s(i: int, rng: np.random.Generator) -> np.ndarray:
    return flickering_flame(i, rng) if 6 <= i < 16 else _room()


def test_a_fire_in_a_shed_is_critical_at_once_and_ends_after_clear_after() -> None:
    params = RuleParams(smoke_fire=SmokeFireParams(clear_after_s=3.0))
    changes, engine = _run([SHED], fire_from_3s, 30, params)
    raised = [c for c in changes if c.kind is ChangeKind.RAISED]
    ended = [c for c in changes if c.kind is ChangeKind.ENDED]
    assert len(raised) == 1 and len(ended) == 1
    event = raised[0].event
    assert (event.key, event.type, event.zone) == (
        "cam:smoke_fire:spots:1",
        EventType.SMOKE_FIRE,
        "spots",
    )
    assert event.severity is Severity.CRITICAL and "flame_seen" in event.details
    assert 3.0 < event.alert_ts <= 4.5  # three lit frames at 2 fps
    assert 7.5 <= ended[0].event.end_ts <= 8.0  # the last frame with flames
    assert engine.flush(15.0) == []


@pytest.mark.parametrize(
    ("zones", "raised"),
    [([SHED], 1), ([CORRIDOR], 0), ([], 0), ([CORRIDOR, SHED], 1)],
)
def test_only_shed_zones_are_watched(zones: list[Zone], raised: int) -> None:
    changes, _ = _run(zones, fire_from_3s, 12)
    assert sum(c.kind is ChangeKind.RAISED for c in changes) == raised


def test_flush_ends_a_burning_event_and_keys_go_on() -> None:
    changes, engine = _run([SHED], fire_from_3s, 10)
    assert [c.kind for c in changes if c.kind is not ChangeKind.UPDATED] == [ChangeKind.RAISED]
    ended = engine.flush(5.0)
    assert [(c.kind, c.event.key) for c in ended] == [(ChangeKind.ENDED, "cam:smoke_fire:spots:1")]
    later, _ = _run([SHED], fire_from_3s, 10)  # a fresh engine numbers from 1 again
    assert later[0].event.key == "cam:smoke_fire:spots:1"


@pytest.mark.parametrize(
    ("status", "end_ts", "escalates"),
    [
        (EventStatus.OPEN, None, True),
        (EventStatus.OPEN, 50.0, True),  # put out, but nobody acknowledged it: still escalated
        (EventStatus.ACKNOWLEDGED, None, False),
    ],
)
def test_an_unacknowledged_fire_is_escalated(
    status: EventStatus, end_ts: float | None, escalates: bool
) -> None:
    event = stored(
        type=EventType.SMOKE_FIRE, severity=Severity.CRITICAL, status=status, end_ts=end_ts
    )
    assert needs_escalation(event, now=1000.0, escalate_after_s=900.0) is escalates


def test_smoke_fire_is_critical_for_routing_and_scored_by_eval() -> None:
    assert is_critical(EventType.SMOKE_FIRE, Severity.CRITICAL)
    event = SidecarEvent(type=EventType.SMOKE_FIRE, zone="shed", start_s=3.0, end_s=12.0)
    assert event.to_truth().type is EventType.SMOKE_FIRE


# -- synthetic clips ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "positive", "events"), [(0, True, 1), (0, False, 0), (3, True, 1)]
)
def test_fire_set_truth_has_one_smoke_fire_event_per_fire(
    index: int, positive: bool, events: int
) -> None:
    board = fire_set_storyboard(index, positive, seed=0)
    sidecar = clip_truth(board, fps=2, size=(320, 180), seed=0).sidecar
    fires = [e for e in sidecar.events if e.type is EventType.SMOKE_FIRE]
    assert len(fires) == events
    assert [z.kind for z in sidecar.zones] == [ZoneKind.SHED]
    if fires:
        assert fires[0].zone == "shed" and fires[0].end_s == pytest.approx(board.duration_s)


@pytest.mark.parametrize(
    ("color", "ir", "drawn"),
    [((25, 140, 255), False, (25, 140, 255)), ((25, 140, 255), True, (163, 209, 255))],
)
def test_flames_are_drawn_near_white_for_an_ir_camera(
    color: tuple[int, int, int], ir: bool, drawn: tuple[int, int, int]
) -> None:
    assert emitted(color, ir) == drawn


def test_the_sample_shed_fire_clip_is_found_by_eval(tmp_path: Path) -> None:
    """The bundled detector and the whole pipeline over the committed sample clip."""
    for suffix in (".mp4", ".json"):
        shutil.copy(REPO / "sample_videos" / f"shed_fire{suffix}", tmp_path / f"shed_fire{suffix}")
    out = tmp_path / "eval.json"
    model = REPO / "models" / "stairwatch-default.onnx"
    args = ["eval", str(tmp_path), "--model", str(model), "--json", str(out), "--no-progress"]
    assert main(args) == 0
    overall = json.loads(out.read_text())["overall"]
    assert (overall["tp"], overall["fp"], overall["fn"]) == (1, 0, 0)


# -- real footage -------------------------------------------------------------------------------


def test_no_smoke_fire_on_any_real_clip(shared_dir: Path) -> None:
    """Every clip and GIF in ../shared/clips watched as one big shed, without person boxes."""
    clips = real_clips(shared_dir)
    assert clips
    alarms = {c.clip: c.false_alarms for c in map(check_alone, clips) if c.false_alarms}
    assert alarms == {}
