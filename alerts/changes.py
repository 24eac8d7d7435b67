"""Which events changed lately: the reads behind the dashboard's live feed.

Every write to an event (raised, evidence updated or escalated, clip stored, ended, reminded,
acknowledged, assigned, resolved, reviewed) sets its ``updated_at``, so the pair
``(updated_at, id)`` orders changes. The store stamps that time before its transaction commits, so
a change can become visible a little after a later-stamped one: readers look back a window behind
their cursor (see ``dashboard/feed.py``). The index ``ix_events_updated_at`` serves these reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from alerts.errors import StoreError
from alerts.models import ID_LEN, EventRow
from alerts.store import to_stored_event
from alerts.store_db import transaction
from alerts.stored import StoredEvent

MARK_SEPARATOR = "_"


@dataclass(frozen=True, order=True)
class ChangeMark:
    """One event's last change: its ``updated_at`` (Unix seconds) and id; marks order as
    changes happened (ties broken by id)."""

    at: float
    event_id: str

    def text(self) -> str:
        """``<updated_at>_<event id>``, exact (``repr`` of the float): parsed back by
        :func:`parse_mark`."""
        return f"{self.at!r}{MARK_SEPARATOR}{self.event_id}"


BEFORE_ALL = ChangeMark(0.0, "")  # before every change: "send everything from the start"


def parse_mark(text: str) -> ChangeMark:
    """The mark :meth:`ChangeMark.text` wrote (an empty id: before any change at that time, as
    :data:`BEFORE_ALL` is); :class:`StoreError` naming the value otherwise."""
    at_text, sep, event_id = text.partition(MARK_SEPARATOR)
    shown = text if len(text) <= 80 else text[:80] + "..."
    try:
        at = float(at_text)
    except ValueError:
        at = math.nan
    if not sep or not math.isfinite(at) or at < 0 or len(event_id) > ID_LEN:
        raise StoreError(f"not a change mark (<updated_at>_<event id>): {shown!r}")
    return ChangeMark(at, event_id)


def latest_mark(engine: Engine) -> ChangeMark | None:
    """The newest change of any event; None while there are no events."""
    query = (
        select(EventRow.updated_at, EventRow.id)
        .order_by(EventRow.updated_at.desc(), EventRow.id.desc())
        .limit(1)
    )
    with transaction(sessionmaker(engine), "changes ") as session:
        row = session.execute(query).first()
    return None if row is None else ChangeMark(float(row[0]), str(row[1]))


def marks_since(engine: Engine, since: float, limit: int) -> list[ChangeMark]:
    """The last change of each event changed at or after ``since`` (Unix seconds), oldest
    first, at most ``limit`` of them."""
    query = (
        select(EventRow.updated_at, EventRow.id)
        .where(EventRow.updated_at >= since)
        .order_by(EventRow.updated_at, EventRow.id)
        .limit(limit)
    )
    with transaction(sessionmaker(engine), "changes ") as session:
        return [ChangeMark(float(at), str(event_id)) for at, event_id in session.execute(query)]


def events_by_id(engine: Engine, event_ids: list[str]) -> list[StoredEvent]:
    """These events as they are now, in the order given; deleted ones are left out."""
    if not event_ids:
        return []
    query = select(EventRow).where(EventRow.id.in_(event_ids))
    with transaction(sessionmaker(engine), "changes ") as session:
        found = {row.id: to_stored_event(row) for row in session.scalars(query)}
    return [found[event_id] for event_id in event_ids if event_id in found]
