"""ebike_parked: an e-bike at rest in a no_parking zone for ``dwell_s``.

The timer belongs to the stay (this e-bike at this spot), so missed frames shorter than
``clear_after_s`` and tracker id switches do not reset it. A moving e-bike never counts, and
one moving with a person on or beside it counts as moving even at half ``max_speed`` (it is
being wheeled). One event per stay, reminders while it stays, ENDED once it has been gone
``clear_after_s``; an e-bike lost for less than ``clear_after_s`` and found again in its zone a
little further on (its box overlapping its last one, or within ``presence.refind_distance`` box
widths) is the same stay: no second event.

``shed`` zones are where e-bikes belong: drawn inside a ``no_parking`` zone (a courtyard, a
ground-floor lobby), they carve the charging shed out of it. An e-bike whose anchor stands in a
shed (with the zone-leaving margin, so one parked at the shed's edge does not flicker out) is
never due, however long it rests; wheeled out of the shed and left beside it, it is.
"""

from __future__ import annotations

from functools import partial

from alerts.events import EventChange, EventType, Severity
from alerts.observation import Observation
from alerts.rules.context import RuleContext
from alerts.rules.geometry import overlap_of
from alerts.rules.traces import (
    Stays,
    Trace,
    follow,
    in_sheds,
    sightings,
    with_membership,
    with_rest,
)
from alerts.rules.zone_objects import (
    Due,
    ObjectRule,
    ObjectRuleState,
    due_at_rest,
    flush_objects,
    settle,
)
from vision.kinds import ObjectKind
from vision.zones import ZoneKind

PERSON_OVERLAP = 0.1  # share of the e-bike's box a person must cover to be "with" it


def step(
    state: ObjectRuleState, obs: Observation, ctx: RuleContext
) -> tuple[ObjectRuleState, list[EventChange]]:
    zones = ctx.zones_of(ZoneKind.NO_PARKING)
    if not zones:
        return state, []
    camera = ctx.params
    people = [s.box for s in sightings(obs, ObjectKind.PERSON)]
    history = max(p.ebike_parked.rest_window_s for p in ctx.all_params())
    clear_after = partial(_clear_after_s, ctx)
    stays = Stays(zones, camera.ebike_parked.anchor, clear_after)
    bikes = sightings(obs, ObjectKind.EBIKE)
    update = follow(state.traces, bikes, obs, camera.presence, history, stays)
    traces = tuple(
        _advance(t, obs, ctx, people, zones) if t.id in update.seen else t
        for t in update.traces.traces
    )
    sheltered = in_sheds(
        traces, ctx.zones_of(ZoneKind.SHED), camera.ebike_parked.anchor, obs, camera.presence
    )
    rule = ObjectRule(
        EventType.EBIKE_PARKED,
        clear_after_s=clear_after,
        remind_after_s=lambda z: ctx.for_zone(z).ebike_parked.remind_after_s,
        forget_after_s=max(p.ebike_parked.clear_after_s for p in ctx.all_params()),
        due=lambda t: None if t.id in sheltered else _due(t, obs.timestamp, ctx),
    )
    return settle(state, update, traces, obs.timestamp, camera.events, ctx.camera_id, rule)


def flush(state: ObjectRuleState, ts: float) -> tuple[ObjectRuleState, list[EventChange]]:
    return flush_objects(state, ts)


def _clear_after_s(ctx: RuleContext, zone: str | None) -> float:
    return ctx.for_zone(zone).ebike_parked.clear_after_s


def _advance(trace: Trace, obs: Observation, ctx: RuleContext, people: list, zones: tuple) -> Trace:
    camera = ctx.params
    trace = with_membership(trace, zones, camera.ebike_parked.anchor, obs, camera.presence)
    p = ctx.for_zone(trace.membership.zone).ebike_parked
    with_person = any(overlap_of(trace.box, person) >= PERSON_OVERLAP for person in people)
    wheeled = p.max_speed * p.wheeled_speed_ratio if with_person else None
    return with_rest(trace, obs, p.max_speed, p.rest_window_s, wheeled)


def _due(trace: Trace, ts: float, ctx: RuleContext) -> Due | None:
    dwell_s = ctx.for_zone(trace.membership.zone).ebike_parked.dwell_s
    return due_at_rest(trace, ts, dwell_s, Severity.HIGH)
