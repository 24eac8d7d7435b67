"""Per-camera health: a pure state machine fed by the reader, and the typed snapshot it gives."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from streams.redact import redact_text


class CameraState(StrEnum):
    CONNECTING = "connecting"  # started, no frame yet and no failure yet
    ONLINE = "online"  # new frames are arriving
    OFFLINE = "offline"  # the last open, read or stall check failed; reconnecting


@dataclass(frozen=True)
class HealthSnapshot:
    """One camera's health at ``taken_at``.

    Attributes:
        camera_id: the camera.
        state: connecting / online / offline.
        input_fps: new frames per second (exponential moving average); 0.0 unless online.
        frames_received: new frames since the source started (duplicates not counted).
        frames_dropped: frames replaced before the consumer took them.
        last_frame_age_s: seconds since the last new frame; None before the first.
        reconnects: connection attempts after the first one.
        last_error: the latest failure, credentials redacted; None if none yet.
        offline_since: wall-clock time (Unix seconds) the camera was last seen delivering
            (or the source started, if it never did); None unless offline.
        taken_at: wall-clock time of the snapshot.
    """

    camera_id: str
    state: CameraState
    input_fps: float
    frames_received: int
    frames_dropped: int
    last_frame_age_s: float | None
    reconnects: int
    last_error: str | None
    offline_since: float | None
    taken_at: float


class HealthTracker:
    """Explicit state; every method takes the wall-clock time ``now`` in Unix seconds."""

    def __init__(self, camera_id: str, started_at: float, fps_smoothing: float = 0.1) -> None:
        self.camera_id = camera_id
        self._started_at = started_at
        self._alpha = fps_smoothing
        self._state = CameraState.CONNECTING
        self._attempts = 0
        self._received = 0
        self._dropped = 0
        self._last_frame_at: float | None = None
        self._interval_s: float | None = None  # EMA of the gap between new frames
        self._in_session = False  # a previous frame of this connection exists
        self._last_error: str | None = None
        self._offline_since: float | None = None

    @property
    def state(self) -> CameraState:
        return self._state

    def connecting(self) -> None:
        """A connection attempt begins (the first one, or a reconnect)."""
        self._attempts += 1
        self._in_session = False

    def frame(self, now: float, replaced_untaken: bool = False) -> None:
        """A new (not duplicate) frame arrived; ``replaced_untaken``: it overwrote one not taken."""
        if self._in_session and self._last_frame_at is not None:
            gap = max(now - self._last_frame_at, 1e-6)
            ema = self._interval_s
            self._interval_s = gap if ema is None else ema + self._alpha * (gap - ema)
        self._in_session = True
        self._received += 1
        self._dropped += int(replaced_untaken)
        self._last_frame_at = now
        self._state = CameraState.ONLINE
        self._offline_since = None

    def failed(self, now: float, error: str) -> None:
        """Opening, reading or the stall watchdog failed; the reader will reconnect."""
        del now  # offline_since dates from the last frame, not from when the failure surfaced
        self._last_error = redact_text(error)
        self._in_session = False
        if self._state is not CameraState.OFFLINE:
            self._state = CameraState.OFFLINE
            self._offline_since = self._last_frame_at or self._started_at

    def snapshot(self, now: float) -> HealthSnapshot:
        online = self._state is CameraState.ONLINE
        fps = 1.0 / self._interval_s if online and self._interval_s else 0.0
        age = None if self._last_frame_at is None else max(0.0, now - self._last_frame_at)
        return HealthSnapshot(
            camera_id=self.camera_id,
            state=self._state,
            input_fps=fps,
            frames_received=self._received,
            frames_dropped=self._dropped,
            last_frame_age_s=age,
            reconnects=max(0, self._attempts - 1),
            last_error=self._last_error,
            offline_since=self._offline_since,
            taken_at=now,
        )
