"""On-site responses (the ``notifications.responses`` list): devices told at once when an event
starts and ends on chosen cameras, e.g. an elevator controller's relay that holds the doors open
while an e-bike is in the car, or an IP speaker that plays "请将电动车推出电梯".

Each response sends its ``start`` action when a matching event is raised and its ``end`` action
(optional) when that event ends. An action is one HTTP request or one MQTT publish; its URL,
body, topic and payload may name event fields as ``{placeholder}`` (:data:`PLACEHOLDERS`).
Templates are checked when the configuration loads, without sending anything.
"""

from __future__ import annotations

import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from alerts.events import EventType
from alerts.urls import check_outgoing_url

PLACEHOLDERS: dict[str, str] = {
    "event_id": "the event's id",
    "event_type": "ebike_in_elevator, flying_wire, ...",
    "severity": "info, high or critical",
    "camera_id": "the camera's id",
    "camera_name": "the camera's name",
    "building": "the camera's building",
    "floor": "the camera's floor",
    "zone": "the zone's name (empty when the event has none)",
    "phase": "start or end",
}
LITERAL_BRACES = " (write literal braces as {{ and }}, as in JSON bodies)"
RESPONSE_CHANNEL_PREFIX = "response:"
"""Outbox rows of a response go to the channel ``response:<name>`` (not a configurable name)."""


def check_template(template: str) -> str:
    """``template`` if every ``{name}`` in it is a known placeholder; ValueError otherwise.

    Literal braces are written ``{{`` and ``}}`` (JSON bodies need them)."""
    try:
        fields = {
            f for _text, f, _spec, _conv in string.Formatter().parse(template) if f is not None
        }
    except ValueError as exc:
        # Not the template itself: a URL or body may carry a device's password.
        raise ValueError(f"{exc}{LITERAL_BRACES}") from None
    unknown = sorted(fields - PLACEHOLDERS.keys())
    if unknown:
        hint = "" if all(f.isidentifier() for f in unknown) else LITERAL_BRACES
        raise ValueError(
            f"unknown placeholder(s) {', '.join('{' + f + '}' for f in unknown)}{hint}; "
            f"known: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}"
        )
    return template


def fill(template: str, values: dict[str, str]) -> str:
    """``template`` with its placeholders replaced (checked by :func:`check_template`)."""
    return template.format_map(values)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HttpAction(_Strict):
    """One HTTP request. The URL may carry a token, so it is a secret; a device's password goes
    in a header (a URL with ``user:password@`` is refused)."""

    url: SecretStr
    method: Literal["POST", "PUT", "GET"] = "POST"
    body: str = Field("", description="template; sent with POST and PUT")
    content_type: str = "application/json"
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    timeout_s: float = Field(3.0, gt=0, le=60)

    @field_validator("url")
    @classmethod
    def _url(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        check_outgoing_url(url)
        check_template(url)
        return value

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        return check_template(value)


class MqttAction(_Strict):
    """One MQTT publish through the broker of an ``mqtt`` channel (QoS 1)."""

    channel: str = Field(min_length=1, description="an mqtt channel of notifications.channels")
    topic: str = Field(min_length=1, description="template")
    payload: str = Field("", description="template")
    retain: bool = False

    @field_validator("topic", "payload")
    @classmethod
    def _template(cls, value: str) -> str:
        return check_template(value)


class ResponseAction(_Strict):
    """Exactly one of ``http`` and ``mqtt``."""

    http: HttpAction | None = None
    mqtt: MqttAction | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ResponseAction:
        if (self.http is None) == (self.mqtt is None):
            raise ValueError("an action is either `http` or `mqtt`, exactly one of them")
        return self


class ResponseConfig(_Strict):
    """What to tell which device when an event of ``types`` starts (and ends) on ``cameras``."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    cameras: list[str] = Field(min_length=1)
    zones: list[str] | None = Field(None, description="only events in these zones (default: any)")
    types: list[EventType] = Field(default_factory=lambda: [EventType.EBIKE_IN_ELEVATOR])
    start: ResponseAction
    end: ResponseAction | None = None
    give_up_after_s: float = Field(
        30.0,
        gt=0,
        description="a start action not delivered this long after the event was raised is "
        "dropped: a door held or an announcement played later would only confuse",
    )

    @field_validator("types")
    @classmethod
    def _some_types(cls, value: list[EventType]) -> list[EventType]:
        if not value:
            raise ValueError("name at least one event type")
        return value

    @property
    def channel(self) -> str:
        return RESPONSE_CHANNEL_PREFIX + self.name

    def mqtt_channels(self) -> list[str]:
        """The mqtt channels its actions publish through."""
        actions = [self.start, *([self.end] if self.end else [])]
        return [a.mqtt.channel for a in actions if a.mqtt is not None]

    def matches(self, event_type: EventType, camera_id: str, zone: str | None) -> bool:
        in_zone = self.zones is None or (zone is not None and zone in self.zones)
        return event_type in self.types and camera_id in self.cameras and in_zone
