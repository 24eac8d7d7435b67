"""What the outbox did for an event, as the dashboard shows it: who was told at once (alerts,
reminders, ends, escalations) and which on-site responses went out, with their delivery state.
The machine feed (MQTT) and digests (one message for many events) are left out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from alerts.notices import NoticeKind
from alerts.outbox_models import DeliveryStatus, OutboxRow
from alerts.store_db import transaction

SHOWN_KINDS = tuple(
    k.value
    for k in (
        NoticeKind.ALERT,
        NoticeKind.REMINDER,
        NoticeKind.ENDED,
        NoticeKind.ESCALATION,
        NoticeKind.RESPONSE,
    )
)


class DeliveryRecord(BaseModel):
    """One message owed to one channel for the event; times are Unix seconds."""

    model_config = ConfigDict(frozen=True)

    channel: str
    kind: NoticeKind
    group: str
    status: DeliveryStatus
    attempts: int
    created_at: float
    delivered_at: float | None
    last_error: str | None


@dataclass(frozen=True)
class DeliveryCounts:
    """An event's messages by state; ``waiting`` includes those being sent right now."""

    delivered: int = 0
    waiting: int = 0
    failed: int = 0


def event_deliveries(engine: Engine, event_id: str) -> list[DeliveryRecord]:
    """The event's messages, oldest first."""
    query = (
        select(OutboxRow)
        .where(OutboxRow.event_id == event_id, OutboxRow.kind.in_(SHOWN_KINDS))
        .order_by(OutboxRow.id)
    )
    with transaction(sessionmaker(engine), "deliveries ") as session:
        rows = session.scalars(query).all()
        return [
            DeliveryRecord(
                channel=r.channel,
                kind=NoticeKind(r.kind),
                group=r.group_name,
                status=DeliveryStatus(r.status),
                attempts=r.attempts,
                created_at=r.created_at,
                delivered_at=r.delivered_at,
                last_error=r.last_error,
            )
            for r in rows
        ]


def delivery_counts(engine: Engine, event_ids: Sequence[str]) -> dict[str, DeliveryCounts]:
    """Counts per event for a page of events (one query); events with none are left out."""
    if not event_ids:
        return {}
    query = (
        select(OutboxRow.event_id, OutboxRow.status, func.count())
        .where(OutboxRow.event_id.in_(list(event_ids)), OutboxRow.kind.in_(SHOWN_KINDS))
        .group_by(OutboxRow.event_id, OutboxRow.status)
    )
    tallies: dict[str, dict[str, int]] = {}
    with transaction(sessionmaker(engine), "deliveries ") as session:
        for event_id, status, count in session.execute(query).all():
            if event_id is not None:
                tallies.setdefault(event_id, {})[status] = int(count)
    return {
        event_id: DeliveryCounts(
            delivered=t.get(DeliveryStatus.DELIVERED.value, 0),
            waiting=t.get(DeliveryStatus.PENDING.value, 0)
            + t.get(DeliveryStatus.IN_FLIGHT.value, 0),
            failed=t.get(DeliveryStatus.FAILED.value, 0),
        )
        for event_id, t in tallies.items()
    }
