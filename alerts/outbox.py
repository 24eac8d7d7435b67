"""The transactional outbox: notifications are rows written with the event change that owes them,
and a dispatcher hands due rows to their channels until each is delivered or given up.

Delivery is at least once: a row is marked delivered only after its channel took it, so a crash
between the two sends it again; every message carries its idempotency key so receivers can drop
the repeat. A row claimed by a dispatcher that then died is claimed again once its lease ends.

* :meth:`Outbox.on_event_change` is the event store's change hook (same transaction).
* :meth:`Outbox.claim` / :meth:`Outbox.complete` move rows through their states.
* :func:`backoff_delay` and :func:`after_attempt` are the pure retry decisions.
* :class:`Dispatcher` runs one pass for one channel with an explicit ``now`` (no threads here).
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from alerts.channels.base import Channel
from alerts.channels.failures import UNEXPECTED
from alerts.errors import DeliveryRefused, NotifierError
from alerts.notices import Delivery, EventBrief, Notice, NoticeKind, idempotency_key
from alerts.notify_config import DeliveryPolicy, NotificationsConfig
from alerts.outbox_models import DeliveryStatus, DigestItemRow, OutboxRow
from alerts.render import NoticeRenderer
from alerts.routing import (
    FEED_TYPES,
    PlannedNotice,
    is_critical,
    is_false_alarm,
    plan_change,
    plan_responses,
    subject_kind,
)
from alerts.store_db import transaction as store_transaction
from alerts.stored import ActionKind, StoredEvent

log = logging.getLogger(__name__)

Clock = Callable[[], float]
MAX_ERROR_LEN = 500


class Outbox:
    """Writes owed notifications and moves outbox rows through their states. Thread-safe."""

    def __init__(
        self,
        engine: Engine,
        config: NotificationsConfig,
        renderer: NoticeRenderer,
        clock: Clock,
    ) -> None:
        self.config = config
        self.renderer = renderer
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock

    # -- writing, inside the event store's transaction --------------------------------------

    def on_event_change(self, session: Session, action: ActionKind, event: StoredEvent) -> None:
        """The event store's change hook: add the rows this change owes to ``session``."""
        if not self.config.enabled:
            return
        now = self._clock()
        critical = is_critical(event.type, event.severity)
        alerted = (
            _alerted_groups(session, event.id)
            if action is ActionKind.ENDED and critical
            else frozenset()
        )
        plan = plan_change(self.config, action, event, alerted)
        notices: dict[tuple[NoticeKind, str], Notice] = {}
        for planned in (*plan.notices, *plan_responses(self.config, action, event)):
            key = (planned.kind, planned.group)
            if key not in notices:
                notices[key] = self._notice(session, planned, action, event, now)
            kind = subject_kind(planned.kind, action, event)
            session.add(
                new_row(
                    event.id,
                    kind,
                    planned.channel,
                    planned.group,
                    notices[key],
                    now,
                    event.camera_id,
                )
            )
        if action is ActionKind.REVIEWED and is_false_alarm(event):
            _drop_waiting_digest_items(session, event.id)
        for entry in plan.entries:
            session.add(
                DigestItemRow(
                    group_name=entry.group, event_id=event.id, entry=entry.entry, created_at=now
                )
            )

    def _notice(
        self,
        session: Session,
        planned: PlannedNotice,
        action: ActionKind,
        event: StoredEvent,
        now: float,
    ) -> Notice:
        if planned.kind is NoticeKind.FEED:
            return self.feed_notice(action, event, _last_feed_state(session, event.id), now)
        if planned.kind is NoticeKind.RESPONSE:
            notice = self.feed_notice(action, event, None, now)
            return notice.model_copy(update={"kind": NoticeKind.RESPONSE})
        language = self.config.group(planned.group).language
        return self.renderer.event_notice(planned.kind, event, planned.group, language, now)

    def feed_notice(
        self, action: ActionKind, event: StoredEvent, before: EventBrief | None, now: float
    ) -> Notice:
        after = self.renderer.brief(event, now)
        return Notice(
            kind=NoticeKind.FEED,
            group="*",
            language="en",
            title=f"{event.type.value} {FEED_TYPES[action]}",
            markdown="",
            link=after.link,
            events=(after,),
            created_at=now,
            feed_type=FEED_TYPES[action],
            before=before if before is not None else after,
            critical=is_critical(event.type, event.severity),
        )

    # -- delivery states --------------------------------------------------------------------

    def claim(self, channel: str, now: float, limit: int, lease_s: float) -> list[Delivery]:
        """Lease up to ``limit`` due rows of ``channel`` (pending and due, or in flight with an
        expired lease), oldest due first. Safe with several dispatchers on PostgreSQL."""
        token = uuid.uuid4().hex
        due = and_(OutboxRow.channel == channel, _due(now))
        ids = (
            select(OutboxRow.id)
            .where(due)
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with self.transaction() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(ids.scalar_subquery()), due)
                .values(
                    status=DeliveryStatus.IN_FLIGHT.value,
                    lease_until=now + lease_s,
                    lease_token=token,
                    attempts=OutboxRow.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            rows = session.scalars(
                select(OutboxRow).where(OutboxRow.lease_token == token).order_by(OutboxRow.id)
            ).all()
            return [_to_delivery(row) for row in rows]

    def complete(self, delivery: Delivery, outcome: Outcome) -> bool:
        """Record what became of a claimed row; False if the lease was lost meanwhile."""
        with self.transaction() as session:
            result = session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == delivery.id, OutboxRow.lease_token == delivery.lease_token)
                .values(
                    status=outcome.status.value,
                    next_attempt_at=outcome.next_attempt_at,
                    delivered_at=outcome.delivered_at,
                    last_error=outcome.error,
                    lease_until=None,
                    lease_token=None,
                )
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))

    def counts(self) -> dict[DeliveryStatus, int]:
        """Rows per status, zero included (for metrics and the fault script)."""
        with self.transaction() as session:
            query = select(OutboxRow.status, func.count(OutboxRow.id)).group_by(OutboxRow.status)
            found = {status: int(n) for status, n in session.execute(query).all()}
        return {s: found.get(s.value, 0) for s in DeliveryStatus}

    def purge(self, before: float) -> int:
        """Delete delivered and failed rows created before ``before``; returns how many."""
        done = (DeliveryStatus.DELIVERED.value, DeliveryStatus.FAILED.value)
        with self.transaction() as session:
            rows = session.scalars(
                select(OutboxRow).where(OutboxRow.status.in_(done), OutboxRow.created_at < before)
            ).all()
            for row in rows:
                session.delete(row)
            return len(rows)

    def transaction(self) -> AbstractContextManager[Session]:
        """A session in a transaction on the outbox's database; errors become StoreError."""
        return store_transaction(self._sessions, "outbox ")


