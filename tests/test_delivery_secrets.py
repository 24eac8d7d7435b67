"""No configured secret reaches a delivery error: URLs with ``user:password@`` are refused when
the configuration loads, failures are stored, logged and shown as fixed texts, and what is
stored is masked against every configured secret (issue 14, item 1)."""

from __future__ import annotations

import base64
import http.client
import json
import logging
import smtplib
import socket
import ssl
import urllib.error
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import text

from alerts.channels import failures
from alerts.channels.http import send
from alerts.errors import DeliveryRefused, NotifierError
from alerts.notices import Delivery
from alerts.notify_config import NotificationsConfig
from alerts.store import EventStore
from alerts.store_db import MIGRATIONS_DIR, create_store_engine, run_migrations
from dashboard.app import create_app
from dashboard.schemas import DashboardSettings
from stairwatch.config import ConfigError, parse_settings
from stairwatch.runtime.delivery import DeliveryService
from stairwatch.secret_scrub import Scrubber, configured_secrets
from stairwatch.tools.webhook_receiver import Reply, WebhookReceiver
from tests.delivery_servers import free_port
from tests.test_responses import (  # noqa: F401
    LIFT,
    PASSWORD,
    Clock,
    Site,
    receiver,
    relay,
    response,
)
from tests.web import LOCAL

ROBOT_KEY = "0f3c9a7e-5b1d-4e2a-9c8b-7d6e5f4a3b2c"
LINK_SECRET = "Yc2m0Q4kz8Vt-N7rLwHq_5pXe1JbFa6uSdGi3oKnT9U"


def settings_with(notifications: dict[str, Any]) -> dict[str, Any]:
    return {"cameras": [{"id": LIFT.id, "source": "lift.mp4"}], "notifications": notifications}


def relay_url(url: str) -> dict[str, Any]:
    return {"responses": [response(start={"http": {"url": url}})]}


def hook(kind: str, url: str) -> dict[str, Any]:
    return {
        "channels": {"ch": {"type": kind, "url": url}},
        "groups": [{"name": "g", "buildings": ["*"], "channels": ["ch"]}],
    }


# -- at load -------------------------------------------------------------------------------------

CREDENTIAL_URLS = [
    (relay_url, "http://admin:{pw}@192.0.2.30/relay/1", "responses[0].start.http.url"),
    (relay_url, "http://admin:{pw}@192.0.2.30:8080/relay/1", "responses[0].start.http.url"),
    (relay_url, "https://admin@192.0.2.30/relay/1?pw={pw}", "responses[0].start.http.url"),
    (lambda u: hook("webhook", u), "https://ops:{pw}@ops.example/hook", "channels.ch.webhook.url"),
    (lambda u: hook("wecom", u), "https://k:{pw}@qyapi.weixin.qq.com/x", "channels.ch.wecom.url"),
    (lambda u: hook("dingtalk", u), "https://t:{pw}@oapi.ding.com/x", "channels.ch.dingtalk.url"),
    (lambda u: hook("feishu", u), "https://h:{pw}@open.feishu.cn/x", "channels.ch.feishu.url"),
    (lambda u: {"public_url": u, "link_secret": LINK_SECRET}, "https://u:{pw}@dash.example",
     "public_url"),
]  # fmt: skip


