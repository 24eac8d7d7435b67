"""Clips made of one real photo: what each shows, its frames and its truth.

- ``elevator``: the camera pans (and is zoomed in) across the photo so that a real scooter
  moves from outside into an ``elevator`` zone drawn around where it comes to rest, then
  holds. The truth event of each labelled bike starts when its box centre enters the zone
  for good and lasts to the clip's end. The bike does not move against its background (a camera
  pan, not a wheeling): what is measured is whether the detector finds a real bike as it
  moves through the frame, and the rule's timing on it.
- ``parked``: the whole photo held for 18 s with a ``no_parking`` zone around its largest
  scooter (``dwell_s`` 10 s): every labelled bike whose centre lies in the zone is parked
  from the first frame.
- ``still``: a photo held 12 s with every rule watching the whole frame and no event.
- ``cable``: a still photo on which, 2 s in, the project's cable renderer draws a charging
  cable from high on a wall down to the floor or into a scooter; ``flying_wire`` from then on,
  in a ``cable_watch`` zone around the cable.

Every boxed frame carries every object of the kinds scored there: the dataset's boxes and
the COCO teacher's people (score >= 0.5).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from alerts.params import RuleParamsOverride
from lab.real_check.geometry import (
    FULL_VIEW,
    Viewport,
    center,
    clipped,
    expanded,
    inside,
    rectangle,
    smoothstep,
    visible_boxes,
)
from lab.real_check.sources import Box, TruthBox
from lab.real_check.writer import SHORT_RULES, event, negative_sidecar, sidecar_boxes
from lab.synth.cables import draw_cable
from lab.synth.specs import sample_cable
from stairwatch.config import ZoneConfig
from stairwatch.evaluation.sidecar import Sidecar, SidecarCamera
from vision.kinds import ObjectKind
from vision.zones import ZoneKind

PAN_ZOOMS = (1.6, 2.0, 1.3)  # tried in this order
PAN_HOLD_BEFORE_S, PAN_S, PAN_HOLD_AFTER_S = 1.0, 3.0, 4.0
PAN_BOX_TIMES = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0)
PARKED_S, STILL_S, CABLE_S, CABLE_FROM_S = 18.0, 12.0, 12.0, 2.0
STILL_BOX_TIME, CABLE_BOX_TIME = 1.0, 4.0
ZONE_MARGIN = 0.15  # of the bike box, each side
MIN_TARGET_HEIGHT, MAX_TARGET_HEIGHT = 0.12, 0.6  # of the frame: the scooter a clip is about
MIN_EVENT_HEIGHT = 0.06  # smaller bikes in a zone are no event (and no fair target)
MIN_EVENT_VISIBLE = 0.5
MIN_SEEN = 0.1  # less of a bike in the frame than this is not seen at all
ELEVATOR_RULES = RuleParamsOverride.model_validate(
    {**SHORT_RULES.model_dump(exclude_none=True), "ebike_in_elevator": {"anchor": "center"}}
)
PARKED_RULES = RuleParamsOverride.model_validate(
    {"ebike_parked": {"dwell_s": 10.0, "anchor": "center"}, "flying_wire": {"persist_s": 5.0}}
)


@dataclass(frozen=True)
class Staging:
    """A clip to write: ``frames()`` at ``fps`` over ``duration_s``, and its truth."""

    frames: Iterator[np.ndarray]
    duration_s: float
    sidecar: Sidecar


def _held(image: np.ndarray, count: int) -> Iterator[np.ndarray]:
    for _ in range(count):
        yield image


def _height(xyxy: Box) -> float:
    return xyxy[3] - xyxy[1]


def _largest(boxes: tuple[TruthBox, ...]) -> list[TruthBox]:
    return sorted(boxes, key=lambda b: -(b.xyxy[2] - b.xyxy[0]) * (b.xyxy[3] - b.xyxy[1]))


# --- elevator: a pan brings a real scooter into the zone ---------------------------------


@dataclass(frozen=True)
class _Pan:
    start: Viewport
    end: Viewport
    zone: Box

    def at(self, t: float) -> Viewport:
        return self.start.lerp(self.end, smoothstep((t - PAN_HOLD_BEFORE_S) / PAN_S))


def _pan_for(target: Box, zoom: float) -> _Pan | None:
    """A pan ending with ``target`` near the frame's centre, from the far corner of the
    photo; None when the target would not start outside the zone or not fit the frame."""
    span = 1.0 / zoom
    cx, cy = center(target)
    fx = min(max(cx - span / 2, 0.0), 1.0 - span)
    fy = min(max(cy - span / 2, 0.0), 1.0 - span)
    end = Viewport(fx, fy, zoom)
    far = 1.0 - span
    start = Viewport(0.0 if fx > far / 2 else far, 0.0 if fy > far / 2 else far, zoom)
    final, share = clipped(end.box(target))
    if share < 0.95 or not MIN_TARGET_HEIGHT <= _height(final) <= MAX_TARGET_HEIGHT:
        return None
    zone = expanded(final, ZONE_MARGIN)
    sx, sy = center(start.box(target))
    gap = max(zone[0] - sx, sx - zone[2], zone[1] - sy, sy - zone[3])
    return _Pan(start, end, zone) if gap >= 0.05 else None


def _in_zone(view: Viewport, bike: Box, zone: Box) -> tuple[bool, bool]:
    """(whether the part of ``bike`` the frame shows has its centre in ``zone``, whether it
    is a fair target there: visible and big enough)."""
    box, share = clipped(view.box(bike))
    if share < MIN_SEEN:
        return False, False
    fair = share >= MIN_EVENT_VISIBLE and _height(box) >= MIN_EVENT_HEIGHT
    return inside(center(box), zone), fair


def _unambiguous(pan: _Pan, bikes: tuple[TruthBox, ...]) -> bool:
    """No bike in the zone at the start (every event is an entry), and none in it at the end
    that is too cut off or too small to be a fair target (it would be neither truth nor
    false alarm)."""
    for bike in bikes:
        if _in_zone(pan.start, bike.xyxy, pan.zone)[0]:
            return False
        there, fair = _in_zone(pan.end, bike.xyxy, pan.zone)
        if there and not fair:
            return False
    return True


def plan_pan(bikes: tuple[TruthBox, ...]) -> _Pan | None:
    """The first workable, unambiguous pan, largest bike first, in the order of
    :data:`PAN_ZOOMS`."""
    for bike in _largest(bikes):
        for zoom in PAN_ZOOMS:
            pan = _pan_for(bike.xyxy, zoom)
            if pan is not None and _unambiguous(pan, bikes):
                return pan
    return None


def _entry_s(pan: _Pan, bike: Box, fps: int, duration_s: float) -> float | None:
    """When the bike's centre enters the zone for good (visible and big enough), or None."""
    entered = None
    for k in range(round(duration_s * fps)):
        there, fair = _in_zone(pan.at(k / fps), bike, pan.zone)
        entered = (entered if entered is not None else k / fps) if there and fair else None
    return entered