def new_row(
    subject_id: str | None,
    kind: str,
    channel: str,
    group: str,
    notice: Notice,
    now: float,
    camera_id: str | None = None,
    key_subject: str | None = None,
) -> OutboxRow:
    """A pending outbox row, due now. ``key_subject`` replaces ``subject_id`` in the key
    (digests and summaries, which belong to no single event)."""
    key = idempotency_key(key_subject or subject_id or "", kind, channel, group)
    return OutboxRow(
        idempotency_key=key,
        event_id=subject_id,
        camera_id=camera_id,
        kind=notice.kind.value,
        channel=channel,
        group_name=group,
        payload=notice.model_dump(mode="json"),
        status=DeliveryStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )


def _due(now: float) -> ColumnElement[bool]:
    return or_(
        and_(OutboxRow.status == DeliveryStatus.PENDING.value, OutboxRow.next_attempt_at <= now),
        and_(OutboxRow.status == DeliveryStatus.IN_FLIGHT.value, OutboxRow.lease_until < now),
    )


def _alerted_groups(session: Session, event_id: str) -> frozenset[str]:
    query = select(OutboxRow.group_name).where(
        OutboxRow.event_id == event_id, OutboxRow.kind == NoticeKind.ALERT.value
    )
    return frozenset(session.scalars(query).all())


def _last_feed_state(session: Session, event_id: str) -> EventBrief | None:
    """The event as the feed last showed it: the ``before`` of the next feed message."""
    query = (
        select(OutboxRow.payload)
        .where(OutboxRow.event_id == event_id, OutboxRow.kind == NoticeKind.FEED.value)
        .order_by(OutboxRow.id.desc())
        .limit(1)
    )
    payload = session.scalar(query)
    return None if payload is None else Notice.model_validate(payload).events[0]


def _to_delivery(row: OutboxRow) -> Delivery:
    return Delivery(
        id=row.id,
        idempotency_key=row.idempotency_key,
        channel=row.channel,
        group=row.group_name,
        attempt=row.attempts,
        lease_token=row.lease_token or "",
        lease_until=row.lease_until or 0.0,
        notice=Notice.model_validate(row.payload),
    )


# -- retry decisions (pure) ----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """A row's state after one attempt."""

    status: DeliveryStatus
    next_attempt_at: float
    delivered_at: float | None = None
    error: str | None = None


