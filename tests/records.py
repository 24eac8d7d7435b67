"""Event records for store, dashboard and patroller tests: one e-bike parked 30 s before alert."""

from __future__ import annotations

from alerts.events import Box, EventRecord, EventType, Severity

EVENT_BOX = Box(0.3, 0.3, 0.6, 0.9)


def parked_record(
    key: str, camera_id: str, zone: str, alert_ts: float, type_: EventType
) -> EventRecord:
    """A high-severity record with track 1, confidence 0.9, start 30 s before ``alert_ts``."""
    return EventRecord(
        key=key,
        camera_id=camera_id,
        zone=zone,
        type=type_,
        severity=Severity.HIGH,
        track_id=1,
        confidence=0.9,
        start_ts=alert_ts - 30,
        alert_ts=alert_ts,
        box=EVENT_BOX,
        details=("dwell 30 s",),
    )