def elevator_pan(
    image: np.ndarray, boxes: tuple[TruthBox, ...], fps: int, kind: str
) -> Staging | None:
    """See the module doc; None when no scooter of the photo can be panned into a zone."""
    pan = plan_pan(tuple(b for b in boxes if b.kind == ObjectKind.EBIKE))
    if pan is None:
        return None
    duration = PAN_HOLD_BEFORE_S + PAN_S + PAN_HOLD_AFTER_S
    events = []
    for bike in (b for b in boxes if b.kind == ObjectKind.EBIKE):
        start = _entry_s(pan, bike.xyxy, fps, duration)
        if start is not None:
            events.append(event("ebike_in_elevator", "car", start, duration))
    truth = [
        box for t in PAN_BOX_TIMES for box in sidecar_boxes(t, visible_boxes(pan.at(t), boxes))
    ]
    sidecar = Sidecar(
        camera=SidecarCamera(kind=kind),
        zones=[ZoneConfig(name="car", kind=ZoneKind.ELEVATOR, polygon=rectangle(pan.zone))],
        rules=ELEVATOR_RULES,
        events=events,
        boxes=truth,
    )
    frames = (pan.at(k / fps).render(image) for k in range(round(duration * fps)))
    return Staging(frames, duration, sidecar)


# --- parked, still, cable ------------------------------------------------------------------


