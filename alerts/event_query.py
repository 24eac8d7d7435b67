"""Finding events: the filters people search by and keyset paging over the newest-first list.

The list is ordered by ``(alert_ts, id)`` descending; a page ends with an opaque cursor naming its
last event, and the next page starts strictly after it. Unlike an offset, a cursor stays right
while events are added or removed: no event is shown twice or skipped. Migration 0010 adds an
index ``(column, alert_ts, id)`` for every filter column, so each filter reads its page from an
index on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

from alerts.errors import StoreError
from alerts.events import EventStatus, EventType, Severity
from alerts.fleet_models import NodeRow
from alerts.models import EventRow
from alerts.stored import StoredEvent

MAX_CHOICES = 1000  # distinct values a filter offers, at most


class VerdictFilter(StrEnum):
    """The events with this verdict; ``none``: nobody has reviewed them yet."""

    CONFIRMED = "confirmed"
    FALSE_ALARM = "false_alarm"
    NONE = "none"


class BadCursor(StoreError):
    """A paging cursor that this store did not hand out (or that was altered)."""


@dataclass(frozen=True)
class EventFilter:
    """What to find; every field left None matches all. Times are Unix seconds, ``start``
    inclusive and ``end`` exclusive, both on the alert time."""

    building: str | None = None
    floor: str | None = None
    camera_id: str | None = None
    type: EventType | None = None
    severity: Severity | None = None
    status: EventStatus | None = None
    verdict: VerdictFilter | None = None
    start: float | None = None
    end: float | None = None
    node: str | None = None  # raised by this fleet node
    site: str | None = None  # raised by a node of this site


@dataclass(frozen=True)
class Cursor:
    """The last event of a page: the next page holds the events after it, newest first."""

    alert_ts: float
    id: str

    def token(self) -> str:
        """Opaque, URL-safe text (base64 of ``[alert_ts, id]``; the float round-trips)."""
        raw = json.dumps([self.alert_ts, self.id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def parse(cls, token: str) -> Cursor:
        """The cursor ``token`` names; :class:`BadCursor` when it is not one of ours."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            alert_ts, event_id = json.loads(raw)
        except (binascii.Error, ValueError, TypeError):
            raise BadCursor(f"not a paging cursor: {token[:80]!r}") from None
        if not _is_time(alert_ts) or not isinstance(event_id, str) or len(event_id) > 64:
            raise BadCursor(f"not a paging cursor: {token[:80]!r}")
        return cls(float(alert_ts), event_id)

    @classmethod
    def after(cls, event: StoredEvent) -> Cursor:
        return cls(event.alert_ts, event.id)


@dataclass(frozen=True)
class EventPage:
    """One page, newest first; ``next`` is None on the last page."""

    events: list[StoredEvent]
    next: Cursor | None


@dataclass(frozen=True)
class EventPageJson:
    """:class:`EventPage` with its events already JSON (a list of StoredEvent objects)."""

    events_json: bytes
    next: Cursor | None


@dataclass(frozen=True)
class FilterChoices:
    """What the stored events offer to filter by, each sorted; ``cameras``: id -> name."""

    buildings: list[str]
    floors: list[str]
    cameras: dict[str, str]


def filtered(query: Select[Any], which: EventFilter) -> Select[Any]:
    """``query`` restricted to the events ``which`` matches."""
    equal = (
        (EventRow.building, which.building),
        (EventRow.floor, which.floor),
        (EventRow.camera_id, which.camera_id),
        (EventRow.type, which.type),
        (EventRow.severity, which.severity),
        (EventRow.status, which.status),
    )
    for column, value in equal:
        if value is not None:
            query = query.where(column == str(value))
    if which.verdict is VerdictFilter.NONE:
        query = query.where(EventRow.review_verdict.is_(None))
    elif which.verdict is not None:
        query = query.where(EventRow.review_verdict == which.verdict.value)
    if which.node is not None:
        query = query.where(EventRow.node_id == which.node)
    if which.site is not None:
        query = query.where(
            EventRow.node_id.in_(select(NodeRow.id).where(NodeRow.site == which.site))
        )
    if which.start is not None:
        query = query.where(EventRow.alert_ts >= which.start)
    if which.end is not None:
        query = query.where(EventRow.alert_ts < which.end)
    return query


def newest_first(query: Select[Any], cursor: Cursor | None) -> Select[Any]:
    """``query`` ordered newest first, from just after ``cursor`` when given."""
    if cursor is not None:
        key = tuple_(EventRow.alert_ts, EventRow.id)
        query = query.where(key < tuple_(cursor.alert_ts, cursor.id))
    return query.order_by(EventRow.alert_ts.desc(), EventRow.id.desc())


def distinct_values(session: Session, column: Any) -> list[str]:
    """The column's distinct values, sorted, by one index seek each (a "skip scan": SQLite
    and PostgreSQL would otherwise read the whole index); at most :data:`MAX_CHOICES`."""
    values: list[str] = []
    current = session.scalar(select(func.min(column)))
    while current is not None and len(values) < MAX_CHOICES:
        values.append(current)
        current = session.scalar(select(func.min(column)).where(column > current))
    return values


def latest_camera_name(camera_id: str) -> Select[Any]:
    """The name the camera's newest event was stored with."""
    return (
        select(EventRow.camera_name)
        .where(EventRow.camera_id == camera_id)
        .order_by(EventRow.alert_ts.desc(), EventRow.id.desc())
        .limit(1)
    )


def _is_time(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and value >= 0
