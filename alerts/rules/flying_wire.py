"""flying_wire: a charging cable in a cable_watch or no_parking zone for ``persist_s``.

A detection of the ``cable`` kind counts only if, when an image is given and
``geometry_check`` is on, the picture inside its box holds a thin, long structure
(:func:`vision.cable_geometry.measure_cable`). Severity is critical when the cable reaches an
e-bike (its box touches the e-bike's box grown by ``reach_margin`` e-bike heights), high
otherwise; a high event is upgraded (UPDATED) as soon as its cable reaches an e-bike. A cable
whose box centre lies in a ``shed`` zone is a charger's, not a flying wire: never due. A cable
lost for less than ``clear_after_s`` and found again in its zone near its last box (a detector
that flickers on a thin wire) is the same event; cable boxes that overlap in a frame are one wire
(the detector boxes a wire and a piece of it, the cable finder finds it too), so one event.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
from numpy.typing import NDArray

from alerts.events import Box, Detail, EventChange, EventType, Severity
from alerts.observation import Observation
from alerts.params import Anchor, FlyingWireParams
from alerts.rules.context import RuleContext
from alerts.rules.geometry import expanded, overlap_of, touches
from alerts.rules.lifecycle import OpenEvent, escalate
from alerts.rules.traces import (
    Sighting,
    Stays,
    Trace,
    follow,
    in_sheds,
    sightings,
    with_membership,
)
from alerts.rules.zone_objects import Due, ObjectRule, ObjectRuleState, flush_objects, settle
from vision.cable_geometry import measure_cable
from vision.kinds import ObjectKind
from vision.zones import ZoneKind

REACHES = Detail.CABLE_REACHES_EBIKE
_MIN_CROP_PX = 4  # smaller crops cannot be judged: the detector alone decides


def step(
    state: ObjectRuleState, obs: Observation, ctx: RuleContext
) -> tuple[ObjectRuleState, list[EventChange]]:
    zones = ctx.zones_of(ZoneKind.CABLE_WATCH, ZoneKind.NO_PARKING)
    if not zones:
        return state, []
    camera = ctx.params
    wire = camera.flying_wire
    cables = one_per_wire(
        [s for s in sightings(obs, ObjectKind.CABLE) if _looks_like_cable(s, obs, wire)]
    )
    bikes = [s.box for s in sightings(obs, ObjectKind.EBIKE)]
    clear_after = partial(_clear_after_s, ctx)
    stays = Stays(zones, wire.anchor, clear_after)
    update = follow(state.traces, cables, obs, camera.presence, 0.0, stays)
    traces = tuple(
        with_membership(t, zones, wire.anchor, obs, camera.presence) if t.id in update.seen else t
        for t in update.traces.traces
    )
    reaching = {t.id for t in traces if t.id in update.seen and _reaches(t, bikes, ctx)}
    # The cable's centre, not any point of it: a wire run from a window into the shed is still one.
    sheds = ctx.zones_of(ZoneKind.SHED)
    sheltered = in_sheds(traces, sheds, Anchor.CENTER, obs, camera.presence)
    rule = ObjectRule(
        EventType.FLYING_WIRE,
        clear_after_s=clear_after,
        remind_after_s=lambda z: None,
        forget_after_s=max(p.flying_wire.clear_after_s for p in ctx.all_params()),
        due=lambda t: None if t.id in sheltered else _due(t, obs.timestamp, ctx, t.id in reaching),
        adjust=lambda events: _escalate(events, reaching),
    )
    return settle(state, update, traces, obs.timestamp, camera.events, ctx.camera_id, rule)


def flush(state: ObjectRuleState, ts: float) -> tuple[ObjectRuleState, list[EventChange]]:
    return flush_objects(state, ts)


def _clear_after_s(ctx: RuleContext, zone: str | None) -> float:
    return ctx.for_zone(zone).flying_wire.clear_after_s


def one_per_wire(cables: Sequence[Sighting]) -> list[Sighting]:
    """The frame's cable sightings with every group of overlapping boxes made one: their union
    box, with the score and tracker id of the best of them (boxes that only touch stay apart:
    two wires side by side)."""
    groups: list[list[Sighting]] = []
    for cable in sorted(cables, key=lambda s: -s.confidence):
        joined = [g for g in groups if any(overlap_of(cable.box, s.box) > 0 for s in g)]
        for g in joined:
            groups.remove(g)
        groups.append([s for g in joined for s in g] + [cable])
    return [_union(g) for g in groups]


def _union(group: Sequence[Sighting]) -> Sighting:
    best = max(group, key=lambda s: s.confidence)
    if len(group) == 1:
        return best
    boxes = [s.box for s in group]
    box = Box(
        min(b.x1 for b in boxes), min(b.y1 for b in boxes),
        max(b.x2 for b in boxes), max(b.y2 for b in boxes),
    )  # fmt: skip
    return Sighting(box, best.confidence, best.track_id)


def _looks_like_cable(s: Sighting, obs: Observation, p: FlyingWireParams) -> bool:
    if not p.geometry_check or obs.image is None:
        return True
    crop = _crop(obs.image, s.box)
    if min(crop.shape[:2]) < _MIN_CROP_PX:
        return True
    return measure_cable(crop).score >= p.min_geometry_score


def _crop(image: NDArray[np.uint8], box: Box) -> NDArray[np.uint8]:
    h, w = image.shape[:2]
    x1, x2 = int(np.floor(box.x1 * w)), int(np.ceil(box.x2 * w))
    y1, y2 = int(np.floor(box.y1 * h)), int(np.ceil(box.y2 * h))
    return image[max(y1, 0) : min(y2, h), max(x1, 0) : min(x2, w)]


def _reaches(trace: Trace, bikes: Sequence[Box], ctx: RuleContext) -> bool:
    margin = ctx.for_zone(trace.membership.zone).flying_wire.reach_margin
    for bike in bikes:
        grow = margin * (bike.y2 - bike.y1)
        if touches(trace.box, expanded(bike, grow, grow)):
            return True
    return False


def _escalate(
    events: tuple[OpenEvent, ...], reaching: set[int]
) -> tuple[tuple[OpenEvent, ...], list[EventChange]]:
    kept, changes = [], []
    for event in events:
        if event.subject in reaching and event.record.severity is not Severity.CRITICAL:
            event, change = escalate(event, Severity.CRITICAL, REACHES)
            changes.append(change)
        kept.append(event)
    return tuple(kept), changes


def _due(trace: Trace, ts: float, ctx: RuleContext, reaches: bool) -> Due | None:
    since = trace.membership.since
    if since is None or ts - since < ctx.for_zone(trace.membership.zone).flying_wire.persist_s:
        return None
    if reaches:
        return Due(trace, since, Severity.CRITICAL, (REACHES,))
    return Due(trace, since, Severity.HIGH)
