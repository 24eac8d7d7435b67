"""Channels against real local servers: an HTTP receiver for the webhook and the chat robots,
aiosmtpd for e-mail (plain and STARTTLS with AUTH), mosquitto for the MQTT feed (plain and
TLS)."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest

from alerts.channels.email import EmailSender
from alerts.channels.factory import build_channel
from alerts.channels.mqtt import MqttSender
from alerts.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from alerts.errors import DeliveryRefused, NotifierError
from alerts.events import EventStatus, EventType, Severity
from alerts.notices import Delivery, Notice, NoticeKind, idempotency_key
from alerts.notify_config import EmailChannel, MqttChannel, NotificationsConfig
from alerts.render import LinkMaker, NoticeRenderer
from alerts.stored import StoredEvent
from stairwatch.tools.webhook_receiver import Reply, WebhookReceiver
from tests.delivery_servers import (  # noqa: F401
    TlsBroker,
    free_port,
    mosquitto_port,
    mosquitto_tls,
    start_smtp,
)

NOW = 1_742_263_200.0  # 2025-03-18 02:00 UTC
SECRET = "s3cr3t-签名"
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64 + b"\xff\xd9"


def fixed_clock() -> float:
    return NOW


def make_event(**changes: Any) -> StoredEvent:
    values: dict[str, Any] = {
        "id": "0b7c6a0e-5f1e-4a57-9a43-2f1c8a1d0e11",
        "camera_id": "b3-stair-4f",
        "camera_name": "3号楼 4层楼梯间",
        "building": "3",
        "floor": "4",
        "zone": "landing",
        "type": EventType.FLYING_WIRE,
        "severity": Severity.CRITICAL,
        "status": EventStatus.OPEN,
        "track_id": 7,
        "confidence": 0.91,
        "start_ts": NOW - 120,
        "alert_ts": NOW - 100,
        "end_ts": None,
        "box": None,
        "details": ("cable reaches e-bike",),
        "snapshot_path": "snapshots/2025-03-18/x.jpg",
        "clip_path": None,
        "created_at": NOW - 100,
        "updated_at": NOW - 100,
        "acknowledged_by": None,
        "acknowledged_at": None,
        "assigned_to": None,
        "resolved_by": None,
        "resolved_at": None,
        "note": None,
        "reminder_count": 0,
    }
    values.update(changes)
    return StoredEvent(**values)


def renderer() -> NoticeRenderer:
    return NoticeRenderer(None, LinkMaker("https://dash.example", "link-key", timedelta(days=1)))


def alert_delivery(language: str = "zh-CN", channel: str = "ch") -> Delivery:
    event = make_event()
    notice = renderer().event_notice(NoticeKind.ALERT, event, "patrol-3", language, NOW)  # type: ignore[arg-type]
    key = idempotency_key(event.id, "alert", channel, "patrol-3")
    return Delivery(1, key, channel, "patrol-3", 1, "tok", NOW + 60, notice)


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    path = tmp_path / "media" / "snapshots" / "2025-03-18" / "x.jpg"
    path.parent.mkdir(parents=True)
    path.write_bytes(JPEG)
    return tmp_path / "media"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as rx:
        yield rx


def channel_config(kind: str, url: str, secret: str | None) -> Any:
    data: dict[str, Any] = {"type": kind, "url": url}
    if secret is not None:
        data["secret"] = secret
    config = NotificationsConfig.model_validate(
        {
            "channels": {"ch": data},
            "groups": [{"name": "g", "buildings": ["*"], "channels": ["ch"]}],
        }
    )
    return config.channels["ch"]


# -- webhook ------------------------------------------------------------------------------------


def test_webhook_posts_signed_json_with_idempotency_key(
    receiver: WebhookReceiver, media_dir: Path
) -> None:
    delivery = alert_delivery("en")
    sender = build_channel(
        "ch", channel_config("webhook", receiver.url(), SECRET), media_dir, fixed_clock
    )
    sender.send(delivery)
    (request,) = receiver.received()
    body = request.json()
    assert verify_signature(request.body, request.headers[SIGNATURE_HEADER], SECRET)
    assert not verify_signature(request.body + b" ", request.headers[SIGNATURE_HEADER], SECRET)
    assert request.headers["Idempotency-Key"] == body["idempotency_key"] == delivery.idempotency_key
    assert request.headers[TIMESTAMP_HEADER] == str(body["sent_at"]) == str(int(NOW))
    assert body["kind"] == "alert" and body["critical"] is True
    assert body["events"][0]["id"] == make_event().id
    assert body["link"].startswith("https://dash.example/p/")
    assert base64.b64decode(body["image"]["base64"]) == JPEG


def test_webhook_without_secret_sends_no_signature(
    receiver: WebhookReceiver, media_dir: Path
) -> None:
    sender = build_channel(
        "ch", channel_config("webhook", receiver.url(), None), media_dir, fixed_clock
    )
    sender.send(alert_delivery())
    (request,) = receiver.received()
    assert SIGNATURE_HEADER not in request.headers


# -- chat robots --------------------------------------------------------------------------------


def check_wecom(request: Any, delivery: Delivery) -> None:
    body = request.json()
    assert body["msgtype"] == "markdown"
    assert delivery.notice.title in body["markdown"]["content"]
    assert '<font color="warning">' in body["markdown"]["content"]


def check_dingtalk(request: Any, delivery: Delivery) -> None:
    body = request.json()
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == delivery.notice.title
    assert "![snapshot](https://dash.example/p/" in body["markdown"]["text"]
    timestamp = request.query["timestamp"][0]
    assert timestamp == str(int(NOW * 1000))
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert request.query["sign"][0] == expected  # parse_qs has already URL-decoded it
    assert request.query["access_token"] == ["abc"]


def check_feishu(request: Any, delivery: Delivery) -> None:
    body = request.json()
    assert body["msg_type"] == "interactive"
    assert body["timestamp"] == str(int(NOW))
    key = f"{body['timestamp']}\n{SECRET}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    card = body["card"]
    assert card["header"]["title"]["content"] == delivery.notice.title
    assert card["header"]["template"] == "red"
    assert card["elements"][1]["actions"][0]["url"] == delivery.notice.link


ROBOTS = [
    ("wecom", "/cgi-bin/webhook/send?key=k", None, check_wecom),
    ("dingtalk", "/robot/send?access_token=abc", SECRET, check_dingtalk),
    ("feishu", "/open-apis/bot/v2/hook/h", SECRET, check_feishu),
]


@pytest.mark.parametrize(("kind", "path", "secret", "check"), ROBOTS, ids=[r[0] for r in ROBOTS])
def test_robot_payload_and_signature(
    receiver: WebhookReceiver, media_dir: Path, kind: str, path: str, secret: str | None, check: Any
) -> None:
    delivery = alert_delivery("zh-CN")
    sender = build_channel(
        "ch", channel_config(kind, receiver.url(path), secret), media_dir, fixed_clock
    )
    sender.send(delivery)
    (request,) = receiver.received()
    assert request.headers["Idempotency-Key"] == delivery.idempotency_key
    check(request, delivery)


ERRORS = [
    ("webhook", 500, {}, NotifierError),
    ("webhook", 429, {}, NotifierError),
    ("webhook", 400, {}, DeliveryRefused),
    ("webhook", 401, {}, DeliveryRefused),
    ("wecom", 200, {"errcode": 45009, "errmsg": "api freq out of limit"}, NotifierError),
    ("wecom", 200, {"errcode": 93000, "errmsg": "invalid webhook url"}, DeliveryRefused),
    ("dingtalk", 200, {"errcode": 310000, "errmsg": "sign not match"}, DeliveryRefused),
    ("dingtalk", 200, {"errcode": 130101, "errmsg": "send too fast"}, NotifierError),
    ("feishu", 200, {"code": 19021, "msg": "sign match fail"}, DeliveryRefused),
    ("feishu", 200, {"code": 11232, "msg": "frequency limited"}, NotifierError),
]


@pytest.mark.parametrize(("kind", "status", "reply", "error"), ERRORS)
def test_refusals_are_permanent_and_trouble_is_retryable(
    receiver: WebhookReceiver, media_dir: Path, kind: str, status: int, reply: dict, error: type
) -> None:
    receiver.reply = Reply(status=status, body=reply)
    sender = build_channel("ch", channel_config(kind, receiver.url(), None), media_dir, fixed_clock)
    with pytest.raises(error) as caught:
        sender.send(alert_delivery())
    is_refusal = isinstance(caught.value, DeliveryRefused)
    assert is_refusal == (error is DeliveryRefused)


def test_unreachable_receiver_is_retryable_and_url_key_not_leaked(media_dir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/cgi-bin/webhook/send?key=TOPSECRETKEY"
    sender = build_channel("ch", channel_config("wecom", url, None), media_dir, fixed_clock)
    with pytest.raises(NotifierError) as caught:
        sender.send(alert_delivery())
    assert not isinstance(caught.value, DeliveryRefused)
    assert "TOPSECRETKEY" not in str(caught.value)


# -- e-mail -------------------------------------------------------------------------------------


def email_config(port: int, **changes: Any) -> EmailChannel:
    data = {
        "type": "email",
        "host": "127.0.0.1",
        "port": port,
        "sender": "stairwatch@example.org",
        "to": ["patrol@example.org", "lead@example.org"],
        **changes,
    }
    return EmailChannel.model_validate(data)


def parsed(envelope: Any) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.original_content, policy=email.policy.default)  # type: ignore[return-value]


def test_email_plain_smtp_html_body_and_snapshot(media_dir: Path) -> None:
    controller, server = start_smtp(None)
    try:
        delivery = alert_delivery("zh-CN")
        EmailSender("ch", email_config(server.port), media_dir).send(delivery)
        (envelope,) = server.wait_for(1)
    finally:
        controller.stop()
    message = parsed(envelope)
    assert envelope.rcpt_tos == ["patrol@example.org", "lead@example.org"]
    assert message["Subject"] == delivery.notice.title
    assert message["Idempotency-Key"].strip() == delivery.idempotency_key  # may be folded
    assert message["Message-ID"].strip() == f"<{delivery.idempotency_key}@stairwatch>"
    html = message.get_body(("html",))
    assert html is not None and "cid:stairwatch-image" in html.get_content()
    assert "<h3>" in html.get_content() and "https://dash.example/p/" in html.get_content()
    attachments = [part for part in message.iter_attachments() if part.get_filename()]
    assert [part.get_content() for part in attachments] == [JPEG]


def test_email_uses_starttls_and_login(media_dir: Path, tmp_path: Path) -> None:
    controller, server = start_smtp(tmp_path)
    try:
        config = email_config(
            server.port,
            ca_file=server.ca_file,
            username="patrol",
            password="right",
            require_tls=True,
        )
        EmailSender("ch", config, media_dir).send(alert_delivery("en"))
        (envelope,) = server.wait_for(1)
        wrong = email_config(
            server.port, ca_file=server.ca_file, username="patrol", password="wrong"
        )
        with pytest.raises(DeliveryRefused):
            EmailSender("ch", wrong, media_dir).send(alert_delivery("en"))
    finally:
        controller.stop()
    assert server.logins == ["patrol"]
    assert parsed(envelope)["Subject"].startswith("ALERT")


def test_email_require_tls_refuses_a_server_without_starttls(media_dir: Path) -> None:
    controller, server = start_smtp(None)
    try:
        with pytest.raises(DeliveryRefused, match="STARTTLS"):
            EmailSender("ch", email_config(server.port, require_tls=True), media_dir).send(
                alert_delivery()
            )
    finally:
        controller.stop()
    assert server.messages == []


def test_email_never_logs_in_without_the_starttls_it_asked_for(media_dir: Path) -> None:
    """The server offers AUTH but no STARTTLS (stripped on the way): no password goes out in
    the clear, and the message waits for a retry; ``starttls: false`` allows it knowingly."""
    controller, server = start_smtp(None, clear_auth=True)
    try:
        config = email_config(server.port, username="patrol", password="right")
        with pytest.raises(NotifierError, match="not sending the password") as caught:
            EmailSender("ch", config, media_dir).send(alert_delivery())
        assert not isinstance(caught.value, DeliveryRefused)
        assert server.logins == [] and server.messages == []
        plain = email_config(server.port, username="patrol", password="right", starttls=False)
        EmailSender("ch", plain, media_dir).send(alert_delivery())
        server.wait_for(1)
    finally:
        controller.stop()
    assert server.logins == ["patrol"] and len(server.messages) == 1


def test_email_server_down_is_retryable(media_dir: Path) -> None:
    with pytest.raises(NotifierError) as caught:
        EmailSender("ch", email_config(free_port()), media_dir).send(alert_delivery())
    assert not isinstance(caught.value, DeliveryRefused)


# -- MQTT ---------------------------------------------------------------------------------------


class Subscriber:
    """A paho client collecting what arrives on one topic (its network loop in a test thread)."""

    def __init__(self, port: int, topic: str) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.messages: list[dict[str, Any]] = []
        self._subscribed = threading.Event()
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, client_id="test-sub"
        )
        self.client.on_message = lambda _c, _u, msg: self.messages.append(json.loads(msg.payload))
        self.client.on_subscribe = lambda *_a: self._subscribed.set()
        self.client.on_connect = lambda c, *_a: c.subscribe(topic, qos=1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self._subscribed.wait(10), "subscription not confirmed"

    def wait_for(self, count: int, timeout_s: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.messages)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def feed_delivery(feed_type: str, before: StoredEvent, after: StoredEvent) -> Delivery:
    r = renderer()
    notice = Notice(
        kind=NoticeKind.FEED,
        group="*",
        language="en",
        title="feed",
        markdown="",
        link=None,
        events=(r.brief(after, NOW),),
        created_at=NOW,
        feed_type=feed_type,  # type: ignore[arg-type]
        before=r.brief(before, NOW),
    )
    key = idempotency_key(after.id, f"feed:{feed_type}", "mq", "*")
    return Delivery(1, key, "mq", "*", 1, "t", NOW + 60, notice)


def test_mqtt_feed_frigate_style(mosquitto_port: int, media_dir: Path) -> None:  # noqa: F811
    config = NotificationsConfig.model_validate(
        {
            "channels": {
                "mq": {
                    "type": "mqtt",
                    "host": "127.0.0.1",
                    "port": mosquitto_port,
                    "topic_prefix": "sw",
                }
            },
            "groups": [{"name": "g", "buildings": ["*"], "channels": ["mq"]}],
        }
    )
    sender = build_channel("mq", config.channels["mq"], media_dir)
    subscriber = Subscriber(mosquitto_port, "sw/events")
    opened = make_event()
    acked = make_event(status=EventStatus.ACKNOWLEDGED, acknowledged_by="li")
    ended = make_event(status=EventStatus.ACKNOWLEDGED, end_ts=NOW)
    try:
        for delivery in (
            feed_delivery("new", opened, opened),
            feed_delivery("update", opened, acked),
            feed_delivery("end", acked, ended),
        ):
            sender.send(delivery)
        got = subscriber.wait_for(3)
    finally:
        subscriber.close()
        sender.close()
    assert [m["type"] for m in got] == ["new", "update", "end"]
    assert got[0]["before"] == got[0]["after"]
    assert (got[1]["before"]["status"], got[1]["after"]["status"]) == ("open", "acknowledged")
    assert got[2]["after"]["end_time"] == NOW and got[2]["after"]["current_zones"] == []
    assert got[0]["after"]["label"] == "flying_wire" and got[0]["after"]["camera"] == "b3-stair-4f"
    assert len({m["idempotency_key"] for m in got}) == 3


def test_mqtt_broker_down_is_retryable(media_dir: Path) -> None:
    config = NotificationsConfig.model_validate(
        {
            "channels": {
                "mq": {"type": "mqtt", "host": "127.0.0.1", "port": free_port(), "timeout_s": 2}
            },
            "groups": [{"name": "g", "buildings": ["*"], "channels": ["mq"]}],
        }
    )
    sender = build_channel("mq", config.channels["mq"], media_dir)
    event = make_event()
    with pytest.raises(NotifierError) as caught:
        sender.send(feed_delivery("new", event, event))
    assert not isinstance(caught.value, DeliveryRefused)


def mqtt_channel(**fields: Any) -> MqttChannel:
    return MqttChannel.model_validate({"type": "mqtt", "host": "127.0.0.1", **fields})


def test_mqtt_over_tls(mosquitto_tls: TlsBroker, media_dir: Path) -> None:  # noqa: F811
    """The broker listens with TLS only: a publish acknowledged means it went over TLS."""
    event = make_event()
    delivery = feed_delivery("new", event, event)
    port, ca_file = mosquitto_tls.port, mosquitto_tls.ca_file
    sender = MqttSender("mq", mqtt_channel(port=port, tls=True, ca_file=ca_file, timeout_s=5))
    try:
        sender.send(delivery)
    finally:
        sender.close()
    for refused in (
        mqtt_channel(port=port, tls=True, timeout_s=2),  # a certificate no system CA signed
        mqtt_channel(port=port, timeout_s=2),  # plain MQTT to a TLS port
    ):
        with pytest.raises(NotifierError):
            MqttSender("mq", refused).send(delivery)


@pytest.mark.parametrize(
    ("fields", "port", "warned"),
    [
        ({"host": "192.0.2.20"}, 1883, True),
        ({"host": "broker.example"}, 1883, True),
        ({"host": "192.0.2.20", "tls": True}, 8883, False),
        ({"host": "192.0.2.20", "tls": True, "port": 18883}, 18883, False),
        ({"host": "127.0.0.1"}, 1883, False),
        ({"host": "localhost"}, 1883, False),
    ],
)
def test_plain_mqtt_beyond_this_machine_is_warned_about(
    caplog: pytest.LogCaptureFixture, fields: dict[str, Any], port: int, warned: bool
) -> None:
    config = mqtt_channel(**fields)
    MqttSender("feed", config).close()
    assert config.port == port
    assert ("without TLS" in caplog.text) == warned


def test_mqtt_refuses_non_feed_notices(media_dir: Path) -> None:
    config = NotificationsConfig.model_validate(
        {
            "channels": {"mq": {"type": "mqtt", "host": "127.0.0.1", "port": free_port()}},
            "groups": [{"name": "g", "buildings": ["*"], "channels": ["mq"]}],
        }
    )
    with pytest.raises(DeliveryRefused):
        build_channel("mq", config.channels["mq"], media_dir).send(alert_delivery())


def test_dingtalk_sign_is_url_encoded() -> None:
    from alerts.channels.robots import dingtalk_sign, dingtalk_url

    url = dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=t", "SEC", 1700000000000)
    sign = url.split("sign=")[1]
    raw = base64.b64encode(
        hmac.new(b"SEC", b"1700000000000\nSEC", hashlib.sha256).digest()
    ).decode()
    assert unquote_plus(sign) == raw and sign == dingtalk_sign("SEC", 1700000000000)
    assert not set(sign) & set("+/=")


@pytest.mark.parametrize(
    ("language", "stored", "shown", "not_shown"),
    [
        ("zh-CN", "cable_reaches_ebike", "- 电线已接到电动车", "cable"),
        ("zh-CN", "cable reaches e-bike", "- 电线已接到电动车", "cable"),  # stored before keys
        ("en", "cable_reaches_ebike", "- the cable reaches an e-bike", "cable_reaches"),
        ("zh-CN", "view_blurred", "- 画面模糊", "blurred"),
        ("en", "an operator's own words", "- an operator's own words", "_"),
    ],
)
def test_event_details_follow_the_group_language(
    language: str, stored: str, shown: str, not_shown: str
) -> None:
    event = make_event(details=(stored,))
    notice = renderer().event_notice(NoticeKind.ALERT, event, "patrol-3", language, NOW)  # type: ignore[arg-type]
    body = notice.markdown.split("](")[0]  # the link's token may hold any letters
    assert shown in body.splitlines()
    assert not_shown not in body