def backoff_delay(retry: int, policy: DeliveryPolicy, unit_random: float) -> float:
    """Seconds before retry number ``retry`` (1 = the first retry): ``base * 2**(retry-1)``,
    then +/- ``jitter`` of it at random (``unit_random`` in [0, 1)), capped at ``backoff_cap_s``."""
    raw = policy.backoff_base_s * 2.0 ** min(retry - 1, 60)
    jittered = raw * (1.0 + policy.jitter * (2.0 * unit_random - 1.0))
    return min(policy.backoff_cap_s, jittered)


def after_attempt(
    attempt: int,
    error: NotifierError | None,
    policy: DeliveryPolicy,
    now: float,
    unit_random: float,
) -> Outcome:
    """Delivered; failed for good (refused, or ``max_attempts`` used up); or retry later."""
    if error is None:
        return Outcome(DeliveryStatus.DELIVERED, now, delivered_at=now)
    message = str(error)[:MAX_ERROR_LEN] or type(error).__name__
    if isinstance(error, DeliveryRefused) or attempt >= policy.max_attempts:
        return Outcome(DeliveryStatus.FAILED, now, error=message)
    delay = backoff_delay(attempt, policy, unit_random)
    return Outcome(DeliveryStatus.PENDING, now + delay, error=message)


def _unchanged(text: str) -> str:
    return text


# -- one dispatcher pass -------------------------------------------------------------------------


@dataclass(frozen=True)
class DispatchReport:
    """What one pass did."""

    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0


class Dispatcher:
    """Hands due outbox rows to their channels; one :meth:`run_once` per call, no threads."""

    def __init__(
        self,
        outbox: Outbox,
        channels: Mapping[str, Channel],
        policy: DeliveryPolicy,
        rng: random.Random | None = None,
        on_delivered: Callable[[Delivery, float], None] | None = None,
        scrub: Callable[[str], str] | None = None,
    ) -> None:
        """``scrub`` masks configured secrets in an error text before it is logged or stored."""
        self._outbox = outbox
        self._channels = channels
        self._policy = policy
        self._rng = rng or random.Random()
        self._on_delivered = on_delivered
        self._scrub = scrub or _unchanged

    def run_once(self, channel: str, now: float, clock: Clock | None = None) -> DispatchReport:
        """Claim and send one batch of ``channel``'s due rows. ``clock`` (default: ``now``
        throughout) stamps each outcome, so a slow batch records real delivery times."""
        sender = self._channels[channel]
        claimed = self._outbox.claim(channel, now, self._policy.batch_size, self._policy.lease_s)
        delivered = retried = failed = 0
        for delivery in claimed:
            at = clock() if clock else now
            if at >= delivery.lease_until:
                continue  # a slow batch outlived its lease: another dispatcher may own it now
            outcome = self._attempt(sender, delivery, at)
            if outcome.status is DeliveryStatus.DELIVERED:
                delivered += 1
            elif outcome.status is DeliveryStatus.FAILED:
                failed += 1
            else:
                retried += 1
            self._outbox.complete(delivery, outcome)
        return DispatchReport(len(claimed), delivered, retried, failed)

    def _attempt(self, sender: Channel, delivery: Delivery, now: float) -> Outcome:
        if delivery.attempt > self._policy.max_attempts:
            return Outcome(DeliveryStatus.FAILED, now, error="gave up: leases ran out repeatedly")
        error: NotifierError | None = None
        try:
            sender.send(delivery)
        except NotifierError as exc:
            error = self._scrubbed(exc)
        except Exception as exc:  # a channel's bug must not end its dispatcher thread
            # Its text may quote a URL or a header, so only its class is told.
            error = NotifierError(f"{UNEXPECTED} ({type(exc).__name__})")
        if error is not None:
            log.warning(
                "delivery %s on %s failed (attempt %d): %s",
                delivery.id,
                delivery.channel,
                delivery.attempt,
                error,
            )
        outcome = after_attempt(delivery.attempt, error, self._policy, now, self._rng.random())
        if error is None and self._on_delivered is not None:
            self._on_delivered(delivery, now)
        return outcome

    def _scrubbed(self, error: NotifierError) -> NotifierError:
        kind = DeliveryRefused if isinstance(error, DeliveryRefused) else NotifierError
        return kind(self._scrub(str(error)))


def _drop_waiting_digest_items(session: Session, event_id: str) -> None:
    """A false alarm leaves the digests not yet sent (those already sent cannot be undone)."""
    session.execute(
        delete(DigestItemRow).where(
            DigestItemRow.event_id == event_id, DigestItemRow.digest_id.is_(None)
        )
    )
