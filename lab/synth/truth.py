"""Ground truth of a synthetic clip, derived from what was drawn and the storyboard's motion.

Boxes: the tight box of each drawn outline after lens distortion, clipped to the frame, kept by
the same rules as the training labels (at least 35 % inside the frame, not mostly hidden behind a
nearer object). Events follow the rules' definitions on the sidecar's own zones and parameters,
"in a zone" meaning the rule's ``anchor`` of the box (defaults below) lies in it:

- ``ebike_parked``: from the moment an e-bike stops (its keyframes stand still) with its box's
  bottom centre in a ``no_parking`` zone, to the moment it moves again (or the clip ends);
  only stays of at least ``dwell_s``.
- ``ebike_in_elevator``: from the first frame the e-bike's bottom centre (the box centre for the
  ceiling cameras, whose sidecars set ``anchor: center``) is in an ``elevator`` zone to the last;
  only stays of at least ``min_s``.
- ``flying_wire``: from the frame a cable appears with any of its box's 3x3 grid points in a
  ``cable_watch`` or ``no_parking`` zone to the last such frame; only if at least ``persist_s``.
- ``shed_intrusion``: from the first frame a person's bottom centre is in a ``shed`` zone while
  it is closed (``closed_hours``; a clip's time of day is its time from midnight, UTC, as
  ``stairwatch eval`` runs it) to the last; only stays of at least ``min_s``.
- ``exit_blocked``: as ``ebike_parked``, for e-bikes and bicycles (``exit_blocked.kinds``) at
  rest in an ``exit`` zone; only stays of at least ``dwell_s``.
- ``smoke_fire``: from the first flame or smoke of a battery fire whose floor point (under the
  battery) lies in a ``shed`` zone to its end (or the clip's end).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC

import numpy as np

from alerts.events import Box, EventType
from alerts.params import Anchor, RuleParams
from alerts.rules.geometry import anchor_points
from alerts.rules.schedule import closed_for_s
from lab.synth.clip_frames import DrawnObject
from lab.synth.motion import Track
from vision.kinds import ObjectKind
from vision.zones import Zone, ZoneKind

MIN_VISIBLE = 0.35  # share of a box inside the frame for it to be labelled (as in training)
HIDDEN = 0.7  # share of a box covered by one nearer object for it to count as hidden
MIN_SIDE_PX = 3.0
MIN_CABLE_SIDE_PX = 6.0


@dataclass(frozen=True)
class TruthBox:
    """An object's box in one frame, pixels (x1, y1, x2, y2) clipped to the frame;
    ``labelled``: visible enough to be a ground-truth box."""

    name: str
    kind: ObjectKind
    xyxy: tuple[float, float, float, float]
    labelled: bool


@dataclass(frozen=True)
class FrameTruth:
    t: float
    boxes: tuple[TruthBox, ...]


@dataclass(frozen=True)
class TruthEvent:
    type: EventType
    zone: str
    start_s: float
    end_s: float


def _raw_box(outline: np.ndarray) -> np.ndarray:
    return np.concatenate([outline.min(0), outline.max(0)]).astype(np.float64)


def _covered(b: np.ndarray, other: np.ndarray) -> float:
    iw = min(b[2], other[2]) - max(b[0], other[0])
    ih = min(b[3], other[3]) - max(b[1], other[1])
    area = max(1e-6, (b[2] - b[0]) * (b[3] - b[1]))
    return max(0.0, iw) * max(0.0, ih) / area


def frame_truth(t: float, objects: Sequence[DrawnObject], width: int, height: int) -> FrameTruth:
    """Every labelled-kind object inside the frame, flagged ``labelled`` as in training."""
    raw = [_raw_box(o.outline) for o in objects]
    out = []
    for o, b in zip(objects, raw, strict=True):
        if o.kind is None:
            continue
        c = np.array([max(0, b[0]), max(0, b[1]), min(width, b[2]), min(height, b[3])])
        if c[2] - c[0] < 1 or c[3] - c[1] < 1:
            continue
        inside = (c[2] - c[0]) * (c[3] - c[1]) / max(1e-6, (b[2] - b[0]) * (b[3] - b[1]))
        labelled = (
            c[2] - c[0] >= MIN_SIDE_PX and c[3] - c[1] >= MIN_SIDE_PX and inside >= MIN_VISIBLE
        )
        if o.kind == ObjectKind.CABLE:
            c = _pad(c, MIN_CABLE_SIDE_PX, width, height)
        elif labelled:
            labelled = not any(
                _covered(b, ob) > HIDDEN
                for other, ob in zip(objects, raw, strict=True)
                if other.order > o.order
                and other.group != o.group
                and other.kind != ObjectKind.CABLE
            )
        xyxy = (float(c[0]), float(c[1]), float(c[2]), float(c[3]))
        out.append(TruthBox(o.name, o.kind, xyxy, labelled))
    return FrameTruth(t, tuple(out))


def _pad(c: np.ndarray, side: float, w: int, h: int) -> np.ndarray:
    cx, cy = (c[0] + c[2]) / 2, (c[1] + c[3]) / 2
    hw, hh = max(side, c[2] - c[0]) / 2, max(side, c[3] - c[1]) / 2
    return np.array([max(0, cx - hw), max(0, cy - hh), min(w, cx + hw), min(h, cy + hh)])


# -- events ------------------------------------------------------------------------------


def _anchor_px(
    xyxy: tuple[float, float, float, float], anchor: Anchor, w: int, h: int
) -> np.ndarray:
    """(K, 2) pixel points of a pixel box that stand for its place, as the rules pick them."""
    x1, y1, x2, y2 = xyxy
    return anchor_points(Box(x1 / w, y1 / h, x2 / w, y2 / h), anchor) * np.array([w, h])


def _zone_of(points: np.ndarray, zones: Sequence[Zone], w: int, h: int) -> str | None:
    """The smallest zone holding any of the pixel ``points`` (the rules' tie-break)."""
    hits = [z for z in zones if bool(z.contains(points, w, h).any())]
    if not hits:
        return None
    return min(hits, key=lambda z: _area(z)).name


def _area(zone: Zone) -> float:
    p = np.asarray(zone.polygon)
    return 0.5 * abs(
        float(np.dot(p[:, 0], np.roll(p[:, 1], 1)) - np.dot(p[:, 1], np.roll(p[:, 0], 1)))
    )


@dataclass(frozen=True)
class FireSpan:
    """A fire from ``start_s`` to ``end_s``, over the floor pixel ``floor_xy`` of the final
    (distorted) frame."""

    start_s: float
    end_s: float
    floor_xy: tuple[float, float]


@dataclass(frozen=True)
class EventContext:
    """What event derivation needs besides the frames: zones, effective rule parameters,
    frame size, the clip's length and the e-bikes' tracks (for when they stand still)."""

    zones: tuple[Zone, ...]
    params: RuleParams
    width: int
    height: int
    duration_s: float
    fps: int
    ebike_tracks: dict[str, Track]
    cables: tuple[str, ...]
    bicycle_tracks: dict[str, Track] = field(default_factory=dict)
    people: tuple[str, ...] = ()
    fires: tuple[FireSpan, ...] = ()


def _membership(
    frames: Sequence[FrameTruth],
    name: str,
    zones: Sequence[Zone],
    anchor: Anchor,
    ctx: EventContext,
) -> list[tuple[float, str | None]]:
    """(t, zone or None) for each frame where ``name`` is inside the frame."""
    out = []
    for f in frames:
        for b in f.boxes:
            if b.name == name:
                points = _anchor_px(b.xyxy, anchor, ctx.width, ctx.height)
                out.append((f.t, _zone_of(points, zones, ctx.width, ctx.height)))
    return out


def _runs(
    seen: list[tuple[float, str | None]], step: float, duration: float
) -> list[tuple[str, float, float]]:
    """Maximal runs of consecutive frames in one zone -> (zone, first t, last t or clip end)."""
    runs: list[tuple[str, float, float]] = []
    for t, zone in seen:
        if zone is None:
            continue
        if runs and runs[-1][0] == zone and t - runs[-1][2] <= step * 1.5:
            runs[-1] = (zone, runs[-1][1], t)
        else:
            runs.append((zone, t, t))
    last = duration - step
    return [(z, a, duration if b >= last - 1e-9 else b) for z, a, b in runs]


def derive_events(frames: Sequence[FrameTruth], ctx: EventContext) -> list[TruthEvent]:
    events = _parked(frames, ctx) + _in_elevator(frames, ctx) + _wires(frames, ctx)
    events += _intrusions(frames, ctx) + _blocked_exits(frames, ctx) + _fires(ctx)
    return sorted(events, key=lambda e: (e.start_s, e.type.value))


def _zones(ctx: EventContext, *kinds: ZoneKind) -> tuple[Zone, ...]:
    return tuple(z for z in ctx.zones if z.kind in kinds)


def _parked(frames: Sequence[FrameTruth], ctx: EventContext) -> list[TruthEvent]:
    p = ctx.params.ebike_parked
    zones = _zones(ctx, ZoneKind.NO_PARKING)
    return _rests(frames, ctx, ctx.ebike_tracks, zones, p.anchor, p.dwell_s, EventType.EBIKE_PARKED)


def _blocked_exits(frames: Sequence[FrameTruth], ctx: EventContext) -> list[TruthEvent]:
    p = ctx.params.exit_blocked
    tracks = {
        **(ctx.ebike_tracks if ObjectKind.EBIKE in p.kinds else {}),
        **(ctx.bicycle_tracks if ObjectKind.BICYCLE in p.kinds else {}),
    }
    zones = _zones(ctx, ZoneKind.EXIT)
    return _rests(frames, ctx, tracks, zones, p.anchor, p.dwell_s, EventType.EXIT_BLOCKED)


def _rests(
    frames: Sequence[FrameTruth],
    ctx: EventContext,
    tracks: dict[str, Track],
    zones: tuple[Zone, ...],
    anchor: Anchor,
    dwell: float,
    event_type: EventType,
) -> list[TruthEvent]:
    """Each stay of a tracked vehicle at rest in one of ``zones`` of at least ``dwell`` s."""
    out = []
    for name, track in tracks.items():
        seen = _membership(frames, name, zones, anchor, ctx)
        for a, b in track.rests():
            during = [(t, z) for t, z in seen if a - 1e-9 <= t <= b + 1e-9]
            end = b if b < ctx.duration_s - 1.0 / ctx.fps else ctx.duration_s
            for zone, start, _ in _runs(during, 1.0 / ctx.fps, ctx.duration_s):
                if end - start >= dwell:
                    out.append(TruthEvent(event_type, zone, start, end))
    return out


def _intrusions(frames: Sequence[FrameTruth], ctx: EventContext) -> list[TruthEvent]:
    p = ctx.params.shed_intrusion
    zones = _zones(ctx, ZoneKind.SHED)
    out = []
    for name in ctx.people:
        seen = [
            (t, z if closed_for_s(t, UTC, p.closed_hours) is not None else None)
            for t, z in _membership(frames, name, zones, p.anchor, ctx)
        ]
        out += _stays(seen, p.min_s, EventType.SHED_INTRUSION, ctx)
    return out


def _in_elevator(frames: Sequence[FrameTruth], ctx: EventContext) -> list[TruthEvent]:
    p = ctx.params.ebike_in_elevator
    zones = _zones(ctx, ZoneKind.ELEVATOR)
    out = []
    for name in ctx.ebike_tracks:
        seen = _membership(frames, name, zones, p.anchor, ctx)
        out += _stays(seen, p.min_s, EventType.EBIKE_IN_ELEVATOR, ctx)
    return out


def _wires(frames: Sequence[FrameTruth], ctx: EventContext) -> list[TruthEvent]:
    p = ctx.params.flying_wire
    zones = _zones(ctx, ZoneKind.CABLE_WATCH, ZoneKind.NO_PARKING)
    out = []
    for name in ctx.cables:
        seen = _membership(frames, name, zones, p.anchor, ctx)
        out += _stays(seen, p.persist_s, EventType.FLYING_WIRE, ctx)
    return out


def _stays(
    seen: list[tuple[float, str | None]], min_s: float, event_type: EventType, ctx: EventContext
) -> list[TruthEvent]:
    """An event of each run of ``seen`` (see :func:`_membership`) in one zone for ``min_s`` s
    or more."""
    return [
        TruthEvent(event_type, zone, start, end)
        for zone, start, end in _runs(seen, 1.0 / ctx.fps, ctx.duration_s)
        if end - start >= min_s
    ]


def _fires(ctx: EventContext) -> list[TruthEvent]:
    zones = _zones(ctx, ZoneKind.SHED)
    out = []
    for fire in ctx.fires:
        point = np.array([fire.floor_xy], np.float64)
        zone = next((z for z in zones if z.contains(point, ctx.width, ctx.height)[0]), None)
        if zone is not None:
            out.append(TruthEvent(EventType.SMOKE_FIRE, zone.name, fire.start_s, fire.end_s))
    return out
