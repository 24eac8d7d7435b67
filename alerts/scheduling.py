"""The scheduled notification jobs: digests, escalations, the daily summary, outbox clean-up.

Every job is one call with an explicit ``now`` (Unix seconds) that writes outbox rows in one
transaction; the runtime's APScheduler runner only decides *when* to call them. Time windows
(duty and quiet hours, the summary time) are read in the configured time zone.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from pathlib import Path

from sqlalchemy import ColumnElement, and_, exists, func, select, true, update
from sqlalchemy.orm import Session

from alerts.errors import StoreError
from alerts.events import EventStatus
from alerts.media import commit_temp, write_temp
from alerts.models import EventRow
from alerts.notices import NoticeKind, idempotency_key
from alerts.notify_config import PatrolGroupConfig
from alerts.outbox import Outbox, new_row
from alerts.outbox_models import DigestItemRow, OutboxRow
from alerts.render import BuildingCount, DigestEntry
from alerts.routing import (
    digest_allowed,
    is_critical,
    local_clock,
    may_message,
    message_channels,
    needs_escalation,
)
from alerts.store import to_stored_event
from alerts.stored import StoredEvent
from alerts.summary_chart import render_chart

log = logging.getLogger(__name__)

ESCALATION_BATCH = 200
ITEM_UPDATE_CHUNK = 500
SUMMARY_DIR = "summaries"


@dataclass(frozen=True)
class DigestResult:
    """A digest that was written: its id, how many entries, how many outbox rows."""

    digest_id: str
    entries: int
    rows: int


class DeliveryJobs:
    """The scheduled jobs over the outbox's database. Thread-safe; no threads of its own."""

    def __init__(self, outbox: Outbox, media_dir: Path) -> None:
        self._outbox = outbox
        self._config = outbox.config
        self._renderer = outbox.renderer
        self._media_dir = media_dir
        self._tz: tzinfo | None = self._config.tzinfo()

    # -- digests ------------------------------------------------------------------------------

    def run_digest(self, group_name: str, now: float) -> DigestResult | None:
        """Write one digest of the group's waiting items, if any and if the group is on duty."""
        group = self._config.group(group_name)
        channels = message_channels(self._config, group)
        if not channels or not digest_allowed(group, local_clock(now, self._tz)):
            return None
        with self._outbox.transaction() as session:
            items = session.execute(
                select(DigestItemRow, EventRow)
                .join(EventRow, EventRow.id == DigestItemRow.event_id)
                .where(DigestItemRow.group_name == group.name, DigestItemRow.digest_id.is_(None))
                .order_by(DigestItemRow.id)
            ).all()
            if not items:
                return None
            digest_id = str(uuid.uuid4())
            entries = [
                DigestEntry(to_stored_event(ev), item.entry != "raised") for item, ev in items
            ]
            fresh = {entry.event.id for entry in entries}
            still_open = _open_count(session, group) - len(
                [e for e in entries if e.event.status is EventStatus.OPEN and e.event.id in fresh]
            )
            notice = self._renderer.digest(
                entries, max(0, still_open), group.name, group.language, now
            )
            for channel in channels:
                session.add(
                    new_row(
                        None,
                        NoticeKind.DIGEST.value,
                        channel,
                        group.name,
                        notice,
                        now,
                        key_subject=digest_id,
                    )
                )
            _take_items(session, [item.id for item, _ in items], digest_id)
        return DigestResult(digest_id, len(entries), len(channels))

    # -- escalations --------------------------------------------------------------------------

    def run_escalations(self, now: float) -> int:
        """Escalate open events nobody acknowledged in time to the supervisors' groups; returns
        how many outbox rows were written. Each event escalates once per supervisors' channel."""
        supervisors = [
            g for g in self._config.groups if g.supervisors and message_channels(self._config, g)
        ]
        if not supervisors:
            return 0
        cutoff = now - self._config.escalate_after.total_seconds()
        moment = local_clock(now, self._tz)
        written = 0
        with self._outbox.transaction() as session:
            already = exists().where(
                OutboxRow.event_id == EventRow.id, OutboxRow.kind == NoticeKind.ESCALATION.value
            )
            rows = session.scalars(
                select(EventRow)
                .where(
                    EventRow.status == EventStatus.OPEN.value,
                    EventRow.created_at <= cutoff,
                    ~already,
                )
                .order_by(EventRow.created_at)
                .limit(ESCALATION_BATCH)
            ).all()
            for row in rows:
                event = to_stored_event(row)
                if not needs_escalation(event, now, self._config.escalate_after.total_seconds()):
                    continue
                written += self._escalate(session, event, supervisors, moment, now)
        return written

    def _escalate(
        self,
        session: Session,
        event: StoredEvent,
        supervisors: list[PatrolGroupConfig],
        moment: time,
        now: float,
    ) -> int:
        critical = is_critical(event.type, event.severity)
        written = 0
        for group in supervisors:
            if not may_message(group, moment, critical):
                continue  # routine escalation waits for the end of quiet hours (the next run)
            notice = self._renderer.event_notice(
                NoticeKind.ESCALATION, event, group.name, group.language, now
            )
            for channel in message_channels(self._config, group):
                session.add(
                    new_row(
                        event.id,
                        NoticeKind.ESCALATION.value,
                        channel,
                        group.name,
                        notice,
                        now,
                        event.camera_id,
                    )
                )
                written += 1
        return written

    # -- daily summary ------------------------------------------------------------------------

    def run_daily_summary(self, now: float) -> int:
        """Counts per building and type over the 24 h before ``now``, with a chart, to every
        group (outside quiet hours); once per group and local date. Returns rows written."""
        day = datetime.fromtimestamp(now, self._tz).strftime("%Y-%m-%d")
        moment = local_clock(now, self._tz)
        written = 0
        for group in self._config.groups:
            channels = message_channels(self._config, group)
            if not channels or not may_message(group, moment, critical=False):
                continue
            subject = f"summary:{day}"
            with self._outbox.transaction() as session:
                first_key = idempotency_key(
                    subject, NoticeKind.SUMMARY.value, channels[0], group.name
                )
                if session.scalar(
                    select(OutboxRow.id).where(OutboxRow.idempotency_key == first_key)
                ):
                    continue
                buildings = _building_counts(session, group, now - 86400.0, now)
                chart = self._write_chart(buildings, group, day)
                notice = self._renderer.summary(
                    buildings,
                    _open_count(session, group),
                    day,
                    chart,
                    group.name,
                    group.language,
                    now,
                )
                for channel in channels:
                    session.add(
                        new_row(
                            None,
                            NoticeKind.SUMMARY.value,
                            channel,
                            group.name,
                            notice,
                            now,
                            key_subject=subject,
                        )
                    )
                    written += 1
        return written

    def _write_chart(
        self, buildings: list[BuildingCount], group: PatrolGroupConfig, day: str
    ) -> str:
        relpath = f"{SUMMARY_DIR}/{day}-{uuid.uuid5(uuid.NAMESPACE_OID, group.name).hex[:12]}.png"
        path = self._media_dir / relpath
        commit_temp(write_temp(path, render_chart(buildings, day, group.language)), path)
        return relpath

    # -- housekeeping -------------------------------------------------------------------------

    def purge(self, now: float) -> int:
        """Forget delivered and failed rows older than ``keep_delivered``."""
        return self._outbox.purge(now - self._config.keep_delivered.total_seconds())