@pytest.mark.parametrize("password", [PASSWORD, "pa/ss-9x", "pa#ss-9x", "p@ss-9x", "pa?ss-9x"])
@pytest.mark.parametrize(("section", "url", "field"), CREDENTIAL_URLS)
def test_urls_with_credentials_are_refused_without_showing_them(
    section: Any, url: str, field: str, password: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(settings_with(section(url.format(pw=password))), "site.yaml")
    message = str(caught.value)
    assert f"notifications.{field}" in message and "site.yaml" in message
    if field != "public_url":
        assert "header" in message
    assert password not in message and password.replace("-9x", "") not in message


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (f"qyapi.weixin.qq.com/cgi-bin/webhook/send?key={ROBOT_KEY}", "http:// or https://"),
        (f"//qyapi.weixin.qq.com/send?key={ROBOT_KEY}", "http:// or https://"),
        (f"https://qyapi.weixin.qq.com:{ROBOT_KEY}/send", "not a valid URL"),
        (f"https:///send?key={ROBOT_KEY}", "no host"),
    ],
)
@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu", "webhook"])
def test_robot_urls_without_scheme_or_host_are_refused(kind: str, url: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(settings_with(hook(kind, url)), "site.yaml")
    assert f"channels.ch.{kind}.url" in str(caught.value) and problem in str(caught.value)
    assert ROBOT_KEY not in str(caught.value)


def test_link_secret_may_not_be_the_session_secret() -> None:
    data = settings_with({"link_secret": LINK_SECRET}) | {"server": {"session_secret": LINK_SECRET}}
    with pytest.raises(ConfigError, match=r"must not be server\.session_secret") as caught:
        parse_settings(data, "site.yaml")
    assert LINK_SECRET not in str(caught.value)
    data["server"]["session_secret"] = LINK_SECRET[::-1]
    parse_settings(data, "site.yaml")


# -- fixed texts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (urllib.error.HTTPError("u", 503, f"no {PASSWORD}", {}, None), "HTTP 503"),  # type: ignore[arg-type]
        (urllib.error.URLError(ConnectionRefusedError(111, PASSWORD)), "connection refused"),
        (urllib.error.URLError(TimeoutError(PASSWORD)), "timeout"),
        (urllib.error.URLError(ssl.SSLCertVerificationError(PASSWORD)), "TLS error"),
        (urllib.error.URLError(socket.gaierror(-2, PASSWORD)), "host name not found"),
        (urllib.error.URLError(PASSWORD), "network error"),
        (http.client.InvalidURL(f"nonnumeric port: '{PASSWORD}@host'"), "invalid URL"),
        (ValueError(f"unknown url type: 'h/?key={PASSWORD}'"), "invalid URL"),
        (http.client.RemoteDisconnected(PASSWORD), "connection reset"),
        (http.client.BadStatusLine(PASSWORD), "bad HTTP reply"),
        (smtplib.SMTPServerDisconnected(PASSWORD), "connection reset"),
        (smtplib.SMTPNotSupportedError(PASSWORD), "SMTP error"),
        (OSError(101, PASSWORD), "network unreachable"),
        (OSError(5, PASSWORD), "network error"),
        (KeyError(PASSWORD), "unexpected error"),
    ],
)
def test_each_failure_class_has_a_fixed_text(error: BaseException, text: str) -> None:
    assert failures.describe(error) == text


@pytest.mark.parametrize(
    ("url", "reply", "kind", "message"),
    [
        ("/relay", Reply(500, {"echo": f"Basic {PASSWORD}"}), NotifierError, "answered HTTP 500"),
        ("/relay", Reply(401, {"echo": f"Basic {PASSWORD}"}), DeliveryRefused, "answered HTTP 401"),
        ("/relay", Reply(delay_s=1.5), NotifierError, "timeout"),
        ("closed", None, NotifierError, ": connection refused"),
        ("https", None, NotifierError, ": TLS error"),
        (f"noscheme/send?key={PASSWORD}", None, NotifierError, "cannot reach ?: invalid URL"),
        (f"http://127.0.0.1:{PASSWORD}/relay", None, NotifierError, "cannot reach ?: invalid URL"),
        (f"http://admin:{PASSWORD}@127.0.0.1/relay", None, NotifierError, "?: invalid URL"),
    ],
)
def test_http_failures_carry_fixed_texts_only(
    receiver: WebhookReceiver,  # noqa: F811
    url: str,
    reply: Reply | None,
    kind: type,
    message: str,
) -> None:
    receiver.reply = reply or Reply()
    if url.startswith("/"):
        url = receiver.url(url)
    elif url == "closed":
        url = f"http://127.0.0.1:{free_port()}/relay?token={PASSWORD}"
    elif url == "https":
        url = receiver.url("/relay").replace("http://", "https://")
    headers = {"Authorization": f"Basic {PASSWORD}"}
    with pytest.raises(NotifierError) as caught:
        send("PUT", url, b"{}", headers, timeout_s=0.5)
    assert type(caught.value) is kind
    assert str(caught.value).endswith(message)
    assert PASSWORD not in str(caught.value)


# -- what is stored, logged and shown ------------------------------------------------------------


class LeakyChannel:
    """A channel with a bug: its error quotes the secret (mocked: no real channel does now)."""

    def __init__(self, name: str, error: Exception) -> None:
        self.name = name
        self._error = error

    def send(self, delivery: Delivery) -> None:
        raise self._error

    def close(self) -> None:
        return None


def slipped_past_the_check(notifications: NotificationsConfig, url: str) -> NotificationsConfig:
    """The response's URL replaced without validation: a configuration from before the check."""
    (relay_response,) = notifications.responses
    assert relay_response.start.http is not None
    action = relay_response.start.http.model_copy(update={"url": SecretStr(url)})
    start = relay_response.start.model_copy(update={"http": action})
    return notifications.model_copy(
        update={"responses": [relay_response.model_copy(update={"start": start})]}
    )


def raise_and_read(rig: Site, channel: str = "response:lift-1-hold") -> tuple[Any, str]:
    event_id = rig.raise_event()
    report = rig.service.dispatcher.run_once(channel, rig.clock.now)
    app = create_app(rig.store, settings=DashboardSettings(default_lang="en"))
    with TestClient(app, base_url=LOCAL) as c:
        (record,) = c.get(f"/api/events/{event_id}/deliveries").json()
        page = c.get("/").text
    return report, json.dumps(record) + page


