"""The transactional outbox and its dispatcher on SQLite and on a real PostgreSQL server.

A local HTTP receiver plays the webhook; time is an explicit ``now`` (no sleeps, no threads but
the receiver's and, in the concurrency test, two claimers)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from alerts.errors import DeliveryRefused, NotifierError, StoreError
from alerts.events import EventRecord, EventType, Severity
from alerts.models import Base
from alerts.notices import NoticeKind, idempotency_key
from alerts.notify_config import DeliveryPolicy, NotificationsConfig
from alerts.outbox import Outcome, after_attempt, backoff_delay
from alerts.outbox_models import DeliveryStatus, DigestItemRow, OutboxRow
from alerts.store import EventStore
from alerts.stored import ActionKind, CameraInfo
from stairwatch.runtime.delivery import DeliveryService
from stairwatch.tools.webhook_receiver import Reply, WebhookReceiver
from tests.delivery_servers import PostgresServer, postgres_server  # noqa: F401

T0 = 1_742_263_200.0
CAMERA = CameraInfo(id="b3-stair-4f", name="3号楼 4层楼梯间", building="3", floor="4")


@dataclass
class Clock:
    now: float = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'stairwatch.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as rx:
        yield rx


def jpeg() -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((48, 64, 3), 90, np.uint8))
    assert ok
    return data.tobytes()


def notifications(url: str, **changes: Any) -> NotificationsConfig:
    data: dict[str, Any] = {
        "channels": {
            "hook": {"type": "webhook", "url": url, "secret": "k"},
            "hook2": {"type": "webhook", "url": url},
        },
        "groups": [
            {"name": "b3", "buildings": ["3"], "channels": ["hook", "hook2"], "language": "zh-CN"},
            {"name": "all", "buildings": ["*"], "channels": ["hook"], "language": "en"},
            {"name": "b5", "buildings": ["5"], "channels": ["hook"]},
        ],
        "delivery": {"max_attempts": 3, "backoff_base_s": 2, "backoff_cap_s": 60, "lease_s": 30},
        "timezone": "Asia/Shanghai",
    }
    data.update(changes)
    return NotificationsConfig.model_validate(data)


@dataclass
class Rig:
    store: EventStore
    service: DeliveryService
    clock: Clock

    def raise_event(
        self, event_type: EventType, severity: Severity, camera: CameraInfo = CAMERA
    ) -> str:
        now = self.clock.now
        record = EventRecord(
            f"k{now}", camera.id, "landing", event_type, severity, 1, 0.9, now - 10, now
        )
        return self.store.record_raised(record, camera, jpeg()).id

    def rows(self, **where: Any) -> list[OutboxRow]:
        with self.service.outbox.transaction() as session:
            query = select(OutboxRow).filter_by(**where).order_by(OutboxRow.id)
            return list(session.scalars(query).all())

    def items(self) -> list[DigestItemRow]:
        with self.service.outbox.transaction() as session:
            return list(session.scalars(select(DigestItemRow).order_by(DigestItemRow.id)).all())

    def run(self, channel: str = "hook", at: float | None = None) -> Any:
        return self.service.dispatcher.run_once(channel, self.clock.now if at is None else at)


@pytest.fixture
def rig(db_url: str, tmp_path: Path, receiver: WebhookReceiver) -> Iterator[Rig]:
    clock = Clock()
    store = EventStore.open(db_url, tmp_path / "media", clock=clock)
    service = DeliveryService(notifications(receiver.url()), store, clock=clock)
    store.add_change_hook(service.outbox.on_event_change)
    try:
        yield Rig(store, service, clock)
    finally:
        store.close()


# -- writing in the event's transaction ---------------------------------------------------------


def test_critical_alert_rows_are_written_with_the_event(rig: Rig) -> None:
    event_id = rig.raise_event(EventType.EBIKE_IN_ELEVATOR, Severity.HIGH)
    rows = rig.rows()
    routes = sorted((r.group_name, r.channel) for r in rows)
    assert routes == [("all", "hook"), ("b3", "hook"), ("b3", "hook2")]
    for row in rows:
        assert row.kind == NoticeKind.ALERT.value and row.event_id == event_id
        assert row.idempotency_key == idempotency_key(
            event_id, "alert", row.channel, row.group_name
        )
        assert row.status == DeliveryStatus.PENDING.value and row.next_attempt_at == T0
    languages = {r.group_name: r.payload["language"] for r in rows}
    assert languages == {"all": "en", "b3": "zh-CN"}
    assert rig.items() == []


def test_routine_alert_waits_for_the_digest(rig: Rig) -> None:
    event_id = rig.raise_event(EventType.EBIKE_PARKED, Severity.HIGH)
    assert rig.rows() == []
    assert sorted((i.group_name, i.event_id, i.entry) for i in rig.items()) == [
        ("all", event_id, "raised"),
        ("b3", event_id, "raised"),
    ]


def test_a_failing_hook_rolls_the_event_back(rig: Rig) -> None:
    def broken(_session: Any, _action: ActionKind, _event: Any) -> None:
        raise StoreError("hook failed")

    rig.store.add_change_hook(broken)
    with pytest.raises(StoreError):
        rig.raise_event(EventType.FLYING_WIRE, Severity.CRITICAL)
    assert rig.store.count() == 0
    assert rig.rows() == []


def test_a_refused_store_change_writes_no_rows(rig: Rig) -> None:
    event_id = rig.raise_event(EventType.FLYING_WIRE, Severity.CRITICAL)
    rig.store.record_end(event_id, T0 + 5)
    ended = len(rig.rows(kind=NoticeKind.ENDED.value))
    with pytest.raises(StoreError):
        rig.store.record_end(event_id, T0 + 6)  # already ended
    assert ended == 3 and len(rig.rows(kind=NoticeKind.ENDED.value)) == 3


SECOND_CRITICAL_AFTER_S = [0.0, 10.0, 59.0, 60.0, 600.0]


@pytest.mark.parametrize("after_s", SECOND_CRITICAL_AFTER_S)
@pytest.mark.parametrize(
    ("kind", "severity"),
    [(EventType.EBIKE_IN_ELEVATOR, Severity.HIGH), (EventType.FLYING_WIRE, Severity.CRITICAL)],
)
def test_a_second_critical_alert_on_a_camera_goes_out_at_once(
    rig: Rig, after_s: float, kind: EventType, severity: Severity
) -> None:
    """Within ``critical_cooldown_s`` too (a second e-bike entering the elevator): never demoted
    to the next digest."""
    rig.raise_event(kind, severity)
    rig.clock.now = T0 + after_s
    second = rig.raise_event(kind, severity)
    assert {r.kind for r in rig.rows(event_id=second)} >= {NoticeKind.ALERT.value}
    assert [i for i in rig.items() if i.event_id == second] == []


# -- delivering ---------------------------------------------------------------------------------


def test_dispatcher_delivers_each_row_once_with_its_key(
    rig: Rig, receiver: WebhookReceiver
) -> None:
    rig.raise_event(EventType.FLYING_WIRE, Severity.CRITICAL)
    report = rig.run("hook")
    assert (report.claimed, report.delivered) == (2, 2)
    assert rig.run("hook").claimed == 0
    keys = sorted(r.headers["Idempotency-Key"] for r in receiver.received())
    assert keys == sorted(r.idempotency_key for r in rig.rows(channel="hook"))
    assert {r.status for r in rig.rows(channel="hook")} == {DeliveryStatus.DELIVERED.value}
    assert rig.rows(channel="hook2")[0].status == DeliveryStatus.PENDING.value


def test_retries_back_off_then_give_up(rig: Rig, receiver: WebhookReceiver) -> None:
    receiver.reply = Reply(status=503)
    rig.raise_event(EventType.EBIKE_IN_ELEVATOR, Severity.HIGH)
    policy = rig.service.config.delivery
    rig.run("hook2")
    (row,) = rig.rows(channel="hook2")
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING.value, 1)
    first_delay = row.next_attempt_at - T0
    assert 2 * (1 - policy.jitter) <= first_delay <= 2 * (1 + policy.jitter)
    assert rig.run("hook2", at=row.next_attempt_at - 0.01).claimed == 0  # not due yet
    rig.run("hook2", at=row.next_attempt_at)
    (row,) = rig.rows(channel="hook2")
    rig.run("hook2", at=row.next_attempt_at)
    (row,) = rig.rows(channel="hook2")
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED.value, 3)
    assert "503" in (row.last_error or "")
    assert len(receiver.received()) == 3


def test_a_refusal_fails_at_once(rig: Rig, receiver: WebhookReceiver) -> None:
    receiver.reply = Reply(status=400)
    rig.raise_event(EventType.EBIKE_IN_ELEVATOR, Severity.HIGH)
    assert rig.run("hook2").failed == 1
    assert rig.rows(channel="hook2")[0].status == DeliveryStatus.FAILED.value


def test_receiver_back_up_gets_everything(rig: Rig, receiver: WebhookReceiver) -> None:
    receiver.stop()
    for i in range(5):
        rig.clock.now = T0 + 100 * i  # beyond the cooldown: five immediate alerts
        rig.raise_event(EventType.FLYING_WIRE, Severity.CRITICAL)
    assert rig.run("hook").retried == 10
    receiver.start()
    assert rig.run("hook", at=T0 + 10_000).delivered == 10
    keys = [r.headers["Idempotency-Key"] for r in receiver.accepted()]
    assert len(keys) == len(set(keys)) == 10


def test_a_crashed_dispatchers_rows_are_retried_after_the_lease(
    rig: Rig, receiver: WebhookReceiver
) -> None:
    rig.raise_event(EventType.FLYING_WIRE, Severity.CRITICAL)
    outbox = rig.service.outbox
    lease = rig.service.config.delivery.lease_s
    stolen = outbox.claim("hook", T0, 10, lease)  # claimed, then the process "died"
    assert len(stolen) == 2
    assert rig.run("hook", at=T0 + lease - 1).claimed == 0  # still leased
    report = rig.run("hook", at=T0 + lease + 1)
    assert (report.claimed, report.delivered) == (2, 2)
    assert {r.attempts for r in rig.rows(channel="hook")} == {2}
    late = Outcome(DeliveryStatus.FAILED, T0, error="late")
    assert outbox.complete(stolen[0], late) is False  # the dead dispatcher's lease is void
    assert rig.rows(channel="hook")[0].status == DeliveryStatus.DELIVERED.value
    assert len(receiver.received()) == 2


def test_concurrent_claimers_never_share_a_row(rig: Rig) -> None:
    for i in range(40):
        rig.clock.now = T0 + 100 * i
        rig.raise_event(EventType.FLYING_WIRE, Severity.CRITICAL)
    outbox = rig.service.outbox
    claimed: list[list[int]] = [[], []]

    def claimer(slot: int) -> None:
        while batch := outbox.claim("hook", T0 + 10_000, 3, 30):
            claimed[slot].extend(d.id for d in batch)

    threads = [threading.Thread(target=claimer, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    both = claimed[0] + claimed[1]
    assert len(both) == len(set(both)) == 80


def test_purge_keeps_pending_rows(rig: Rig, receiver: WebhookReceiver) -> None:
    rig.raise_event(EventType.FLYING_WIRE, Severity.CRITICAL)
    rig.run("hook")
    assert rig.service.outbox.purge(T0 + 1) == 2
    assert [r.channel for r in rig.rows()] == ["hook2"]
    with rig.service.outbox.transaction() as session:
        assert session.scalar(select(func.count(OutboxRow.id))) == 1


# -- pure retry decisions -----------------------------------------------------------------------

POLICY = DeliveryPolicy(backoff_base_s=2, backoff_cap_s=60, jitter=0.25, max_attempts=5)

BACKOFF = [
    # retry, unit random -> delay
    (1, 0.5, 2.0),
    (2, 0.5, 4.0),
    (3, 0.5, 8.0),
    (1, 0.0, 1.5),
    (1, 0.999999, 2.5),
    (5, 0.5, 32.0),
    (6, 0.5, 60.0),  # 64 capped
    (6, 0.0, 48.0),  # jitter first, then the cap
    (400, 0.5, 60.0),  # no overflow
]


@pytest.mark.parametrize(("retry", "unit", "delay"), BACKOFF)
def test_backoff_delay(retry: int, unit: float, delay: float) -> None:
    assert backoff_delay(retry, POLICY, unit) == pytest.approx(delay, abs=1e-4)


DECISIONS = [
    # attempt, error -> status
    (1, None, DeliveryStatus.DELIVERED),
    (1, NotifierError("503"), DeliveryStatus.PENDING),
    (4, NotifierError("503"), DeliveryStatus.PENDING),
    (5, NotifierError("503"), DeliveryStatus.FAILED),
    (1, DeliveryRefused("400"), DeliveryStatus.FAILED),
]


@pytest.mark.parametrize(("attempt", "error", "status"), DECISIONS)
def test_after_attempt(attempt: int, error: NotifierError | None, status: DeliveryStatus) -> None:
    outcome = after_attempt(attempt, error, POLICY, 100.0, 0.5)
    assert outcome.status is status
    if status is DeliveryStatus.PENDING:
        assert outcome.next_attempt_at == 100.0 + backoff_delay(attempt, POLICY, 0.5)
    assert (outcome.delivered_at is not None) == (status is DeliveryStatus.DELIVERED)


# -- schema -------------------------------------------------------------------------------------


def test_outbox_models_match_migration_0002(rig: Rig) -> None:
    """The outbox tables as migrated equal the ORM classes in alerts.outbox_models."""
    ours = {"outbox", "digest_items"}

    def include(obj: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
        table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in ours

    with rig.store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include})
        assert compare_metadata(context, Base.metadata) == []


def test_rows_whose_lease_ran_out_mid_batch_are_not_sent(
    rig: Rig, receiver: WebhookReceiver
) -> None:
    """A slow batch must not send rows another dispatcher may have re-claimed meanwhile."""
    rig.raise_event(EventType.FLYING_WIRE, Severity.CRITICAL)
    lease = rig.service.config.delivery.lease_s
    times = iter([T0 + 1, T0 + lease + 1])  # the first send takes longer than the lease
    report = rig.service.dispatcher.run_once("hook", T0, clock=lambda: next(times))
    assert (report.claimed, report.delivered) == (2, 1)
    assert len(receiver.received()) == 1
    assert rig.run("hook", at=T0 + lease + 2).delivered == 1  # re-claimed once the lease expired
