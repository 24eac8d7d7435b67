"""The channel of one on-site response: its start or end action, an HTTP request or an MQTT
publish, for each outbox row the routing planned (:func:`alerts.routing.plan_responses`).

Order matters to a relay: a start action that failed and is retried must never switch it on
after the end action switched it off. So a start is dropped when its event's end action was
already delivered, or when it is older than ``give_up_after_s``.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from urllib.parse import quote

from alerts.channels.base import IDEMPOTENCY_HEADER
from alerts.channels.http import send
from alerts.channels.mqtt import MqttSender
from alerts.errors import DeliveryRefused
from alerts.notices import Delivery, EventBrief
from alerts.notify_config import MqttChannel
from alerts.response_config import ResponseAction, ResponseConfig, fill

ENDED_MEMORY = 1000  # event ids whose end went out, remembered to drop their late starts


def template_values(brief: EventBrief, phase: str) -> dict[str, str]:
    """The values of :data:`alerts.response_config.PLACEHOLDERS` for one event."""
    return {
        "event_id": brief.id,
        "event_type": brief.type.value,
        "severity": brief.severity.value,
        "camera_id": brief.camera_id,
        "camera_name": brief.camera_name,
        "building": brief.building,
        "floor": brief.floor,
        "zone": brief.zone or "",
        "phase": phase,
    }


class ResponseSender:
    """Sends one response's actions. Used by its channel's single dispatcher thread."""

    def __init__(
        self,
        config: ResponseConfig,
        brokers: dict[str, MqttChannel],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = config.channel
        self._config = config
        self._clock = clock
        self._mqtt = {
            channel: MqttSender(
                self.name,
                # Its own client id: a broker drops a client when another connects as it.
                brokers[channel].model_copy(
                    update={"client_id": f"{brokers[channel].client_id}-{config.name}"}
                ),
            )
            for channel in config.mqtt_channels()
        }
        self._ended: deque[str] = deque(maxlen=ENDED_MEMORY)

    def send(self, delivery: Delivery) -> None:
        notice = delivery.notice
        if notice.feed_type not in ("new", "end") or not notice.events:
            raise DeliveryRefused(f"a response takes start and end notices, not {notice.title}")
        brief = notice.events[0]
        if notice.feed_type == "end":
            if self._config.end is not None:
                self._act(self._config.end, brief, "end", delivery.idempotency_key)
            self._ended.append(brief.id)
            return
        if brief.id in self._ended:
            raise DeliveryRefused("start dropped: the event's end action went out first")
        late_s = self._clock() - notice.created_at
        if late_s > self._config.give_up_after_s:
            raise DeliveryRefused(
                f"start dropped: {late_s:.0f} s after the event, more than give_up_after_s "
                f"({self._config.give_up_after_s:g} s)"
            )
        self._act(self._config.start, brief, "start", delivery.idempotency_key)

    def close(self) -> None:
        for sender in self._mqtt.values():
            sender.close()

    def _act(self, action: ResponseAction, brief: EventBrief, phase: str, key: str) -> None:
        values = template_values(brief, phase)
        if action.mqtt is not None:
            mqtt = action.mqtt
            payload = fill(mqtt.payload, values).encode()
            self._mqtt[mqtt.channel].publish(fill(mqtt.topic, values), payload, mqtt.retain)
            return
        http = action.http
        assert http is not None  # ResponseAction holds exactly one
        headers = {name: value.get_secret_value() for name, value in http.headers.items()}
        headers[IDEMPOTENCY_HEADER] = key
        body = None
        if http.method != "GET":
            body = fill(http.body, values).encode()
            headers.setdefault("Content-Type", http.content_type)
        url = fill(http.url.get_secret_value(), {k: quote(v, safe="") for k, v in values.items()})
        send(http.method, url, body, headers, http.timeout_s)
