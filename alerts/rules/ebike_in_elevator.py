"""ebike_in_elevator: an e-bike in an elevator zone for ``min_s`` -> critical, at once.

Only the detector's ``ebike`` kind counts: bicycles, strollers and wheelchairs are other kinds
(or none). One event per stay: an e-bike lost for less than ``clear_after_s`` and found again in
the zone a little further on, under any tracker id, is the same stay; ENDED once it has been
gone ``clear_after_s``.
"""

from __future__ import annotations

from functools import partial

from alerts.events import EventChange, EventType, Severity
from alerts.observation import Observation
from alerts.rules.context import RuleContext
from alerts.rules.traces import Stays, Trace, follow, sightings, with_membership
from alerts.rules.zone_objects import Due, ObjectRule, ObjectRuleState, flush_objects, settle
from vision.kinds import ObjectKind
from vision.zones import ZoneKind


def step(
    state: ObjectRuleState, obs: Observation, ctx: RuleContext
) -> tuple[ObjectRuleState, list[EventChange]]:
    zones = ctx.zones_of(ZoneKind.ELEVATOR)
    if not zones:
        return state, []
    camera = ctx.params
    anchor = camera.ebike_in_elevator.anchor
    clear_after = partial(_clear_after_s, ctx)
    stays = Stays(zones, anchor, clear_after)
    bikes = sightings(obs, ObjectKind.EBIKE)
    update = follow(state.traces, bikes, obs, camera.presence, 0.0, stays)
    traces = tuple(
        with_membership(t, zones, anchor, obs, camera.presence) if t.id in update.seen else t
        for t in update.traces.traces
    )
    rule = ObjectRule(
        EventType.EBIKE_IN_ELEVATOR,
        clear_after_s=clear_after,
        remind_after_s=lambda z: None,
        forget_after_s=max(p.ebike_in_elevator.clear_after_s for p in ctx.all_params()),
        due=lambda t: _due(t, obs.timestamp, ctx),
    )
    return settle(state, update, traces, obs.timestamp, camera.events, ctx.camera_id, rule)


def flush(state: ObjectRuleState, ts: float) -> tuple[ObjectRuleState, list[EventChange]]:
    return flush_objects(state, ts)


def _clear_after_s(ctx: RuleContext, zone: str | None) -> float:
    return ctx.for_zone(zone).ebike_in_elevator.clear_after_s


def _due(trace: Trace, ts: float, ctx: RuleContext) -> Due | None:
    since = trace.membership.since
    if since is None or ts - since < ctx.for_zone(trace.membership.zone).ebike_in_elevator.min_s:
        return None
    return Due(trace, since, Severity.CRITICAL)
