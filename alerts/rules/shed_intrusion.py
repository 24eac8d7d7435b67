"""shed_intrusion: a person in a ``shed`` zone during its closed hours for ``min_s`` -> high,
alerted at once (with the snapshot every raised event gets).

Each shed has its own schedule (``closed_hours`` in the shed zone's ``rules``), read in the
site's time zone off the frame's wall-clock time; windows may wrap midnight. The time counted is
the time in the shed *while closed*: someone inside since before closing time is due ``min_s``
after closing. People passing the door, or crossing the shed in less than ``min_s``, are never
due; nor is the next one through the same door: a person lost for more than ``refind_s`` is not
found again (unlike a parked bike, people come and go), so two passers-by are two short stays.
One event per shed at a time (a group is one intrusion): it lasts while anyone is in the shed
(handed over to whoever is still there when the person it was raised for is not seen), and ENDS
once the shed has been empty ``clear_after_s``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import partial

from alerts.events import EventChange, EventType, Severity
from alerts.observation import Observation
from alerts.rules.context import RuleContext
from alerts.rules.lifecycle import OpenEvent
from alerts.rules.schedule import closed_for_s
from alerts.rules.traces import Stays, Trace, follow, sightings, with_membership
from alerts.rules.zone_objects import Due, ObjectRule, ObjectRuleState, flush_objects, settle
from vision.kinds import ObjectKind
from vision.zones import Zone, ZoneKind


def step(
    state: ObjectRuleState, obs: Observation, ctx: RuleContext
) -> tuple[ObjectRuleState, list[EventChange]]:
    zones = _scheduled_sheds(ctx)
    if not zones:
        return state, []
    camera = ctx.params
    anchor = camera.shed_intrusion.anchor
    stays = Stays(zones, anchor, lambda zone: ctx.for_zone(zone).shed_intrusion.refind_s)
    people = sightings(obs, ObjectKind.PERSON)
    update = follow(state.traces, people, obs, camera.presence, 0.0, stays)
    traces = tuple(
        with_membership(t, zones, anchor, obs, camera.presence) if t.id in update.seen else t
        for t in update.traces.traces
    )
    seen = [t for t in traces if t.id in update.seen]
    busy = {e.record.zone for e in state.events}
    due = _first_due_per_shed(seen, busy, obs, ctx)
    present = {t.membership.zone: t.id for t in seen if t.membership.zone is not None}
    rule = ObjectRule(
        EventType.SHED_INTRUSION,
        clear_after_s=partial(_clear_after_s, ctx),
        remind_after_s=lambda z: None,
        forget_after_s=max(p.shed_intrusion.refind_s for p in ctx.all_params()),
        due=lambda t: due.get(t.id),
        adjust=lambda events: (_hand_over(events, present, update.seen, obs.timestamp), []),
    )
    return settle(state, update, traces, obs.timestamp, camera.events, ctx.camera_id, rule)


def flush(state: ObjectRuleState, ts: float) -> tuple[ObjectRuleState, list[EventChange]]:
    return flush_objects(state, ts)


def _scheduled_sheds(ctx: RuleContext) -> tuple[Zone, ...]:
    """The camera's sheds that are ever closed."""
    sheds = ctx.zones_of(ZoneKind.SHED)
    return tuple(z for z in sheds if ctx.for_zone(z.name).shed_intrusion.closed_hours)


def _clear_after_s(ctx: RuleContext, zone: str | None) -> float:
    return ctx.for_zone(zone).shed_intrusion.clear_after_s


def _hand_over(
    events: tuple[OpenEvent, ...],
    present: Mapping[str, int],
    seen: Mapping[int, int],
    ts: float,
) -> tuple[OpenEvent, ...]:
    """Each event whose person is not seen this frame follows someone else seen in its shed."""
    out = []
    for event in events:
        other = present.get(event.record.zone or "")
        if event.subject not in seen and other is not None:
            event = replace(event, subject=other, last_present_ts=ts)
        out.append(event)
    return tuple(out)


def _first_due_per_shed(
    traces: list[Trace], busy: set[str | None], obs: Observation, ctx: RuleContext
) -> dict[int, Due]:
    """Trace id -> its Due, for the longest-staying due person of each shed without an open
    event."""
    first: dict[str, Due] = {}
    for trace in traces:
        zone = trace.membership.zone
        if zone is None or zone in busy:
            continue
        due = _due(trace, obs, ctx)
        if due is not None and (zone not in first or due.start_ts < first[zone].start_ts):
            first[zone] = due
    return {d.trace.id: d for d in first.values()}


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