def parked_still(
    image: np.ndarray, boxes: tuple[TruthBox, ...], fps: int, kind: str
) -> Staging | None:
    """See the module doc; None when the photo has no scooter big enough."""
    bikes = [b for b in _largest(boxes) if b.kind == ObjectKind.EBIKE]
    if not bikes or _height(bikes[0].xyxy) < MIN_TARGET_HEIGHT:
        return None
    zone = expanded(bikes[0].xyxy, ZONE_MARGIN)
    events = [
        event("ebike_parked", "bay", 0.0, PARKED_S)
        for b in bikes
        if _height(b.xyxy) >= MIN_EVENT_HEIGHT and inside(center(b.xyxy), zone)
    ]
    sidecar = Sidecar(
        camera=SidecarCamera(kind=kind),
        zones=[ZoneConfig(name="bay", kind=ZoneKind.NO_PARKING, polygon=rectangle(zone))],
        rules=PARKED_RULES,
        events=events,
        boxes=sidecar_boxes(STILL_BOX_TIME, visible_boxes(FULL_VIEW, boxes)),
    )
    return Staging(_held(image, round(PARKED_S * fps)), PARKED_S, sidecar)


def still_negative(
    image: np.ndarray, boxes: tuple[TruthBox, ...], fps: int, kind: str, empty: bool
) -> Staging:
    """See the module doc; ``empty``: the photo surely holds no object of any kind."""
    at = [STILL_BOX_TIME] if empty and not boxes else []
    sidecar = negative_sidecar(kind, sidecar_boxes(STILL_BOX_TIME, boxes), at)
    return Staging(_held(image, round(STILL_S * fps)), STILL_S, sidecar)


def cable_route(
    rng: np.random.Generator, width: int, height: int, bikes: tuple[TruthBox, ...]
) -> tuple[np.ndarray, bool]:
    """(K, 2) pixel waypoints from high on a wall down to the floor, or into a scooter
    (then True: it ends in a plug)."""
    start = np.array([rng.uniform(0.1, 0.9) * width, rng.uniform(0.05, 0.3) * height])
    plug = bool(bikes) and rng.random() < 0.5
    if plug:
        bike = bikes[int(rng.integers(len(bikes)))].xyxy
        end = np.array([center(bike)[0] * width, center(bike)[1] * height])
    else:
        x = np.clip(start[0] + rng.normal(0, 0.2 * width), 0.05 * width, 0.95 * width)
        end = np.array([x, rng.uniform(0.6, 0.9) * height])
    mids = []
    if rng.random() < 0.5:  # down the wall first, then across
        mids.append(
            [
                start[0] + rng.normal(0, 0.02 * width),
                end[1] - rng.uniform(0.1, 0.3) * (end[1] - start[1]),
            ]
        )
    return np.array([start, *mids, end], float), plug


def cable_clip(
    image: np.ndarray, boxes: tuple[TruthBox, ...], fps: int, kind: str, seed: int
) -> Staging:
    """See the module doc. Deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    route, plug = cable_route(rng, w, h, tuple(b for b in boxes if b.kind == ObjectKind.EBIKE))
    drawn = image.copy()
    render = draw_cable(drawn, sample_cable(rng, plug=plug), route)
    x1, y1, x2, y2 = render.box
    cable = TruthBox(ObjectKind.CABLE, clipped((x1 / w, y1 / h, x2 / w, y2 / h))[0])
    zone = expanded(cable.xyxy, 0.1)
    sidecar = Sidecar(
        camera=SidecarCamera(kind=kind),
        zones=[ZoneConfig(name="wall", kind=ZoneKind.CABLE_WATCH, polygon=rectangle(zone))],
        rules=SHORT_RULES,
        events=[event("flying_wire", "wall", CABLE_FROM_S, CABLE_S)],
        boxes=sidecar_boxes(CABLE_BOX_TIME, (*boxes, cable)),
    )
    before = round(CABLE_FROM_S * fps)
    frames = (image if k < before else drawn for k in range(round(CABLE_S * fps)))
    return Staging(frames, CABLE_S, sidecar)
