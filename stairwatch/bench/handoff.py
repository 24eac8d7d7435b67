"""Alert latency through the real notification path: the store's outbox hook, the outbox, one
dispatcher thread, and an in-process channel that notes when each new alert is handed to it."""

from __future__ import annotations

import threading
import time

from alerts.events import EventChange
from alerts.notices import Delivery
from alerts.notify_config import NotificationsConfig
from alerts.store import EventStore
from stairwatch.runtime.delivery import DeliveryService

CHANNEL = "bench"


class HandoffChannel:
    """A channel that sends nothing: it records, per new event, the seconds from the capture of
    the frame on which the rule fired (``alert_ts``) to the hand-off."""

    name = CHANNEL

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latencies: list[float] = []

    def send(self, delivery: Delivery) -> None:
        notice = delivery.notice
        if notice.feed_type != "new":
            return
        now = time.time()
        with self._lock:
            self._latencies.extend(now - brief.alert_ts for brief in notice.events)

    def close(self) -> None:
        pass

    def latencies(self) -> list[float]:
        with self._lock:
            return list(self._latencies)


def bench_notifications() -> NotificationsConfig:
    """One group watching every building through one feed channel (every event, at once)."""
    return NotificationsConfig.model_validate(
        {
            "channels": {CHANNEL: {"type": "mqtt", "host": "localhost"}},
            "groups": [{"name": CHANNEL, "buildings": ["*"], "channels": [CHANNEL]}],
            "daily_summary_at": None,
        }
    )


class AlertClock:
    """Times every raised event: to stored (the service's hook) and to handed to the channel."""

    def __init__(self, store: EventStore) -> None:
        self.channel = HandoffChannel()
        self._delivery = DeliveryService(
            bench_notifications(), store, channels={CHANNEL: self.channel}
        )
        store.add_change_hook(self._delivery.outbox.on_event_change)
        self._lock = threading.Lock()
        self._stored: list[float] = []

    def start(self) -> None:
        self._delivery.start(schedule=False)

    def stop(self) -> None:
        self._delivery.stop()

    def stored(self, change: EventChange) -> None:
        """The service's ``on_raised`` hook (called once the event and snapshot are stored)."""
        with self._lock:
            self._stored.append(time.time() - change.event.alert_ts)

    def stored_latencies(self) -> list[float]:
        with self._lock:
            return list(self._stored)
