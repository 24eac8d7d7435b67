"""MQTT feed (paho-mqtt 2.x): every event change on ``<prefix>/events``, Frigate-style.

Payload: ``{"type": "new"|"update"|"end", "before": {...}, "after": {...},
"idempotency_key": ...}``, QoS 1, not retained. The client keeps one connection and runs its
network loop by hand inside :meth:`MqttSender.send` (no background thread), reconnecting after
any failure. With ``tls: true`` the connection is TLS, the broker's certificate checked against
the system's CAs or ``ca_file``; without it, a broker beyond this machine is warned about at start
(every message carries a patrol link).
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from alerts.channels.failures import describe
from alerts.channels.http import json_body
from alerts.errors import DeliveryRefused, NotifierError
from alerts.notices import Delivery, EventBrief
from alerts.notify_config import MqttChannel
from alerts.urls import is_loopback

log = logging.getLogger(__name__)

LOOP_STEP_S = 0.05


def frigate_event(brief: EventBrief) -> dict[str, Any]:
    """An event in the shape of Frigate's MQTT events (plus stairwatch's own fields)."""
    box = brief.box
    zones = [brief.zone] if brief.zone else []
    return {
        "id": brief.id,
        "camera": brief.camera_id,
        "camera_name": brief.camera_name,
        "label": brief.type.value,
        "sub_label": None,
        "severity": brief.severity.value,
        "status": brief.status.value,
        "building": brief.building,
        "floor": brief.floor,
        "start_time": brief.start_ts,
        "end_time": brief.end_ts,
        "top_score": brief.confidence,
        "score": brief.confidence,
        "box": None if box is None else [box.x1, box.y1, box.x2, box.y2],
        "current_zones": zones if brief.end_ts is None else [],
        "entered_zones": zones,
        "has_snapshot": True,
        "has_clip": False,
        "false_positive": False,
        "details": list(brief.details),
        "link": brief.link,
        "snapshot_url": brief.snapshot_url,
    }


def feed_payload(delivery: Delivery) -> dict[str, Any]:
    notice = delivery.notice
    if notice.feed_type is None or not notice.events:
        raise DeliveryRefused(f"MQTT takes feed notices only, not {notice.kind.value}")
    after = notice.events[0]
    before = notice.before if notice.before is not None else after
    return {
        "type": notice.feed_type,
        "before": frigate_event(before),
        "after": frigate_event(after),
        "idempotency_key": delivery.idempotency_key,
    }


class MqttSender:
    def __init__(self, name: str, config: MqttChannel) -> None:
        self.name = name
        self._config = config
        if not config.tls and not is_loopback(config.host):
            log.warning(
                "MQTT channel %s reaches %s without TLS: every feed message carries a patrol "
                "link anyone on the way can read; set tls: true",
                name,
                config.host,
            )
        self._client: mqtt.Client | None = None
        self._connected = False
        self._refused: str | None = None

    @property
    def topic(self) -> str:
        return f"{self._config.topic_prefix.rstrip('/')}/events"

    def send(self, delivery: Delivery) -> None:
        self.publish(self.topic, json_body(feed_payload(delivery)))

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        """Publish at QoS 1 and wait for the broker's PUBACK (``timeout_s``)."""
        deadline = time.monotonic() + self._config.timeout_s
        client = self._connected_client(deadline)
        info = client.publish(topic, payload, qos=1, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            self._reset()
            raise NotifierError(f"MQTT publish failed: {mqtt.error_string(info.rc)}")
        while not info.is_published():
            self._step(client, deadline, "waiting for PUBACK")

    def close(self) -> None:
        self._reset()

    def _connected_client(self, deadline: float) -> mqtt.Client:
        if self._client is not None and self._connected:
            return self._client
        self._reset()
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self._config.client_id,
            protocol=mqtt.MQTTv311,
        )
        if self._config.tls:
            client.tls_set_context(ssl.create_default_context(cafile=self._config.ca_file))
        if self._config.username:
            password = self._config.password.get_secret_value() if self._config.password else None
            client.username_pw_set(self._config.username, password)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        self._client = client
        where = f"{self._config.host}:{self._config.port}"
        try:
            client.connect(self._config.host, self._config.port, keepalive=60)
        except (OSError, ValueError) as exc:
            self._reset()
            raise NotifierError(f"cannot reach MQTT broker {where}: {describe(exc)}") from None
        while not self._connected:
            if self._refused is not None:
                reason = self._refused
                self._reset()
                raise DeliveryRefused(f"MQTT broker {where} refused the connection: {reason}")
            self._step(client, deadline, "connecting")
        return client

    def _step(self, client: mqtt.Client, deadline: float, doing: str) -> None:
        if time.monotonic() > deadline:
            self._reset()
            raise NotifierError(f"MQTT timed out {doing}")
        rc = client.loop(timeout=LOOP_STEP_S)
        if rc != mqtt.MQTT_ERR_SUCCESS:
            self._reset()
            raise NotifierError(f"MQTT connection lost while {doing}: {mqtt.error_string(rc)}")

    def _on_connect(
        self, _client: Any, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        if reason.is_failure:
            self._refused = str(reason)
        else:
            self._connected = True

    def _on_disconnect(self, *_args: Any) -> None:
        self._connected = False

    def _reset(self) -> None:
        if self._client is not None:
            with contextlib.suppress(OSError, ValueError):
                self._client.disconnect()
            self._client = None
        self._connected = False
        self._refused = None
