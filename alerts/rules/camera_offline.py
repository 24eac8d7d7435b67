"""camera_offline: a camera that has delivered nothing for ``offline_after_s`` -> high; ENDED
when it delivers again. One event per outage, keyed like every other event (``event_key``).
Explicit state; times on the caller's steady clock (the runtime: monotonic)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from alerts.events import ChangeKind, Detail, EventChange, EventRecord, EventType, Severity
from alerts.rules.lifecycle import event_key


@dataclass(frozen=True)
class OfflineState:
    """The open outage event, if any, and how many were raised (numbers the keys)."""

    open: EventRecord | None = None
    raised: int = 0


def step(
    state: OfflineState,
    camera_id: str,
    online: bool,
    offline_for_s: float | None,
    now: float,
    offline_after_s: float,
) -> tuple[OfflineState, list[EventChange]]:
    """Advance on one look at the camera's health.

    Args:
        online: frames arrive.
        offline_for_s: seconds since the camera last delivered, while it is offline; None while
            it is not known to be offline (online, or still connecting).
        now: the time of this look, on the steady clock.
        offline_after_s: how long an outage lasts before it is an event (> 0).
    """
    if online:
        if state.open is None:
            return state, []
        ended = replace(state.open, end_ts=now)
        return replace(state, open=None), [EventChange(ChangeKind.ENDED, ended)]
    if state.open is not None or offline_for_s is None or offline_for_s < offline_after_s:
        return state, []
    number = state.raised + 1
    record = EventRecord(
        key=event_key(camera_id, EventType.CAMERA_OFFLINE, None, number),
        camera_id=camera_id,
        zone=None,
        type=EventType.CAMERA_OFFLINE,
        severity=Severity.HIGH,
        track_id=None,
        confidence=1.0,
        start_ts=now - offline_for_s,
        alert_ts=now,
        details=(Detail.NO_PICTURE,),
    )
    return OfflineState(record, number), [EventChange(ChangeKind.RAISED, record)]
