"""Notification settings: named channels, patrol groups, timing and delivery policy (pydantic).

The ``notifications:`` section of the service configuration. Durations accept seconds (``600``)
or a number with a unit (``"90s"``, ``"10m"``, ``"1h"``, ``"1d"``). Clock windows are local
``"HH:MM-HH:MM"`` ranges in :attr:`NotificationsConfig.timezone`; a window may wrap midnight
(``"22:00-07:00"``). Secrets are :class:`SecretStr` so they never show in logs or reprs.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    field_validator,
    model_validator,
)

from alerts.links import check_link_secret
from alerts.response_config import RESPONSE_CHANNEL_PREFIX, ResponseConfig
from alerts.urls import OutgoingUrl, check_outgoing_url

Language = Literal["zh-CN", "en"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$")
_UNIT_S = {None: 1.0, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_duration(value: object) -> object:
    """``600``, ``"90s"``, ``"10m"``, ``"1.5h"``, ``"1d"`` -> timedelta; others pass through."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or e.g. '10m'")
    if isinstance(value, int | float):
        return timedelta(seconds=float(value))
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 10m, 1h)")
        return timedelta(seconds=float(match.group(1)) * _UNIT_S[match.group(2)])
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(lambda d: d.total_seconds(), return_type=float),
]


class TimeWindow(BaseModel):
    """A daily local-time window ``[start, end)``; ``end <= start`` wraps past midnight."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start == self.end:
            return True  # "00:00-00:00": all day
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_window(value: object) -> object:
    """``"07:00-23:00"`` -> :class:`TimeWindow`; other types pass through to validation."""
    if not isinstance(value, str):
        return value
    match = _WINDOW.match(value)
    if match is None:
        raise ValueError(f"not a time window: {value!r} (use HH:MM-HH:MM)")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"not a time of day in {value!r}")
    return TimeWindow(start=time(h1, m1), end=time(h2, m2))


Window = Annotated[TimeWindow, BeforeValidator(parse_window), PlainSerializer(str, return_type=str)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookChannel(_Strict):
    """POST JSON; with a secret, ``X-Stairwatch-Signature: sha256=<hex HMAC of the raw body>``."""

    type: Literal["webhook"]
    url: OutgoingUrl = Field(description="http(s) URL; may carry a token, so it is a secret")
    secret: SecretStr | None = None
    timeout_s: float = Field(10.0, gt=0)


class EmailChannel(_Strict):
    """SMTP; STARTTLS is used whenever the server offers it (required with ``require_tls``)."""

    type: Literal["email"]
    host: str = Field(min_length=1)
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    require_tls: bool = False
    ca_file: str | None = Field(None, description="PEM bundle for a private CA (else the system's)")
    username: str | None = None
    password: SecretStr | None = None
    sender: str = Field(min_length=3, description="the From address")
    to: list[str] = Field(min_length=1)
    timeout_s: float = Field(15.0, gt=0)


class WecomChannel(_Strict):
    """WeCom (企业微信) group robot: ``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...``."""

    type: Literal["wecom"]
    url: OutgoingUrl
    timeout_s: float = Field(10.0, gt=0)


class DingtalkChannel(_Strict):
    """DingTalk (钉钉) group robot: ``.../robot/send?access_token=...``; signed with a secret."""

    type: Literal["dingtalk"]
    url: OutgoingUrl
    secret: SecretStr | None = None
    timeout_s: float = Field(10.0, gt=0)


class FeishuChannel(_Strict):
    """Feishu / Lark custom bot: ``.../open-apis/bot/v2/hook/...``; signed when a secret is set."""

    type: Literal["feishu"]
    url: OutgoingUrl
    secret: SecretStr | None = None
    timeout_s: float = Field(10.0, gt=0)


class MqttChannel(_Strict):
    """A machine feed: every event change, Frigate-style, on ``<topic_prefix>/events`` (QoS 1).

    Every message carries a patrol link, so a broker beyond this machine should be reached with
    ``tls: true`` (port 8883 unless given; ``ca_file`` for a private CA)."""

    type: Literal["mqtt"]
    host: str = Field(min_length=1)
    port: int = Field(1883, ge=1, le=65535, description="1883; 8883 with tls")
    tls: bool = False
    ca_file: str | None = Field(None, description="PEM bundle for a private CA (else the system's)")
    topic_prefix: str = Field("stairwatch", min_length=1)
    username: str | None = None
    password: SecretStr | None = None
    client_id: str = "stairwatch"
    timeout_s: float = Field(10.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _tls_port(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("tls") is True and "port" not in data:
            return {**data, "port": 8883}
        return data


ChannelConfig = Annotated[
    WebhookChannel | EmailChannel | WecomChannel | DingtalkChannel | FeishuChannel | MqttChannel,
    Field(discriminator="type"),
]
ChannelType = Literal["webhook", "email", "wecom", "dingtalk", "feishu", "mqtt"]
FEED_CHANNEL_TYPES: frozenset[str] = frozenset({"mqtt"})


class PatrolGroupConfig(_Strict):
    """A group of patrollers and the buildings (optionally floors) it looks after."""

    name: str = Field(min_length=1, max_length=100)
    buildings: list[str] = Field(min_length=1, description='building names; "*" means every one')
    floors: list[str] | None = Field(None, description="only these floors (default: all)")
    channels: list[str] = Field(min_length=1)
    language: Language = "zh-CN"
    digest_interval: Duration = timedelta(minutes=10)
    duty_hours: Window | None = Field(
        None, description="digests only in this window (default: always)"
    )
    quiet_hours: Window | None = Field(
        None, description="nothing but critical alerts in this window"
    )
    supervisors: bool = Field(False, description="receives escalations of unacknowledged alerts")

    @field_validator("digest_interval")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=1):
            raise ValueError("must be at least 1 second")
        return value

    def owns(self, building: str, floor: str) -> bool:
        in_building = "*" in self.buildings or building in self.buildings
        return in_building and (self.floors is None or floor in self.floors)


class DeliveryPolicy(_Strict):
    """Retries of one outbox row: exponential backoff with jitter and a cap, then give up."""

    max_attempts: int = Field(12, ge=1)
    backoff_base_s: float = Field(2.0, gt=0)
    backoff_cap_s: float = Field(300.0, gt=0)
    jitter: float = Field(0.2, ge=0, le=1, description="+/- this fraction of each delay, at random")
    lease_s: float = Field(60.0, gt=0, description="a row claimed longer than this is retried")
    batch_size: int = Field(50, ge=1)
    poll_s: float = Field(0.25, gt=0, description="how often a dispatcher looks for due rows")


class NotificationsConfig(_Strict):
    """The ``notifications:`` section. With no groups and no responses nothing is sent (and
    nothing is queued); with responses only, only the responses."""

    channels: dict[str, ChannelConfig] = Field(default_factory=dict)
    groups: list[PatrolGroupConfig] = Field(default_factory=list)
    escalate_after: Duration = timedelta(minutes=15)
    critical_cooldown_s: float = Field(
        60.0,
        ge=0,
        description="no longer used: critical alerts always go out at once (kept so configs load)",
    )
    daily_summary_at: str | None = Field("08:00", pattern=r"^\d{1,2}:\d{2}$")
    timezone: str | None = Field(None, description="IANA name, e.g. Asia/Shanghai (default: local)")
    public_url: str | None = Field(None, description="the dashboard's URL as patrollers reach it")
    link_secret: SecretStr | None = Field(
        None,
        description="signs the /p/{token} links: 32 random bytes (`stairwatch gen-secret`)",
    )
    link_ttl: Duration = timedelta(days=2)
    delivery: DeliveryPolicy = DeliveryPolicy()
    keep_delivered: Duration = timedelta(days=7)
    responses: list[ResponseConfig] = Field(
        default_factory=list,
        description="on-site devices told at once (see alerts.response_config)",
    )

    @field_validator("daily_summary_at")
    @classmethod
    def _time_of_day(cls, value: str | None) -> str | None:
        if value is not None:
            hour, minute = (int(p) for p in value.split(":"))
            if hour > 23 or minute > 59:
                raise ValueError(f"not a time of day: {value!r}")
        return value

    @field_validator("link_secret")
    @classmethod
    def _strong_link_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_link_secret(value.get_secret_value())
        return value

    @field_validator("public_url")
    @classmethod
    def _plain_public_url(cls, value: str | None) -> str | None:
        if value is not None:
            check_outgoing_url(value)  # every message carries it
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> NotificationsConfig:
        names = [g.name for g in self.groups]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"group names must be unique: {', '.join(dupes)}")
        for group in self.groups:
            unknown = [c for c in group.channels if c not in self.channels]
            if unknown:
                raise ValueError(
                    f"group {group.name!r} names unknown channels: {', '.join(unknown)}"
                )
        if self.public_url is not None and self.link_secret is None:
            raise ValueError("public_url needs link_secret (links to alerts are signed)")
        self._check_responses()
        return self

    def _check_responses(self) -> None:
        taken = sorted(c for c in self.channels if c.startswith(RESPONSE_CHANNEL_PREFIX))
        if taken:
            raise ValueError(
                f"channel names may not start with {RESPONSE_CHANNEL_PREFIX!r} (the responses' "
                f"own): {', '.join(taken)}"
            )
        names = [r.name for r in self.responses]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"response names must be unique: {', '.join(dupes)}")
        for response in self.responses:
            for channel in response.mqtt_channels():
                config = self.channels.get(channel)
                if config is None or config.type != "mqtt":
                    raise ValueError(
                        f"response {response.name!r} publishes through {channel!r}, "
                        "which is not an mqtt channel of notifications.channels"
                    )

    @property
    def enabled(self) -> bool:
        """Anything to deliver at all: patrol groups or on-site responses."""
        return bool(self.groups or self.responses)

    def tzinfo(self) -> ZoneInfo | None:
        """The configured zone, or None for the machine's local time."""
        return ZoneInfo(self.timezone) if self.timezone else None

    def group(self, name: str) -> PatrolGroupConfig:
        for group in self.groups:
            if group.name == name:
                return group
        raise KeyError(name)

    def channel_type(self, name: str) -> ChannelType:
        return self.channels[name].type
