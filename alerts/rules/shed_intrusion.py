"""shed_intrusion: a person in a ``shed`` zone during its closed hours for ``min_s`` -> high,
alerted at once (with the snapshot every raised event gets).

Each shed has its own schedule (``closed_hours`` in the shed zone's ``rules``), read in the
site's time zone off the frame's wall-clock time; windows may wrap midnight. The time counted is
the time in the shed *while closed*: someone inside since before closing time is due ``min_s``
after closing. People passing the door, or crossing the shed in less than ``min_s``, are never
due. One event per stay (a person lost for less than ``clear_after_s`` and found again nearby
is the same stay); ENDED once they have been gone ``clear_after_s``.
"""

from __future__ import annotations

from functools import partial

from alerts.events import EventChange, EventType, Severity
from alerts.observation import Observation
from alerts.rules.context import RuleContext
from alerts.rules.schedule import closed_for_s
from alerts.rules.traces import Stays, Trace, follow, sightings, with_membership
from alerts.rules.zone_objects import Due, ObjectRule, ObjectRuleState, flush_objects, settle
from vision.kinds import ObjectKind
from vision.zones import ZoneKind


def step(
    state: ObjectRuleState, obs: Observation, ctx: RuleContext
) -> tuple[ObjectRuleState, list[EventChange]]:
    zones = tuple(
        z for z in ctx.zones_of(ZoneKind.SHED) if ctx.for_zone(z.name).shed_intrusion.closed_hours
    )
    if not zones:
        return state, []
    camera = ctx.params
    anchor = camera.shed_intrusion.anchor
    clear_after = partial(_clear_after_s, ctx)
    stays = Stays(zones, anchor, clear_after)
    people = sightings(obs, ObjectKind.PERSON)
    update = follow(state.traces, people, obs, camera.presence, 0.0, stays)
    traces = tuple(
        with_membership(t, zones, anchor, obs, camera.presence) if t.id in update.seen else t
        for t in update.traces.traces
    )
    rule = ObjectRule(
        EventType.SHED_INTRUSION,
        clear_after_s=clear_after,
        remind_after_s=lambda z: None,
        forget_after_s=max(p.shed_intrusion.clear_after_s for p in ctx.all_params()),
        due=lambda t: _due(t, obs, ctx),
    )
    return settle(state, update, traces, obs.timestamp, camera.events, ctx.camera_id, rule)


def flush(state: ObjectRuleState, ts: float) -> tuple[ObjectRuleState, list[EventChange]]:
    return flush_objects(state, ts)


def _clear_after_s(ctx: RuleContext, zone: str | None) -> float:
    return ctx.for_zone(zone).shed_intrusion.clear_after_s


def _due(trace: Trace, obs: Observation, ctx: RuleContext) -> Due | None:
    since = trace.membership.since
    if since is None:
        return None
    p = ctx.for_zone(trace.membership.zone).shed_intrusion
    closed_for = closed_for_s(obs.wall_time, ctx.tz, p.closed_hours)
    if closed_for is None:
        return None
    start = max(since, obs.timestamp - closed_for)
    if obs.timestamp - start < p.min_s:
        return None
    return Due(trace, start, Severity.HIGH)