def _take_items(session: Session, ids: list[int], digest_id: str) -> None:
    """Mark the items as in this digest; if another digest took any meanwhile (a concurrent
    run on PostgreSQL), fail so the whole transaction, outbox rows included, rolls back."""
    taken = 0
    for start in range(0, len(ids), ITEM_UPDATE_CHUNK):
        result = session.execute(
            update(DigestItemRow)
            .where(
                DigestItemRow.id.in_(ids[start : start + ITEM_UPDATE_CHUNK]),
                DigestItemRow.digest_id.is_(None),
            )
            .values(digest_id=digest_id)
            .execution_options(synchronize_session=False)
        )
        taken += int(getattr(result, "rowcount", 0))
    if taken != len(ids):
        raise StoreError(
            f"a concurrent digest took {len(ids) - taken} of these items; retrying later"
        )


def next_summary_time(now: float, at: str, tz: tzinfo | None) -> float:
    """The next local ``HH:MM`` strictly after ``now`` (for runners without cron triggers)."""
    hour, minute = (int(p) for p in at.split(":"))
    local = datetime.fromtimestamp(now, tz)
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate.timestamp() <= now:
        candidate = candidate + timedelta(days=1)
    return candidate.timestamp()


def _group_filter(group: PatrolGroupConfig) -> ColumnElement[bool]:
    clauses = []
    if "*" not in group.buildings:
        clauses.append(EventRow.building.in_(group.buildings))
    if group.floors is not None:
        clauses.append(EventRow.floor.in_(group.floors))
    return and_(true(), *clauses)


def _open_count(session: Session, group: PatrolGroupConfig) -> int:
    query = select(func.count(EventRow.id)).where(
        EventRow.status == EventStatus.OPEN.value, _group_filter(group)
    )
    return int(session.scalar(query) or 0)


def _building_counts(
    session: Session, group: PatrolGroupConfig, start: float, end: float
) -> list[BuildingCount]:
    query = (
        select(EventRow.building, EventRow.type, func.count(EventRow.id))
        .where(EventRow.created_at >= start, EventRow.created_at < end, _group_filter(group))
        .group_by(EventRow.building, EventRow.type)
    )
    per_building: dict[str, dict[str, int]] = {}
    for building, event_type, n in session.execute(query).all():
        per_building.setdefault(building, {})[event_type] = int(n)
    counts = [
        BuildingCount(
            name=name,
            total=sum(types.values()),
            types=tuple(sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))),
        )
        for name, types in per_building.items()
    ]
    return sorted(counts, key=lambda b: (-b.total, b.name))
