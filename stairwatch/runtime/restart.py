"""Events left open by a crash or a stop: ended at start, and not alerted twice.

Policy: when the service starts, every event of this node's cameras that has no end yet is
ended at once, with the audit note ``service restarted``. Ending it sends its end actions
through the outbox like any end (the end notice to the groups that got the alert, the on-site
responses' end call: a held elevator door is released). The rules then learn the scene afresh.
If they raise an event of the same camera, type and zone within that type's *quiet window*
after the start (the time the rule needs to raise it again, plus a start-up margin), it is
taken for the same condition found again: it is not stored and not alerted a second time
(logged only); one ended event quiets at most one new one.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from alerts.events import EventRecord, EventType
from alerts.params import RuleParams
from alerts.store import EventStore

log = logging.getLogger(__name__)

RESTART_REASON = "service restarted"
STARTUP_MARGIN_S = 60.0  # model load, reconnects and the first detections after a start


def raise_after_s(params: RuleParams, event_type: EventType, offline_after_s: float) -> float:
    """Seconds the rule of ``event_type`` needs, from a fresh start, to raise it."""
    if event_type is EventType.EBIKE_PARKED:
        return params.ebike_parked.dwell_s + params.ebike_parked.rest_window_s
    if event_type is EventType.EBIKE_IN_ELEVATOR:
        return params.ebike_in_elevator.min_s
    if event_type is EventType.FLYING_WIRE:
        return params.flying_wire.persist_s
    if event_type is EventType.SHED_INTRUSION:
        return params.shed_intrusion.min_s
    if event_type is EventType.EXIT_BLOCKED:
        return params.exit_blocked.dwell_s + params.exit_blocked.rest_window_s
    if event_type is EventType.SMOKE_FIRE:
        return params.smoke_fire.window_s
    if event_type is EventType.CAMERA_TAMPERED:
        return params.camera_tampered.learn_s + params.camera_tampered.after_s
    return offline_after_s


@dataclass(frozen=True)
class EndedAtStart:
    """An event ended at start; a new one like it before ``until`` (monotonic) is quieted."""

    camera_id: str
    type: EventType
    zone: str | None
    until: float


class RestartQuiet:
    """The events ended at start, consumed one by one by :meth:`absorbs`. Thread-safe."""

    def __init__(self, ended: list[EndedAtStart]):
        self._ended = list(ended)
        self._lock = threading.Lock()

    def absorbs(self, event: EventRecord, now: float) -> bool:
        """Whether ``event`` (just raised) is a condition ended at start, found again in time."""
        with self._lock:
            for i, ended in enumerate(self._ended):
                same = (ended.camera_id, ended.type, ended.zone) == (
                    event.camera_id,
                    event.type,
                    event.zone,
                )
                if same and now < ended.until:
                    del self._ended[i]
                    return True
            return False


def end_open_events(
    store: EventStore, windows: dict[str, dict[EventType, float]], now: float | None = None
) -> RestartQuiet:
    """End the unended events of the cameras in ``windows`` (camera -> type -> quiet window,
    seconds); returns what they quiet. ``now``: Unix time of the end (default: the clock)."""
    wall, steady = time.time() if now is None else now, time.monotonic()
    ended = []
    for event in store.unended(list(windows)):
        store.record_end(event.id, max(wall, event.alert_ts), RESTART_REASON)
        window = windows[event.camera_id].get(event.type, 0.0) + STARTUP_MARGIN_S
        ended.append(EndedAtStart(event.camera_id, event.type, event.zone, steady + window))
        log.warning("event %s (%s on %s) ended: %s", event.id, event.type, event.camera_id,
                    RESTART_REASON)  # fmt: skip
    return RestartQuiet(ended)
