"""An event's life: raised once, then reminded, updated with better evidence, ended. Pure."""

from __future__ import annotations

from dataclasses import dataclass, replace

from alerts.events import Box, ChangeKind, EventChange, EventRecord, EventType, Severity
from alerts.params import EventParams
from alerts.rules.geometry import box_area


@dataclass(frozen=True)
class OpenEvent:
    """An event whose condition still holds, as its rule tracks it.

    Attributes:
        record: the record as last reported (box and confidence kept current).
        subject: the rule's trace id for the object, or None for camera-wide events.
        last_present_ts: last time the condition was seen to hold.
        last_notice_ts: when it was raised or last reminded.
        best_evidence: best confidence x normalized box area reported so far.
        last_update_ts: when the last evidence UPDATED was emitted (or it was raised).
    """

    record: EventRecord
    subject: int | None
    last_present_ts: float
    last_notice_ts: float
    best_evidence: float
    last_update_ts: float


@dataclass(frozen=True)
class Sight:
    """What the rule sees of the event's object on one frame."""

    ts: float
    box: Box | None
    confidence: float
    track_id: int | None


def event_key(camera_id: str, event_type: EventType, zone: str | None, number: int) -> str:
    """Deterministic key, unique per stay within one engine: ``camera:type:zone:n``."""
    return f"{camera_id}:{event_type.value}:{zone or '-'}:{number}"


def raise_event(
    record: EventRecord, subject: int | None, ts: float
) -> tuple[OpenEvent, EventChange]:
    """Open an event for ``record`` (whose ``alert_ts`` should be ``ts``)."""
    evidence = _evidence(record.confidence, record.box)
    opened = OpenEvent(record, subject, ts, ts, evidence, ts)
    return opened, EventChange(ChangeKind.RAISED, record)


def observe(
    event: OpenEvent, sight: Sight, params: EventParams, remind_after_s: float | None
) -> tuple[OpenEvent, list[EventChange]]:
    """The condition still holds on this frame: keep the record current; REMINDED when due;
    UPDATED when this frame is clearly better evidence than the best so far (rate-limited)."""
    record = replace(
        event.record,
        box=sight.box if sight.box is not None else event.record.box,
        confidence=max(event.record.confidence, sight.confidence),
        track_id=sight.track_id if sight.track_id is not None else event.record.track_id,
    )
    event = replace(event, record=record, last_present_ts=sight.ts)
    changes = []
    if remind_after_s is not None and sight.ts - event.last_notice_ts >= remind_after_s:
        event = replace(event, last_notice_ts=sight.ts)
        changes.append(EventChange(ChangeKind.REMINDED, record))
    evidence = _evidence(sight.confidence, sight.box)
    if (
        evidence > event.best_evidence * params.better_evidence_ratio
        and sight.ts - event.last_update_ts >= params.min_update_interval_s
    ):
        event = replace(event, best_evidence=evidence, last_update_ts=sight.ts)
        changes.append(EventChange(ChangeKind.UPDATED, record))
    return event, changes


def escalate(event: OpenEvent, severity: Severity, detail: str) -> tuple[OpenEvent, EventChange]:
    """Raise the event's severity (never lowers it) and say why."""
    details = (
        event.record.details if detail in event.record.details else (*event.record.details, detail)
    )
    record = replace(event.record, severity=severity, details=details)
    return replace(event, record=record), EventChange(ChangeKind.UPDATED, record)


def end_event(event: OpenEvent, end_ts: float) -> EventChange:
    return EventChange(ChangeKind.ENDED, replace(event.record, end_ts=end_ts))


def _evidence(confidence: float, box: Box | None) -> float:
    return confidence * (box_area(box) if box is not None else 1.0)
