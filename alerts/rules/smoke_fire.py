"""smoke_fire: flame or smoke at a charging place -> critical, raised at once.

Watches the camera's ``shed`` zones (where e-bikes are parked and charged), each swept upward by
``rise`` frame heights since flames and smoke rise above the floor they start on, with the
classical check of :mod:`vision.fire` (colour, flicker, growth, rise; people's boxes excluded)
on every frame that has an image. A region belongs to the zone under its base. One event per
zone while it burns: raised on the first frame the check confirms (no extra dwell: the check's
own window is the wait), kept current (box, confidence, UPDATED when smoke is joined by flame or
the other way round), ENDED once nothing was seen for ``clear_after_s``. Unacknowledged, it is
escalated by the notification jobs like every critical event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from alerts.events import Box, Detail, EventChange, EventRecord, EventType, Severity
from alerts.observation import Observation
from alerts.params import RuleParams, SmokeFireParams
from alerts.rules.context import RuleContext
from alerts.rules.lifecycle import OpenEvent, Sight, end_event, escalate, event_key, observe
from alerts.rules.lifecycle import raise_event as open_event
from alerts.rules.traces import sightings
from vision.fire import FireHistory, FireKind, FireRegion, FireThresholds, watch_fire
from vision.fire_masks import watched_mask, work_size
from vision.kinds import ObjectKind
from vision.zones import Zone, ZoneKind

WATCHED_KINDS = (ZoneKind.SHED,)
"""Zone kinds where e-bikes charge: the only places this rule looks."""

_DETAILS = {FireKind.FLAME: Detail.FLAME_SEEN, FireKind.SMOKE: Detail.SMOKE_SEEN}


@dataclass(frozen=True)
class ZoneFire:
    """A zone's open event and when flame or smoke was last seen there."""

    zone: str
    event: OpenEvent
    last_seen: float


@dataclass(frozen=True, eq=False)
class SmokeFireState:
    """Attributes:
    history: the check's frames (one per camera: the zones share the picture).
    burning: open events, one per zone at most.
    raised: events raised so far (numbers the keys).
    """

    history: FireHistory = field(default_factory=FireHistory)
    burning: tuple[ZoneFire, ...] = ()
    raised: int = 0


def step(
    state: SmokeFireState, obs: Observation, ctx: RuleContext
) -> tuple[SmokeFireState, list[EventChange]]:
    zones = ctx.zones_of(*WATCHED_KINDS)
    if not zones or obs.image is None:
        return state, []  # without a picture a fire is neither seen nor seen to be out
    p = ctx.params.smoke_fire
    size = work_size(obs.image.shape[1], obs.image.shape[0])
    watched = watched_mask([z.polygon for z in zones], size, p.rise)
    people = [_xyxy(s.box) for s in sightings(obs, ObjectKind.PERSON)]
    history, regions = watch_fire(
        state.history, obs.image, watched, people, obs.timestamp, thresholds(p)
    )
    state = replace(state, history=history)
    by_zone = _by_zone(regions, zones, size, p.rise)
    return _settle(state, by_zone, obs.timestamp, ctx)


def check_fps(zones: Sequence[Zone], params: RuleParams, detect_fps: float) -> float | None:
    """Frames a second the check wants on a camera with these ``zones`` beyond its
    ``detect_fps``: the camera's ``check_fps`` when it has a watched zone and that is faster,
    else None (no extra frames)."""
    if not any(z.kind in WATCHED_KINDS for z in zones):
        return None
    wanted = params.smoke_fire.check_fps
    return wanted if wanted > detect_fps else None


def flush(state: SmokeFireState, ts: float) -> tuple[SmokeFireState, list[EventChange]]:
    """End every open event; the learned background is kept (same camera, same view)."""
    changes = [end_event(b.event, ts) for b in state.burning]
    return replace(state, burning=()), changes


def thresholds(p: SmokeFireParams) -> FireThresholds:
    return FireThresholds(window_s=p.window_s, min_flicker=p.min_flicker, smoke=p.smoke_check)


def _xyxy(box: Box) -> tuple[float, float, float, float]:
    return (box.x1, box.y1, box.x2, box.y2)


def _by_zone(
    regions: list[FireRegion], zones: tuple[Zone, ...], size: tuple[int, int], rise: float
) -> dict[str, list[FireRegion]]:
    """Regions by the first zone (configuration order) whose swept area holds their base."""
    masks = [(z.name, watched_mask([z.polygon], size, rise)) for z in zones]
    w, h = size
    out: dict[str, list[FireRegion]] = {}
    for region in regions:
        col = min(w - 1, int(region.base[0] * w))
        row = min(h - 1, max(0, int(region.base[1] * h) - 1))
        for name, mask in masks:
            if mask[row, col]:
                out.setdefault(name, []).append(region)
                break
    return out


def _settle(
    state: SmokeFireState, by_zone: dict[str, list[FireRegion]], ts: float, ctx: RuleContext
) -> tuple[SmokeFireState, list[EventChange]]:
    kept: list[ZoneFire] = []
    changes: list[EventChange] = []
    for burning in state.burning:
        seen = by_zone.pop(burning.zone, None)
        if seen is not None:
            event, more = _still_burning(burning.event, seen, ts, ctx)
            kept.append(ZoneFire(burning.zone, event, ts))
            changes += more
        elif ts - burning.last_seen >= ctx.for_zone(burning.zone).smoke_fire.clear_after_s:
            changes.append(end_event(burning.event, burning.last_seen))
        else:
            kept.append(burning)
    raised = state.raised
    for zone, seen in by_zone.items():
        raised += 1
        event, change = open_event(_record(ctx.camera_id, zone, seen, ts, raised), None, ts)
        kept.append(ZoneFire(zone, event, ts))
        changes.append(change)
    return replace(state, burning=tuple(kept), raised=raised), changes


def _strongest(seen: list[FireRegion]) -> FireRegion:
    return max(seen, key=lambda r: r.score)


def _box(region: FireRegion) -> Box:
    return Box(*region.box)


def _record(
    camera_id: str, zone: str, seen: list[FireRegion], ts: float, number: int
) -> EventRecord:
    best = _strongest(seen)
    return EventRecord(
        key=event_key(camera_id, EventType.SMOKE_FIRE, zone, number),
        camera_id=camera_id,
        zone=zone,
        type=EventType.SMOKE_FIRE,
        severity=Severity.CRITICAL,
        track_id=None,
        confidence=best.score,
        start_ts=ts,
        alert_ts=ts,
        box=_box(best),
        details=tuple(dict.fromkeys(_DETAILS[r.kind].value for r in seen)),
    )


def _still_burning(
    event: OpenEvent, seen: list[FireRegion], ts: float, ctx: RuleContext
) -> tuple[OpenEvent, list[EventChange]]:
    best = _strongest(seen)
    sight = Sight(ts, _box(best), best.score, None)
    event, changes = observe(event, sight, ctx.params.events, None)
    for kind in dict.fromkeys(r.kind for r in seen):
        if _DETAILS[kind].value not in event.record.details:
            event, change = escalate(event, Severity.CRITICAL, _DETAILS[kind].value)
            changes.append(change)
    return event, changes
