"""Per-camera counters the runtime updates and the dashboard and metrics read."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from streams.health import CameraState
from streams.health import HealthSnapshot as StreamHealth
from streams.redact import redact_text

__all__ = ["CameraHealth", "CameraState", "HealthSnapshot"]


@dataclass(frozen=True)
class HealthSnapshot:
    """A consistent copy of one camera's counters. Ages in seconds, rates in frames/s.

    Attributes:
        state: connecting / online / offline (live cameras: as their stream reader sees it).
        input_fps: frames per second the source delivers (live: the camera's own rate;
            files: the rate frames are sampled at).
        frames_in: frames sampled into the pipeline (at the camera's ``detect_fps``).
        frames_dropped: sampled frames replaced before the inference worker took them
            (back-pressure: the worker is behind).
        detections_due: sampled frames the motion gate sent to the detector.
        detections_run: frames the detector actually looked at.
        detections_skipped: sampled frames the motion gate kept from the detector (scene still).
        detector_errors: detector calls that failed on this camera's frames.
        frames_stepped: frames that went through tracking and the rules.
        pipeline_errors: frames whose tracking or rules raised (the pipeline was reset).
        reconnects: reconnect attempts (live cameras).
        last_frame_age_s: seconds since the last frame arrived; None before the first.
        last_error: the latest problem, credentials redacted; None if none.
        offline_since: Unix time the camera was last seen delivering, while offline; else None.
    """

    camera_id: str
    state: CameraState
    input_fps: float
    frames_in: int
    frames_dropped: int
    detections_due: int
    detections_run: int
    detections_skipped: int
    detector_errors: int
    frames_stepped: int
    pipeline_errors: int
    reconnects: int
    last_frame_age_s: float | None
    last_error: str | None
    offline_since: float | None


class CameraHealth:
    """Thread-safe counters for one camera; ``snapshot()`` reads them all at once.

    ``stream`` gives a live camera's reader health (state, rate, reconnects, errors); without it
    (file cameras) those come from :meth:`frame_arrived` and :meth:`went_offline`.
    """

    def __init__(self, camera_id: str, stream: Callable[[], StreamHealth] | None = None):
        self.camera_id = camera_id
        self._stream = stream
        self._lock = threading.Lock()
        self._state = CameraState.CONNECTING
        self._fps = 0.0
        self._frames_in = 0
        self._due = 0
        self._run = 0
        self._skipped = 0
        self._detector_errors = 0
        self._stepped = 0
        self._pipeline_errors = 0
        self._last_frame_at: float | None = None  # wall clock
        self._offline_since: float | None = None
        self._error: str | None = None

    def frame_arrived(self, detect: bool) -> None:
        """A frame was sampled; ``detect`` is the motion gate's decision."""
        now = time.time()
        with self._lock:
            if self._last_frame_at is not None and self._state is CameraState.ONLINE:
                dt = max(now - self._last_frame_at, 1e-6)
                self._fps = 1.0 / dt if self._fps == 0 else 0.9 * self._fps + 0.1 / dt
            self._last_frame_at = now
            self._frames_in += 1
            self._due += int(detect)
            self._skipped += int(not detect)
            self._state = CameraState.ONLINE
            self._offline_since = None

    def due_left_out(self) -> None:
        """A frame was due but the decode plan left it out (the box is over capacity)."""
        with self._lock:
            self._due += 1

    def detection_ran(self) -> None:
        with self._lock:
            self._run += 1

    def frame_stepped(self) -> None:
        with self._lock:
            self._stepped += 1

    def pipeline_failed(self, message: str) -> None:
        with self._lock:
            self._pipeline_errors += 1
            self._error = redact_text(message)

    def detector_failed(self, message: str) -> None:
        with self._lock:
            self._detector_errors += 1
            self._error = redact_text(message)

    def went_offline(self, message: str) -> None:
        """A file camera ended or failed (live cameras report through ``stream``)."""
        with self._lock:
            if self._state is not CameraState.OFFLINE:
                self._offline_since = self._last_frame_at or time.time()
            self._state = CameraState.OFFLINE
            self._fps = 0.0
            self._error = redact_text(message)

    def snapshot(self, frames_dropped: int) -> HealthSnapshot:
        stream = self._stream() if self._stream is not None else None
        now = time.time()
        with self._lock:
            age = None if self._last_frame_at is None else max(0.0, now - self._last_frame_at)
            snapshot = HealthSnapshot(
                camera_id=self.camera_id,
                state=self._state,
                input_fps=round(self._fps, 2),
                frames_in=self._frames_in,
                frames_dropped=frames_dropped,
                detections_due=self._due,
                detections_run=self._run,
                detections_skipped=self._skipped,
                detector_errors=self._detector_errors,
                frames_stepped=self._stepped,
                pipeline_errors=self._pipeline_errors,
                reconnects=0,
                last_frame_age_s=None if age is None else round(age, 3),
                last_error=self._error,
                offline_since=self._offline_since,
            )
        return snapshot if stream is None else _with_stream(snapshot, stream)


def _with_stream(own: HealthSnapshot, stream: StreamHealth) -> HealthSnapshot:
    """A live camera: connection facts from its reader, pipeline counters from ours."""
    offline = stream.state is CameraState.OFFLINE
    error = stream.last_error if offline or own.last_error is None else own.last_error
    age = stream.last_frame_age_s
    return HealthSnapshot(
        camera_id=own.camera_id,
        state=stream.state,
        input_fps=round(stream.input_fps, 2),
        frames_in=own.frames_in,
        frames_dropped=own.frames_dropped,
        detections_due=own.detections_due,
        detections_run=own.detections_run,
        detections_skipped=own.detections_skipped,
        detector_errors=own.detector_errors,
        frames_stepped=own.frames_stepped,
        pipeline_errors=own.pipeline_errors,
        reconnects=stream.reconnects,
        last_frame_age_s=None if age is None else round(age, 3),
        last_error=error,
        offline_since=stream.offline_since,
    )
