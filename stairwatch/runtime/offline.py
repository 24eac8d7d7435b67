"""``camera_offline`` events: raised once a camera has delivered nothing for ``offline_after_s``,
ended when it delivers again. Explicit state, the wall clock passed in."""

from __future__ import annotations

import time
from dataclasses import replace

import cv2
import numpy as np
from numpy.typing import NDArray

from alerts.events import ChangeKind, EventChange, EventRecord, EventType, Severity
from streams.health import CameraState

PLACEHOLDER_SIZE = (640, 360)  # (width, height) of the picture used when no frame ever came
_GREY = 48


class OfflineWatch:
    """One camera. Feed :meth:`step` its health every so often; it returns the change, if any."""

    def __init__(self, camera_id: str, offline_after_s: float):
        if offline_after_s <= 0:
            raise ValueError(f"offline_after_s must be > 0, got {offline_after_s}")
        self.camera_id = camera_id
        self.offline_after_s = offline_after_s
        self._open: EventRecord | None = None
        self._raised = 0

    @property
    def is_open(self) -> bool:
        return self._open is not None

    def step(
        self, state: CameraState, offline_since: float | None, now: float
    ) -> EventChange | None:
        """``offline_since``: Unix time the camera last delivered (or started), while offline."""
        if state is CameraState.ONLINE and self._open is not None:
            ended = replace(self._open, end_ts=now)
            self._open = None
            return EventChange(ChangeKind.ENDED, ended)
        if state is not CameraState.OFFLINE or offline_since is None or self._open is not None:
            return None
        if now - offline_since < self.offline_after_s:
            return None
        self._raised += 1
        self._open = EventRecord(
            key=f"{self.camera_id}:offline:{self._raised}",
            camera_id=self.camera_id,
            zone=None,
            type=EventType.CAMERA_OFFLINE,
            severity=Severity.HIGH,
            track_id=None,
            confidence=1.0,
            start_ts=offline_since,
            alert_ts=now,
            details=(
                f"no picture since {time.strftime('%H:%M:%S', time.localtime(offline_since))}",
            ),
        )
        return EventChange(ChangeKind.RAISED, self._open)


def _clock_time(unix_s: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(unix_s))


def placeholder_image(text: str) -> NDArray[np.uint8]:
    """A dark (360, 640, 3) BGR picture saying ``text`` (ASCII), for a camera never seen."""
    width, height = PLACEHOLDER_SIZE
    image = np.full((height, width, 3), _GREY, np.uint8)
    ascii_text = text.encode("ascii", "replace").decode()
    cv2.putText(
        image, ascii_text, (24, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (220, 220, 220), 2
    )
    return image
