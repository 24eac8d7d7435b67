"""The ``camera_offline`` rule (:mod:`alerts.rules.camera_offline`) fed with a live camera's
health, on the monotonic clock; its changes come out with wall-clock times like every other
event's."""

from __future__ import annotations

import time

import cv2
import numpy as np
from numpy.typing import NDArray

from alerts.events import EventChange
from alerts.rules import camera_offline
from streams.health import CameraState

PLACEHOLDER_SIZE = (640, 360)  # (width, height) of the picture used when no frame ever came
_GREY = 48


class OfflineWatch:
    """One camera. Feed :meth:`step` its health every so often; it returns the changes."""

    def __init__(self, camera_id: str, offline_after_s: float):
        if offline_after_s <= 0:
            raise ValueError(f"offline_after_s must be > 0, got {offline_after_s}")
        self.camera_id = camera_id
        self.offline_after_s = offline_after_s
        self._state = camera_offline.OfflineState()

    @property
    def is_open(self) -> bool:
        return self._state.open is not None

    def step(self, state: CameraState, offline_since: float | None) -> list[EventChange]:
        """``offline_since``: Unix time the camera last delivered (or started), while offline."""
        wall, steady = time.time(), time.monotonic()
        offline_for = (
            max(0.0, wall - offline_since)
            if state is CameraState.OFFLINE and offline_since is not None
            else None
        )
        self._state, changes = camera_offline.step(
            self._state,
            self.camera_id,
            state is CameraState.ONLINE,
            offline_for,
            steady,
            self.offline_after_s,
        )
        return [change.shifted(wall - steady) for change in changes]


def placeholder_image(text: str) -> NDArray[np.uint8]:
    """A dark (360, 640, 3) BGR picture saying ``text`` (ASCII), for a camera never seen."""
    width, height = PLACEHOLDER_SIZE
    image = np.full((height, width, 3), _GREY, np.uint8)
    ascii_text = text.encode("ascii", "replace").decode()
    cv2.putText(
        image, ascii_text, (24, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (220, 220, 220), 2
    )
    return image
