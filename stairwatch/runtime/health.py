"""Per-camera counters the runtime updates and the dashboard and metrics read."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from enum import StrEnum


class CameraState(StrEnum):
    CONNECTING = "connecting"
    ONLINE = "online"
    OFFLINE = "offline"


@dataclass(frozen=True)
class HealthSnapshot:
    """A consistent copy of one camera's counters. Ages and rates in seconds and frames/s."""

    camera_id: str
    state: CameraState
    input_fps: float
    frames_in: int
    frames_dropped: int
    detections_run: int
    detections_skipped: int
    detector_errors: int
    reconnects: int
    last_frame_age_s: float | None
    last_error: str | None


class CameraHealth:
    """Thread-safe counters for one camera; ``snapshot()`` reads them all at once."""

    def __init__(self, camera_id: str):
        self.camera_id = camera_id
        self._lock = threading.Lock()
        self._state = CameraState.CONNECTING
        self._fps = 0.0
        self._frames_in = 0
        self._detections_run = 0
        self._detections_skipped = 0
        self._detector_errors = 0
        self._reconnects = 0
        self._last_frame_at: float | None = None
        self._last_error: str | None = None
        self.dropped_counter: int = 0

    def frame_arrived(self) -> None:
        now = time.monotonic()
        with self._lock:
            if self._last_frame_at is not None:
                dt = max(now - self._last_frame_at, 1e-6)
                self._fps = 1.0 / dt if self._fps == 0 else 0.9 * self._fps + 0.1 / dt
            self._last_frame_at = now
            self._frames_in += 1
            self._state = CameraState.ONLINE

    def detected(self, ran: bool) -> None:
        with self._lock:
            if ran:
                self._detections_run += 1
            else:
                self._detections_skipped += 1

    def detector_failed(self, message: str) -> None:
        with self._lock:
            self._detector_errors += 1
            self._last_error = message

    def went_offline(self, message: str) -> None:
        with self._lock:
            self._state = CameraState.OFFLINE
            self._last_error = message

    def reconnecting(self) -> None:
        with self._lock:
            self._reconnects += 1
            self._state = CameraState.CONNECTING

    def snapshot(self, frames_dropped: int) -> HealthSnapshot:
        with self._lock:
            age = None if self._last_frame_at is None else time.monotonic() - self._last_frame_at
            return HealthSnapshot(
                camera_id=self.camera_id,
                state=self._state,
                input_fps=round(self._fps, 2),
                frames_in=self._frames_in,
                frames_dropped=frames_dropped,
                detections_run=self._detections_run,
                detections_skipped=self._detections_skipped,
                detector_errors=self._detector_errors,
                reconnects=self._reconnects,
                last_frame_age_s=None if age is None else round(age, 3),
                last_error=self._last_error,
            )