@pytest.mark.parametrize(
    ("setup", "stored"),
    [
        ("echo", "answered HTTP 400"),  # the device echoes the request's Authorization header
        ("userinfo", "cannot reach ?: invalid URL"),  # the relay URL
        ("bug", "unexpected error (RuntimeError)"),
        ("leak", "channel said *** and ***"),  # a NotifierError quoting it: masked
    ],
)
def test_no_secret_is_stored_logged_or_shown(
    tmp_path: Path,
    receiver: WebhookReceiver,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
    setup: str,
    stored: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    notifications = relay(receiver)  # the device's password is in its Authorization header
    receiver.reply = Reply(400, {"error": "bad credentials", "got": f"Basic {PASSWORD}"})
    channels = None
    if setup == "userinfo":
        url = f"http://admin:{PASSWORD}@127.0.0.1/relay"
        notifications = slipped_past_the_check(notifications, url)
    elif setup in ("bug", "leak"):
        error: Exception = (
            RuntimeError(f"boom at http://admin:{PASSWORD}@h/relay")
            if setup == "bug"
            else NotifierError(f"channel said {PASSWORD} and Basic {PASSWORD}")
        )
        channels = {"response:lift-1-hold": LeakyChannel("response:lift-1-hold", error)}
    clock = Clock()
    store = EventStore.open(f"sqlite:///{tmp_path / 'sw.db'}", tmp_path / "media", clock=clock)
    service = DeliveryService(notifications, store, clock=clock, channels=channels)
    store.add_change_hook(service.outbox.on_event_change)
    rig = Site(store, service, clock)
    try:
        report, shown = raise_and_read(rig)
    finally:
        rig.store.close()
    assert report.claimed == 1 and report.delivered == 0  # recorded, the dispatcher carried on
    (row,) = rig.rows()
    assert (row.last_error or "").endswith(stored)
    assert stored in shown
    assert "delivery" in caplog.text and stored in caplog.text
    for where in (row.last_error or "", shown, caplog.text):
        assert PASSWORD not in where


def test_every_configured_secret_is_known_to_the_scrubber() -> None:
    basic = base64.b64encode(b"admin:relay-basic-pw").decode()
    settings = parse_settings(
        {
            "cameras": [{"id": LIFT.id, "source": "rtsp://viewer:cam-pw#1@192.0.2.10/s"}],
            "storage": {"database_url": "postgresql+psycopg://sw:db-pw-9@db/sw"},
            "server": {"session_secret": "session-secret-0123456789"},
            "notifications": {
                "channels": {
                    "wecom": {"type": "wecom", "url": f"https://qyapi.example/send?key={ROBOT_KEY}"},
                    "feishu": {"type": "feishu", "url": f"https://open.feishu.cn/hook/{ROBOT_KEY}",
                               "secret": "feishu-sign-pw"},
                    "mail": {"type": "email", "host": "smtp", "sender": "a@b", "to": ["c@d"],
                             "username": "bot", "password": "smtp-pw-1"},
                    "mq": {"type": "mqtt", "host": "127.0.0.1", "password": "mqtt-pw-1"},
                },
                "groups": [{"name": "g", "buildings": ["*"], "channels": ["wecom"]}],
                "responses": [response(start={"http": {
                    "url": "http://192.0.2.30/relay?token=relay-token-1&on=true",
                    "headers": {"Authorization": f"Basic {basic}", "X-Key": "Bearer hdr-tok-1"},
                }})],
            },
        },
        "site.yaml",
    )  # fmt: skip
    found = configured_secrets(settings)
    expected = {ROBOT_KEY, "feishu-sign-pw", "smtp-pw-1", "mqtt-pw-1", "relay-token-1"}
    expected |= {"relay-basic-pw", "hdr-tok-1", "cam-pw#1", "db-pw-9", "session-secret-0123456789"}
    assert expected <= found
    assert "true" not in found and "bot" not in found  # a switch and a user name are no secrets
    assert Scrubber.of(settings)(f"x {ROBOT_KEY} smtp-pw-1 y") == "x *** *** y"


def test_upgrade_replaces_error_texts_stored_before(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'old.db'}")
    alembic = Config()
    alembic.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        alembic.attributes["connection"] = connection
        command.upgrade(alembic, "0003")
        connection.execute(
            text(
                "INSERT INTO outbox (idempotency_key, kind, channel, group_name, payload, status,"
                " attempts, next_attempt_at, created_at, last_error) VALUES ('k', 'response',"
                " 'response:x', '*', '{}', 'failed', 1, 0, 0, :error)"
            ),
            {"error": f"cannot reach http://?: nonnumeric port: '{PASSWORD}@host'"},
        )
    run_migrations(engine)
    with engine.begin() as connection:
        (error,) = connection.execute(text("SELECT last_error FROM outbox")).scalars().all()
    engine.dispose()
    assert PASSWORD not in error and "removed on upgrade" in error
