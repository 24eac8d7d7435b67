"""On-site responses: configuration, routing, and real deliveries to an HTTP device (the local
receiver) and through a real mosquitto broker, start and end, in order."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import paho.mqtt.client as mqtt
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from alerts.channels.response import ResponseSender
from alerts.errors import DeliveryRefused
from alerts.events import EventType, Severity
from alerts.notices import NoticeKind
from alerts.notify_config import NotificationsConfig
from alerts.outbox_models import DeliveryStatus, OutboxRow
from alerts.routing import plan_responses
from alerts.store import EventStore
from alerts.stored import ActionKind, CameraInfo
from dashboard.app import create_app
from dashboard.schemas import DashboardSettings
from stairwatch.config import ConfigError, parse_settings
from stairwatch.runtime.delivery import DeliveryService
from stairwatch.tools.webhook_receiver import Reply, WebhookReceiver
from tests.delivery_servers import mosquitto_port  # noqa: F401
from tests.records import parked_record
from tests.test_channels import alert_delivery, make_event
from tests.web import LOCAL

LIFT = CameraInfo(id="b3-lift-1", name="3号楼 1号电梯", building="3", floor="1")
STAIR = CameraInfo(id="b3-stair-4f", name="3号楼 4层楼梯间", building="3", floor="4")
T0 = 1_742_263_200.0
PASSWORD = "relay-pa55"


def response(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "lift-1-hold",
        "cameras": [LIFT.id],
        "start": {"http": {"url": "http://127.0.0.1:9/relay/1", "body": '{{"on": true}}'}},
    }
    data.update(changes)
    return data


def config(*responses: dict[str, Any], **changes: Any) -> NotificationsConfig:
    data: dict[str, Any] = {"responses": list(responses)}
    data.update(changes)
    return NotificationsConfig.model_validate(data)


# -- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start": {}}, "exactly one"),
        (
            {"start": {"http": {"url": "http://h/x"}, "mqtt": {"channel": "mq", "topic": "t"}}},
            "exactly one",
        ),
        ({"start": {"http": {"url": "ftp://h/x"}}}, "http:// or https://"),
        ({"start": {"http": {"url": "http://h/{camera}"}}}, "unknown placeholder(s) {camera}"),
        ({"start": {"http": {"url": "http://h/", "body": '{"on": 1}'}}}, "literal braces"),
        ({"start": {"mqtt": {"channel": "nope", "topic": "t"}}}, "not an mqtt channel"),
        ({"types": []}, "at least one event type"),
        ({"types": ["ebike_flying"]}, "ebike_in_elevator"),
        ({"cameras": []}, "at least 1 item"),
        ({"name": "lift 1"}, "pattern"),
    ],
)
def test_invalid_responses_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        config(response(**changes))


def test_response_names_are_unique() -> None:
    with pytest.raises(ValueError, match="response names must be unique: lift-1-hold"):
        config(response(), response())


def test_channel_names_keep_clear_of_the_responses() -> None:
    hook = {"type": "webhook", "url": "http://h/x"}
    with pytest.raises(ValueError, match="may not start with 'response:'"):
        config(response(), channels={"response:lift-1-hold": hook})


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"cameras": ["b3-lift-9"]}, "names unknown cameras: b3-lift-9"),
        ({"zones": ["lobby"]}, "names zones its cameras lack: lobby"),
    ],
)
def test_settings_check_response_cameras_and_zones(changes: dict[str, Any], problem: str) -> None:
    data = {
        "cameras": [
            {
                "id": LIFT.id,
                "source": "lift.mp4",
                "zones": [{"name": "car", "kind": "elevator", "polygon": [[0, 0], [1, 0], [1, 1]]}],
            }
        ],
        "notifications": {"responses": [response(**changes)]},
    }
    parse_settings({**data, "notifications": {"responses": [response()]}}, "ok.yaml")
    with pytest.raises(ConfigError) as caught:
        parse_settings(data, "site.yaml")
    assert problem in str(caught.value) and "site.yaml" in str(caught.value)


def test_config_errors_do_not_show_device_passwords() -> None:
    bad = {"http": {"url": f"http://admin:{PASSWORD}@h/{{x", "headers": {"Authorization": 5}}}
    with pytest.raises(ConfigError) as caught:
        parse_settings(
            {
                "cameras": [{"id": LIFT.id, "source": "lift.mp4"}],
                "notifications": {"responses": [response(start=bad)]},
            },
            "site.yaml",
        )
    assert "notifications.responses[0].start.http.url" in str(caught.value)
    assert PASSWORD not in str(caught.value)


# -- routing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    action: ActionKind
    type: EventType = EventType.EBIKE_IN_ELEVATOR
    camera: str = LIFT.id
    zone: str | None = "car"


@pytest.mark.parametrize(
    ("changes", "change", "planned"),
    [
        ({}, Change(ActionKind.RAISED), 1),
        ({}, Change(ActionKind.RAISED, camera=STAIR.id), 0),
        ({}, Change(ActionKind.RAISED, type=EventType.EBIKE_PARKED), 0),
        ({"types": ["ebike_parked"]}, Change(ActionKind.RAISED, type=EventType.EBIKE_PARKED), 1),
        ({"zones": ["car"]}, Change(ActionKind.RAISED), 1),
        ({"zones": ["car"]}, Change(ActionKind.RAISED, zone="lobby"), 0),
        ({"zones": ["car"]}, Change(ActionKind.RAISED, zone=None), 0),
        ({}, Change(ActionKind.ENDED), 0),  # no end action
        ({"end": {"http": {"url": "http://h/off"}}}, Change(ActionKind.ENDED), 1),
        ({"end": {"http": {"url": "http://h/off"}}}, Change(ActionKind.ACKNOWLEDGED), 0),
        ({"end": {"http": {"url": "http://h/off"}}}, Change(ActionKind.REMINDED), 0),
    ],
)
def test_plan_responses(changes: dict[str, Any], change: Change, planned: int) -> None:
    event = make_event(
        type=change.type, camera_id=change.camera, zone=change.zone, severity=Severity.CRITICAL
    )
    plan = plan_responses(config(response(**changes)), change.action, event)
    assert [(p.kind, p.channel) for p in plan] == [
        (NoticeKind.RESPONSE, "response:lift-1-hold")
    ] * planned


# -- deliveries ---------------------------------------------------------------------------------


@dataclass
class Clock:
    now: float = T0

    def __call__(self) -> float:
        return self.now


@dataclass
class Site:
    store: EventStore
    service: DeliveryService
    clock: Clock

    def raise_event(self, camera: CameraInfo = LIFT, zone: str = "car") -> str:
        record = parked_record(
            f"k{self.clock.now}", camera.id, zone, self.clock.now, EventType.EBIKE_IN_ELEVATOR
        )
        ok, jpeg = cv2.imencode(".jpg", np.full((48, 64, 3), 90, np.uint8))
        assert ok
        return self.store.record_raised(record, camera, jpeg.tobytes()).id

    def dispatch(self, channel: str = "response:lift-1-hold") -> Any:
        return self.service.dispatcher.run_once(channel, self.clock.now)

    def rows(self) -> list[OutboxRow]:
        with self.service.outbox.transaction() as session:
            return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)).all())


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as rx:
        yield rx


def site(tmp_path: Path, notifications: NotificationsConfig) -> Site:
    clock = Clock()
    store = EventStore.open(f"sqlite:///{tmp_path / 'sw.db'}", tmp_path / "media", clock=clock)
    delivery = DeliveryService(notifications, store, clock=clock)
    store.add_change_hook(delivery.outbox.on_event_change)
    return Site(store, delivery, clock)


def relay(receiver: WebhookReceiver, **changes: Any) -> NotificationsConfig:
    return config(
        response(
            start={
                "http": {
                    "method": "PUT",
                    "url": receiver.url("/relay/{camera_id}"),
                    "body": '{{"on": true, "camera": "{camera_name}", "zone": "{zone}"}}',
                    "headers": {"Authorization": f"Basic {PASSWORD}"},
                }
            },
            end={"http": {"method": "GET", "url": receiver.url("/relay/{camera_id}/off")}},
            **changes,
        )
    )


def test_start_and_end_reach_the_device(tmp_path: Path, receiver: WebhookReceiver) -> None:
    rig = site(tmp_path, relay(receiver))
    try:
        event_id = rig.raise_event()
        rig.raise_event(STAIR, "landing")  # another camera: no response
        assert rig.dispatch().delivered == 1
        rig.clock.now += 20
        rig.store.record_end(event_id, rig.clock.now)
        assert rig.dispatch().delivered == 1
    finally:
        rig.store.close()
    start, end = receiver.received()
    assert (start.method, start.path) == ("PUT", f"/relay/{LIFT.id}")
    assert start.json() == {"on": True, "camera": LIFT.name, "zone": "car"}
    assert start.headers["Authorization"] == f"Basic {PASSWORD}"
    assert start.headers["Content-Type"] == "application/json"
    assert (end.method, end.path, end.body) == ("GET", f"/relay/{LIFT.id}/off", b"")
    assert start.headers["Idempotency-Key"] != end.headers["Idempotency-Key"]


def test_responses_alone_enable_delivery(tmp_path: Path, receiver: WebhookReceiver) -> None:
    """No patrol groups, only a response: the service still starts its dispatcher."""
    rig = site(tmp_path, relay(receiver))
    rig.service.start(schedule=False)
    try:
        rig.clock.now = time.time()
        rig.raise_event()
        got = receiver.wait_for(lambda r: len(r) >= 1, timeout_s=10)
    finally:
        rig.service.stop()
        rig.store.close()
    assert [r.method for r in got] == ["PUT"]


def test_a_start_retried_after_the_end_is_dropped(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    """The relay must not be switched on after it was switched off."""
    rig = site(tmp_path, relay(receiver))
    try:
        receiver.reply = Reply(status=503)
        event_id = rig.raise_event()
        assert rig.dispatch().retried == 1  # the start failed; retried a few seconds later
        receiver.reply = Reply()
        rig.store.record_end(event_id, rig.clock.now)
        assert rig.dispatch().delivered == 1  # the end is due first
        rig.clock.now += 60
        assert rig.dispatch().failed == 1  # the start, given up
    finally:
        rig.store.close()
    assert [(r.method, r.status) for r in receiver.received()] == [("PUT", 503), ("GET", 200)]
    start_row = next(r for r in rig.rows() if "new" in json.dumps(r.payload))
    assert start_row.status == DeliveryStatus.FAILED.value
    assert "end action went out first" in (start_row.last_error or "")


def test_a_late_start_is_given_up(tmp_path: Path, receiver: WebhookReceiver) -> None:
    rig = site(tmp_path, relay(receiver, give_up_after_s=10))
    try:
        receiver.reply = Reply(status=503)
        rig.raise_event()
        assert rig.dispatch().retried == 1
        receiver.reply = Reply()
        rig.clock.now += 30
        assert rig.dispatch().failed == 1
    finally:
        rig.store.close()
    assert len(receiver.received()) == 1
    assert "give_up_after_s" in (rig.rows()[0].last_error or "")


def test_refuses_other_notices(tmp_path: Path) -> None:
    sender = ResponseSender(config(response()).responses[0], {})
    with pytest.raises(DeliveryRefused, match="start and end notices"):
        sender.send(alert_delivery())


def test_mqtt_action_publishes_through_the_broker(
    tmp_path: Path,
    mosquitto_port: int,  # noqa: F811
) -> None:
    notifications = config(
        response(
            start={"mqtt": {"channel": "mq", "topic": "lift/{camera_id}/hold", "payload": "ON"}},
            end={"mqtt": {"channel": "mq", "topic": "lift/{camera_id}/hold", "payload": "OFF"}},
        ),
        channels={"mq": {"type": "mqtt", "host": "127.0.0.1", "port": mosquitto_port}},
    )
    got: list[tuple[str, bytes]] = []
    subscribed = threading.Event()
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="lift-dev")
    client.on_message = lambda _c, _u, msg: got.append((msg.topic, msg.payload))
    client.on_subscribe = lambda *_a: subscribed.set()
    client.on_connect = lambda c, *_a: c.subscribe("lift/#", qos=1)
    client.connect("127.0.0.1", mosquitto_port)
    client.loop_start()
    rig = site(tmp_path, notifications)
    try:
        assert subscribed.wait(10)
        event_id = rig.raise_event()
        assert rig.dispatch().delivered == 1
        rig.store.record_end(event_id, rig.clock.now)
        assert rig.dispatch().delivered == 1
        deadline = time.monotonic() + 10
        while len(got) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        rig.service.stop()
        rig.store.close()
        client.loop_stop()
        client.disconnect()
    topic = f"lift/{LIFT.id}/hold"
    assert got == [(topic, b"ON"), (topic, b"OFF")]


def test_the_dashboard_shows_what_went_out(tmp_path: Path, receiver: WebhookReceiver) -> None:
    rig = site(tmp_path, relay(receiver))
    try:
        delivered_id = rig.raise_event()
        rig.dispatch()
        receiver.reply = Reply(status=400)  # the device refuses: failed for good
        rig.clock.now += 1
        failed_id = rig.raise_event()
        rig.dispatch()
        with TestClient(
            create_app(rig.store, settings=DashboardSettings(default_lang="en")), base_url=LOCAL
        ) as c:
            (record,) = c.get(f"/api/events/{delivered_id}/deliveries").json()
            (refused,) = c.get(f"/api/events/{failed_id}/deliveries").json()
            page = c.get("/").text
            assert c.get("/api/events/nope/deliveries").status_code == 404
    finally:
        rig.store.close()
    assert (record["channel"], record["kind"], record["status"]) == (
        "response:lift-1-hold",
        "response",
        "delivered",
    )
    assert (refused["status"], refused["attempts"]) == ("failed", 1)
    assert "HTTP 400" in refused["last_error"]
    assert page.count("sent 1") == 1 and page.count("failed 1") == 1
