"""What the per-object rules share: their state, carrying open events from frame to frame, and
the steps every one of them ends a frame with (:func:`settle`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from alerts.events import EventChange, EventRecord, EventType, Severity
from alerts.params import EventParams
from alerts.rules.lifecycle import OpenEvent, Sight, end_event, event_key, observe, raise_event
from alerts.rules.traces import Trace, TraceSet, TraceUpdate, drop_stale


@dataclass(frozen=True)
class ObjectRuleState:
    """State of a rule about objects in zones.

    Attributes:
        traces: the objects it follows.
        events: its open events, one per trace at most (``OpenEvent.subject`` = trace id).
        raised: events raised so far (numbers the keys).
    """

    traces: TraceSet = field(default_factory=TraceSet)
    events: tuple[OpenEvent, ...] = ()
    raised: int = 0


@dataclass(frozen=True)
class Due:
    """A trace whose condition has held long enough: raise an event for it."""

    trace: Trace
    start_ts: float
    severity: Severity
    details: tuple[str, ...] = ()


EventsHook = Callable[[tuple[OpenEvent, ...]], tuple[tuple[OpenEvent, ...], list[EventChange]]]


@dataclass(frozen=True)
class ObjectRule:
    """What sets one object rule apart in :func:`settle`.

    Attributes:
        event_type: the type of the events it raises.
        clear_after_s: a zone's (None: no zone) seconds gone before an event ends.
        remind_after_s: a zone's seconds before a reminder, None for none.
        forget_after_s: seconds an unseen object is kept (the longest ``clear_after_s``).
        due: whether a trace with no open event has met the condition, and how to raise it.
        adjust: an optional last look at the carried events (e.g. raise their severity).
    """

    event_type: EventType
    clear_after_s: Callable[[str | None], float]
    remind_after_s: Callable[[str | None], float | None]
    forget_after_s: float
    due: Callable[[Trace], Due | None]
    adjust: EventsHook | None = None


def due_at_rest(trace: Trace, ts: float, dwell_s: float, severity: Severity) -> Due | None:
    """Due once the trace has been at rest in its zone for ``dwell_s`` (from when it came to
    rest or entered the zone, whichever was later)."""
    since = trace.membership.since
    if trace.rest_since is None or since is None:
        return None
    start = max(trace.rest_since, since)
    return Due(trace, start, severity) if ts - start >= dwell_s else None


def settle(
    state: ObjectRuleState,
    update: TraceUpdate,
    traces: tuple[Trace, ...],
    ts: float,
    evidence: EventParams,
    camera_id: str,
    rule: ObjectRule,
) -> tuple[ObjectRuleState, list[EventChange]]:
    """End a frame: carry the open events (observe, remind, end), forget stale objects, and raise
    an event for every trace that has become due.

    ``update`` is this frame's :func:`~alerts.rules.traces.follow` result and ``traces`` its
    traces after the rule's own per-trace work (zone membership, rest)."""
    events, changes = carry_events(
        state.events,
        {t.id: t for t in traces},
        update.seen,
        ts,
        evidence,
        rule.clear_after_s,
        rule.remind_after_s,
    )
    if rule.adjust is not None:
        events, adjusted = rule.adjust(events)
        changes += adjusted
    state = replace(
        state,
        traces=drop_stale(replace(update.traces, traces=traces), ts, rule.forget_after_s),
        events=events,
    )
    due = [d for t in without_event(traces, state, update.seen) if (d := rule.due(t))]
    state, raised = raise_due(state, due, camera_id, rule.event_type, ts)
    return state, changes + raised


def carry_events(
    events: Sequence[OpenEvent],
    traces: Mapping[int, Trace],
    seen: Mapping[int, int],
    ts: float,
    evidence: EventParams,
    clear_after_s: Callable[[str | None], float],
    remind_after_s: Callable[[str | None], float | None],
) -> tuple[tuple[OpenEvent, ...], list[EventChange]]:
    """Observe every open event whose object is seen in its zone this frame; end those whose
    object has not been seen there for more than the zone's ``clear_after_s``."""
    kept: list[OpenEvent] = []
    changes: list[EventChange] = []
    for event in events:
        zone = event.record.zone
        trace = traces.get(event.subject) if event.subject is not None else None
        if trace is not None and trace.id in seen and trace.membership.zone == zone:
            sight = Sight(ts, trace.box, trace.confidence, trace.track_id)
            event, more = observe(event, sight, evidence, remind_after_s(zone))
            changes += more
        if ts - event.last_present_ts > clear_after_s(zone):
            changes.append(end_event(event, event.last_present_ts))
        else:
            kept.append(event)
    return tuple(kept), changes


def raise_due(
    state: ObjectRuleState, due: Sequence[Due], camera_id: str, event_type: EventType, ts: float
) -> tuple[ObjectRuleState, list[EventChange]]:
    """Open one event per due trace."""
    events = list(state.events)
    changes = []
    raised = state.raised
    for d in due:
        raised += 1
        zone = d.trace.membership.zone
        record = EventRecord(
            key=event_key(camera_id, event_type, zone, raised),
            camera_id=camera_id,
            zone=zone,
            type=event_type,
            severity=d.severity,
            track_id=d.trace.track_id,
            confidence=d.trace.best_confidence,
            start_ts=d.start_ts,
            alert_ts=ts,
            box=d.trace.box,
            details=d.details,
        )
        event, change = raise_event(record, d.trace.id, ts)
        events.append(event)
        changes.append(change)
    return replace(state, events=tuple(events), raised=raised), changes


def without_event(
    traces: Sequence[Trace], state: ObjectRuleState, seen: Mapping[int, int]
) -> list[Trace]:
    """Traces seen this frame, inside a zone, that have no open event."""
    busy = {e.subject for e in state.events}
    return [
        t for t in traces if t.id in seen and t.id not in busy and t.membership.zone is not None
    ]


def flush_objects(state: ObjectRuleState, ts: float) -> tuple[ObjectRuleState, list[EventChange]]:
    """End every open event at ``ts`` and forget the objects; keys keep counting."""
    changes = [end_event(e, ts) for e in state.events]
    return ObjectRuleState(raised=state.raised), changes
