"""Routing, time windows, digests, escalation, the daily summary, templates and signed links.

Jobs are called with an explicit ``now`` (Asia/Shanghai, so windows are deterministic); the
outbox rows they write are delivered to a local HTTP receiver where a test needs the wire."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from alerts.events import EventRecord, EventStatus, EventType, Severity
from alerts.links import LinkError, LinkExpired, sign_link, verify_link
from alerts.notices import NoticeKind
from alerts.notify_config import NotificationsConfig, PatrolGroupConfig, parse_window
from alerts.outbox_models import DigestItemRow, OutboxRow
from alerts.render import DIGEST_MAX_LINES, markdown_to_html
from alerts.reviews import FalseAlarmReason, ReviewInput, Verdict
from alerts.routing import digest_allowed, is_critical, may_message, plan_change
from alerts.store import EventStore
from alerts.stored import ActionKind, CameraInfo, StoredEvent
from stairwatch.config import parse_settings
from stairwatch.runtime.delivery import DeliveryService
from stairwatch.tools.webhook_receiver import WebhookReceiver

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0, day: int = 18) -> float:
    return datetime(2025, 3, day, hour, minute, tzinfo=SHANGHAI).timestamp()


@dataclass
class Clock:
    now: float

    def __call__(self) -> float:
        return self.now


LINK_SECRET = "Yc2m0Q4kz8Vt-N7rLwHq_5pXe1JbFa6uSdGi3oKnT9U"  # secrets.token_urlsafe(32)


def config(url: str = "http://127.0.0.1:9/hook", **changes: Any) -> NotificationsConfig:
    data: dict[str, Any] = {
        "channels": {
            "hook": {"type": "webhook", "url": url},
            "mq": {"type": "mqtt", "host": "127.0.0.1"},
        },
        "groups": [
            {
                "name": "b3-day",
                "buildings": ["3"],
                "channels": ["hook", "mq"],
                "language": "zh-CN",
                "duty_hours": "07:00-23:00",
                "quiet_hours": "12:00-13:30",
            },
            {"name": "b3-f1", "buildings": ["3"], "floors": ["1"], "channels": ["hook"]},
            {"name": "boss", "buildings": ["*"], "channels": ["hook"], "supervisors": True,
             "language": "en", "quiet_hours": "22:00-07:00"},
        ],
        "timezone": "Asia/Shanghai",
        "public_url": "https://dash.example",
        "link_secret": LINK_SECRET,
    }  # fmt: skip
    data.update(changes)
    return NotificationsConfig.model_validate(data)


# -- configuration ------------------------------------------------------------------------------

DURATIONS = [
    (600, 600.0),
    ("90s", 90.0),
    ("10m", 600.0),
    ("10 min", 600.0),
    ("1.5h", 5400.0),
    ("1d", 86400.0),
]


@pytest.mark.parametrize(("given", "seconds"), DURATIONS)
def test_durations(given: Any, seconds: float) -> None:
    group = PatrolGroupConfig(name="g", buildings=["1"], channels=["c"], digest_interval=given)
    assert group.digest_interval == timedelta(seconds=seconds)


def one_group(**changes: Any) -> dict[str, Any]:
    return {"groups": [{"name": "g", "buildings": ["1"], "channels": ["hook"], **changes}]}


BAD_CONFIGS = [
    ("unknown channel", one_group(channels=["nope"]), "unknown channels"),
    ("duplicate group", {"groups": one_group()["groups"] * 2}, "unique"),
    ("extra key", {"colour": "red"}, "Extra inputs"),
    ("bad window", one_group(duty_hours="7-23"), "time window"),
    ("bad duration", {"escalate_after": "soon"}, "not a duration"),
    ("link without secret", {"link_secret": None}, "link_secret"),
    ("bad zone", {"timezone": "Mars/Olympus"}, "unknown time zone"),
    ("bad language", one_group(language="fr"), "language"),
    ("bad summary time", {"daily_summary_at": "25:00"}, "time of day"),
    ("webhook without url", {"channels": {"hook": {"type": "webhook"}}}, "url"),
]
BAD_IDS = [c[0] for c in BAD_CONFIGS]


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("change-me", "placeholder"),
        ("CHANGEME", "placeholder"),
        ("secret", "placeholder"),
        ("password123", "placeholder"),
        ("REPLACE-ME", "placeholder"),
        ("link-key", "too short"),
        ("a" * 64, "too regular"),
        ("0123456789abcdef" * 2, "too short"),  # 16 bytes in hex
        ("0123456789abcdef" * 4 + "=", None),  # 32 bytes in hex
        ("ab" * 30, "too regular"),
        ("not base64: has spaces and is long enough to pass the length", "URL-safe base64"),
        (LINK_SECRET[:42], "too short"),
        (LINK_SECRET, None),
        ("GQdL6gW0bYJxnTa4Hx8cu3Zk1vR2sPqE9mNfDiB5t7o", None),
    ],
)
def test_link_secret_must_be_32_random_bytes(secret: str, problem: str | None) -> None:
    if problem is None:
        assert config(link_secret=secret).link_secret is not None
        return
    with pytest.raises(ValidationError, match=problem) as caught:
        config(link_secret=secret)
    assert "secrets.token_urlsafe(32)" in str(caught.value)


@pytest.mark.parametrize(("name", "changes", "message"), BAD_CONFIGS, ids=BAD_IDS)
def test_bad_configs_are_refused(name: str, changes: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        config(**changes)


def test_settings_take_a_notifications_section() -> None:
    data = {
        "cameras": [{"id": "c1", "source": "clip.mp4"}],
        "notifications": config().model_dump(mode="json")
        | {"link_secret": LINK_SECRET, "channels": {"hook": {"type": "webhook", "url": "http://x/h"}},
           "groups": [{"name": "g", "buildings": ["*"], "channels": ["hook"]}]},
    }  # fmt: skip
    settings = parse_settings(data, "test")
    assert settings.notifications.groups[0].name == "g"
    assert "http://x/h" not in repr(settings) and LINK_SECRET not in repr(settings)


# -- pure decisions -----------------------------------------------------------------------------

WINDOWS = [
    ("07:00-23:00", time(7, 0), True),
    ("07:00-23:00", time(22, 59), True),
    ("07:00-23:00", time(23, 0), False),
    ("07:00-23:00", time(3, 0), False),
    ("22:00-07:00", time(23, 30), True),
    ("22:00-07:00", time(6, 59), True),
    ("22:00-07:00", time(7, 0), False),
    ("22:00-07:00", time(12, 0), False),
    ("00:00-00:00", time(12, 0), True),
]


@pytest.mark.parametrize(("window", "moment", "inside"), WINDOWS)
def test_time_windows(window: str, moment: time, inside: bool) -> None:
    parsed = parse_window(window)
    assert parsed.contains(moment) is inside  # type: ignore[union-attr]


SENDING = [
    # moment, digest allowed for b3-day (duty 07-23, quiet 12:00-13:30), routine message, critical
    (time(6, 0), False, True, True),
    (time(9, 0), True, True, True),
    (time(12, 30), False, False, True),
    (time(23, 30), False, True, True),
]


@pytest.mark.parametrize(("moment", "digest", "routine", "critical"), SENDING)
def test_duty_and_quiet_hours(moment: time, digest: bool, routine: bool, critical: bool) -> None:
    group = config().group("b3-day")
    assert digest_allowed(group, moment) is digest
    assert may_message(group, moment, critical=False) is routine
    assert may_message(group, moment, critical=True) is critical


CRITICAL = [
    (EventType.FLYING_WIRE, Severity.CRITICAL, True),
    (EventType.FLYING_WIRE, Severity.HIGH, False),
    (EventType.EBIKE_IN_ELEVATOR, Severity.HIGH, True),
    (EventType.EBIKE_IN_ELEVATOR, Severity.INFO, True),
    (EventType.EBIKE_PARKED, Severity.CRITICAL, False),
    (EventType.CAMERA_OFFLINE, Severity.HIGH, False),
    (EventType.SHED_INTRUSION, Severity.HIGH, True),
    (EventType.EXIT_BLOCKED, Severity.HIGH, False),
]


@pytest.mark.parametrize(("event_type", "severity", "critical"), CRITICAL)
def test_what_is_critical(event_type: EventType, severity: Severity, critical: bool) -> None:
    assert is_critical(event_type, severity) is critical


def stored(**changes: Any) -> StoredEvent:
    values: dict[str, Any] = dict(
        id="e1", camera_id="c", camera_name="Stair", building="3", floor="4", zone=None,
        type=EventType.EBIKE_PARKED, severity=Severity.HIGH, status=EventStatus.OPEN, track_id=None,
        confidence=0.9, start_ts=0.0, alert_ts=0.0, end_ts=None, box=None, details=(),
        snapshot_path="s.jpg", clip_path=None, created_at=0.0, updated_at=0.0, acknowledged_by=None,
        acknowledged_at=None, assigned_to=None, resolved_by=None, resolved_at=None, note=None,
        reminder_count=0,
    )  # fmt: skip
    values.update(changes)
    return StoredEvent(**values)


FIRE = {"type": EventType.FLYING_WIRE, "severity": Severity.CRITICAL}
LIFT = {"type": EventType.EBIKE_IN_ELEVATOR}
SHED = {"type": EventType.SHED_INTRUSION}
EXIT = {"type": EventType.EXIT_BLOCKED}
SMOKE = {"type": EventType.SMOKE_FIRE, "severity": Severity.CRITICAL}
FEED = {"feed mq *"}
PLANS = [
    # action, event changes, alerted groups -> (notices, digest entries)
    ("raised", {}, (), FEED, {"b3-day raised", "boss raised"}),
    ("raised", {"floor": "1"}, (), FEED, {"b3-day raised", "b3-f1 raised", "boss raised"}),
    ("raised", {"building": "9"}, (), set(), {"boss raised"}),
    ("raised", FIRE, (), FEED | {"alert hook b3-day", "alert hook boss"}, set()),
    ("raised", LIFT, (), FEED | {"alert hook b3-day", "alert hook boss"}, set()),
    ("raised", SHED, (), FEED | {"alert hook b3-day", "alert hook boss"}, set()),
    ("raised", EXIT, (), FEED, {"b3-day raised", "boss raised"}),
    ("raised", SMOKE, (), FEED | {"alert hook b3-day", "alert hook boss"}, set()),
    ("reminded", {"reminder_count": 2}, (), FEED, {"b3-day reminded:2", "boss reminded:2"}),
    ("reminded", LIFT, (), FEED | {"reminder hook b3-day", "reminder hook boss"}, set()),
    ("ended", LIFT, ("boss",), FEED | {"ended hook boss"}, set()),
    ("ended", {}, (), FEED, set()),
    ("acknowledged", {}, (), FEED, set()),
    ("on_the_way", LIFT, (), FEED, set()),  # a patroller heading there: machines only
    ("resolved", {"building": "9"}, (), set(), set()),
]


@pytest.mark.parametrize(("action", "changes", "alerted", "notices", "entries"), PLANS)
def test_routing_plan(
    action: str, changes: dict, alerted: tuple, notices: set, entries: set
) -> None:
    plan = plan_change(config(), ActionKind(action), stored(**changes), frozenset(alerted))
    assert {f"{n.kind.value} {n.channel} {n.group}" for n in plan.notices} == notices
    assert {f"{e.group} {e.entry}" for e in plan.entries} == entries


# -- jobs on a real store -----------------------------------------------------------------------


@dataclass
class Rig:
    store: EventStore
    service: DeliveryService
    clock: Clock
    receiver: WebhookReceiver
    n: int = 0

    def raise_event(
        self, event_type: EventType = EventType.EBIKE_PARKED, floor: str = "4", **kw: Any
    ) -> str:
        self.n += 1
        camera = CameraInfo(
            id=f"cam{self.n}", name=f"Stair {floor}F", building=kw.get("building", "3"), floor=floor
        )
        severity = kw.get("severity", Severity.HIGH)
        record = EventRecord(f"k{self.n}", camera.id, "landing", event_type, severity, 1, 0.8,
                             self.clock.now - 30, self.clock.now)  # fmt: skip
        _ok, data = cv2.imencode(".jpg", np.zeros((32, 32, 3), np.uint8))
        return self.store.record_raised(record, camera, data.tobytes()).id

    def rows(self, **where: Any) -> list[OutboxRow]:
        with self.service.outbox.transaction() as session:
            return list(
                session.scalars(select(OutboxRow).filter_by(**where).order_by(OutboxRow.id)).all()
            )

    def deliver(self) -> list[dict]:
        self.service.dispatcher.run_once("hook", self.clock.now)
        return [r.json() for r in self.receiver.received()]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    clock = Clock(at(9))
    with WebhookReceiver() as receiver:
        store = EventStore.open(
            f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "media", clock=clock
        )
        service = DeliveryService(config(receiver.url()), store, clock=clock)
        store.add_change_hook(service.outbox.on_event_change)
        try:
            yield Rig(store, service, clock, receiver)
        finally:
            store.close()


def test_digest_lists_every_routine_alert_exactly_once(rig: Rig) -> None:
    first = [rig.raise_event() for _ in range(DIGEST_MAX_LINES + 5)]
    result = rig.service.jobs.run_digest("b3-day", rig.clock.now)
    assert result is not None and (result.entries, result.rows) == (
        25,
        1,
    )  # mq is a feed: no digest
    assert rig.service.jobs.run_digest("b3-day", rig.clock.now) is None  # nothing new
    rig.clock.now += 600
    second = [rig.raise_event() for _ in range(3)]
    rig.service.jobs.run_digest("b3-day", rig.clock.now)
    digests = [m for m in rig.deliver() if m["kind"] == "digest"]
    assert [[e["id"] for e in d["events"]] for d in digests] == [first, second]
    shown = digests[0]["text"].count("[查看](")  # as many as fit one WeCom message
    assert 10 <= shown <= DIGEST_MAX_LINES and f"另有 {25 - shown} 条" in digests[0]["text"]
    assert "此前仍未处理：**25** 条" in digests[1]["text"]
    assert all(e["link"].startswith("https://dash.example/p/") for e in digests[0]["events"])


def test_no_digest_off_duty_or_in_quiet_hours_and_nothing_lost(rig: Rig) -> None:
    rig.clock.now = at(23, 30)
    late = rig.raise_event()
    assert rig.service.jobs.run_digest("b3-day", at(23, 40)) is None
    assert rig.service.jobs.run_digest("b3-day", at(12, 30, day=19)) is None  # quiet hours
    rig.clock.now = at(7, 0, day=19)
    result = rig.service.jobs.run_digest("b3-day", rig.clock.now)
    assert result is not None and result.entries == 1
    (digest,) = [m for m in rig.deliver() if m["kind"] == "digest"]
    assert [e["id"] for e in digest["events"]] == [late]


def test_critical_goes_out_at_once_even_in_quiet_hours(rig: Rig) -> None:
    rig.clock.now = at(12, 30)
    event_id = rig.raise_event(EventType.EBIKE_IN_ELEVATOR)
    alerts = [m for m in rig.deliver() if m["kind"] == "alert"]
    assert sorted(m["group"] for m in alerts) == ["b3-day", "boss"]
    assert all(m["events"][0]["id"] == event_id for m in alerts)
    (zh,) = [m for m in alerts if m["group"] == "b3-day"]
    assert zh["title"] == "紧急告警：电动车进电梯"


def test_escalation_to_supervisors_once_and_not_for_acknowledged(rig: Rig) -> None:
    waiting = rig.raise_event()
    seen = rig.raise_event()
    rig.store.acknowledge(seen, "li")
    jobs = rig.service.jobs
    assert jobs.run_escalations(rig.clock.now + 14 * 60) == 0
    assert jobs.run_escalations(rig.clock.now + 15 * 60) == 1
    assert jobs.run_escalations(rig.clock.now + 16 * 60) == 0  # once
    (row,) = rig.rows(kind=NoticeKind.ESCALATION.value)
    assert (row.event_id, row.group_name) == (waiting, "boss")
    assert row.payload["title"].startswith("Escalated")


ESCALATION_QUIET = [
    # boss's quiet hours are 22:00-07:00
    (EventType.EBIKE_PARKED, 0),  # routine: waits for the morning
    (EventType.EBIKE_IN_ELEVATOR, 1),  # critical: always
]


@pytest.mark.parametrize(("event_type", "rows"), ESCALATION_QUIET)
def test_escalation_in_supervisors_quiet_hours(rig: Rig, event_type: EventType, rows: int) -> None:
    rig.clock.now = at(22, 30)
    rig.raise_event(event_type)
    assert rig.service.jobs.run_escalations(at(23, 0)) == rows
    assert rig.service.jobs.run_escalations(at(7, 0, day=19)) == 1 - rows


def test_routine_alert_that_ended_is_not_escalated(rig: Rig) -> None:
    event_id = rig.raise_event()
    rig.store.record_end(event_id, rig.clock.now + 60)
    assert rig.service.jobs.run_escalations(rig.clock.now + 3600) == 0


def test_daily_summary_counts_and_chart_once_a_day(rig: Rig, tmp_path: Path) -> None:
    rig.clock.now = at(7, 30, day=17)
    rig.raise_event(building="3")
    rig.clock.now = at(9, 0)
    rig.raise_event(EventType.FLYING_WIRE, severity=Severity.CRITICAL)
    rig.raise_event()
    rig.raise_event(building="5")
    jobs = rig.service.jobs
    assert jobs.run_daily_summary(at(8, 0, day=19)) == 3  # one hook row per group
    assert jobs.run_daily_summary(at(8, 5, day=19)) == 0  # once per day
    rig.clock.now = at(8, 0, day=19)
    summaries = {m["group"]: m for m in rig.deliver() if m["kind"] == "summary"}
    assert "**3号楼**：2 条" in summaries["b3-day"]["text"]
    assert "Building 5**: 1" in summaries["boss"]["text"]
    assert "3 alerts" in summaries["boss"]["title"]  # the 17th's alert is outside the 24 h
    png = (tmp_path / "media" / rig.rows(kind="summary")[0].payload["image_path"]).read_bytes()
    assert png.startswith(b"\x89PNG") and summaries["boss"]["image"]["content_type"] == "image/png"


def test_digest_items_survive_a_restart(rig: Rig, tmp_path: Path) -> None:
    """Items are rows: a new service on the same database digests what the old one queued."""
    queued = [rig.raise_event() for _ in range(3)]
    rig.store.close()
    store = EventStore.open(
        f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "media", clock=rig.clock
    )
    try:
        service = DeliveryService(config(rig.receiver.url()), store, clock=rig.clock)
        store.add_change_hook(service.outbox.on_event_change)
        result = service.jobs.run_digest("b3-day", rig.clock.now)
        assert result is not None and result.entries == 3
        with service.outbox.transaction() as session:
            items = session.scalars(
                select(DigestItemRow).where(DigestItemRow.group_name == "b3-day")
            ).all()
            assert {i.event_id for i in items} == set(queued) and all(i.digest_id for i in items)
    finally:
        store.close()


# -- texts and links ----------------------------------------------------------------------------

TITLES = [
    ("zh-CN", NoticeKind.ALERT, "紧急告警：飞线充电"),
    ("en", NoticeKind.ALERT, "ALERT: Flying-wire charging"),
    ("zh-CN", NoticeKind.ESCALATION, "升级：无人确认：飞线充电"),
    ("en", NoticeKind.REMINDER, "Still unresolved: Flying-wire charging"),
    ("zh-CN", NoticeKind.ENDED, "已解除：飞线充电"),
]


@pytest.mark.parametrize(("language", "kind", "title"), TITLES)
def test_templates_in_both_languages(rig: Rig, language: str, kind: NoticeKind, title: str) -> None:
    event = stored(
        type=EventType.FLYING_WIRE, severity=Severity.CRITICAL, end_ts=at(9, 5), start_ts=at(8, 55)
    )
    notice = rig.service.outbox.renderer.event_notice(kind, event, "g", language, at(9, 10))  # type: ignore[arg-type]
    assert notice.title == title
    assert "08:55" in notice.markdown and notice.markdown.startswith(f"### {title}")
    html = markdown_to_html(notice.markdown)
    assert f"<h3>{title}</h3>" in html and '<a href="https://dash.example/p/' in html


def test_html_escapes_text() -> None:
    assert (
        markdown_to_html("- <b>x</b> & **y**")
        == '<ul style="padding-left: 1.2em;">\n<li>&lt;b&gt;x&lt;/b&gt; &amp; <b>y</b></li>\n</ul>'
    )


LINKS = [
    # token change, secret, now -> error
    (None, "k", 100.0, None),
    (None, "k", 200.0, LinkExpired),
    (None, "other", 100.0, LinkError),
    ("flip", "k", 100.0, LinkError),
    ("truncate", "k", 100.0, LinkError),
    ("garbage", "k", 100.0, LinkError),
]


@pytest.mark.parametrize(("change", "secret", "now", "error"), LINKS)
def test_signed_links(change: str | None, secret: str, now: float, error: type | None) -> None:
    token = sign_link("0b7c6a0e-5f1e-4a57-9a43-2f1c8a1d0e11", 150.0, "k")
    if change == "flip":
        token = ("A" if token[0] != "A" else "B") + token[1:]
    elif change == "truncate":
        token = token[:-3]
    elif change == "garbage":
        token = "not a token"
    if error is None:
        claim = verify_link(token, secret, now)
        assert (claim.event_id, claim.expires_at) == ("0b7c6a0e-5f1e-4a57-9a43-2f1c8a1d0e11", 150)
    else:
        with pytest.raises(error):
            verify_link(token, secret, now)


@pytest.mark.parametrize(
    ("language", "title", "more"),
    [
        ("zh-CN", "b3-day 汇总：新增 30 条告警", "另有 {} 条"),
        ("en", "Digest for b3-day: 30 new alerts", "and {} more"),
    ],
)
def test_digest_of_30_open_alerts_is_one_phone_sized_message(
    rig: Rig, language: str, title: str, more: str
) -> None:
    """30 open alerts: one message with the first ones as short lines, a link each, and the
    count of the rest; it fits a WeCom markdown message (4096 bytes) without being cut."""
    from alerts.channels.robots import WECOM_MAX_BYTES
    from alerts.render import DigestEntry

    entries = [
        DigestEntry(stored(id=f"ev{i:03d}", start_ts=at(8, i), camera_name=f"3号楼 {i}F"), False)
        for i in range(30)
    ]
    renderer = rig.service.outbox.renderer
    notice = renderer.digest(entries, 4, "b3-day", language, at(9))  # type: ignore[arg-type]
    lines = [line for line in notice.markdown.splitlines() if line.startswith("- **")]
    assert notice.title == title and len(notice.events) == 30
    assert 15 <= len(lines) <= DIGEST_MAX_LINES and all(len(line) < 400 for line in lines)
    assert more.format(30 - len(lines)) in notice.markdown and "**4**" in notice.markdown
    assert len(notice.markdown.encode()) <= WECOM_MAX_BYTES


def test_a_false_alarm_leaves_digests_escalation_and_reminders(rig: Rig) -> None:
    wrong, right = rig.raise_event(), rig.raise_event()
    verdict = ReviewInput(verdict=Verdict.FALSE_ALARM, reason=FalseAlarmReason.BICYCLE)
    assert rig.store.review(wrong, "li", verdict).status is EventStatus.RESOLVED
    rig.store.record_reminder(wrong)  # a routine reminder would be a digest line
    assert rig.service.jobs.run_escalations(rig.clock.now + 3600) == 1  # the other one only
    assert [r.event_id for r in rig.rows(kind=NoticeKind.ESCALATION.value)] == [right]
    result = rig.service.jobs.run_digest("b3-day", rig.clock.now)
    assert result is not None and result.entries == 1
    (digest,) = [m for m in rig.deliver() if m["kind"] == "digest"]
    assert [e["id"] for e in digest["events"]] == [right]


def test_a_critical_false_alarm_sends_no_reminder_and_no_end(rig: Rig) -> None:
    event_id = rig.raise_event(EventType.EBIKE_IN_ELEVATOR)
    verdict = ReviewInput(
        verdict=Verdict.FALSE_ALARM, reason=FalseAlarmReason.STROLLER_OR_WHEELCHAIR
    )
    rig.store.review(event_id, "li", verdict)
    rig.store.record_reminder(event_id)
    rig.store.record_end(event_id, rig.clock.now + 60)
    kinds = {r.kind.split(":")[0] for r in rig.rows(event_id=event_id)}  # reminder:1 -> reminder
    assert NoticeKind.ALERT.value in kinds  # sent before anyone looked
    assert not kinds & {NoticeKind.REMINDER.value, NoticeKind.ENDED.value}
