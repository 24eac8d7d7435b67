"""A camera provider with canned statuses and pictures, for dashboard tests."""

from __future__ import annotations

import cv2
import numpy as np

from dashboard.schemas import CameraState, CameraStatus


class Cameras:
    """Two cameras: the stairwell has a picture, the lift has sent nothing yet."""

    def camera_statuses(self) -> list[CameraStatus]:
        return [
            CameraStatus(id="cam-3f", name="3F 楼梯间", state=CameraState.ONLINE, fps=2.0),
            CameraStatus(id="cam-lift", name="Lift 2", state=CameraState.CONNECTING),
        ]

    def latest_picture(self, camera_id: str) -> bytes | None:
        if camera_id != "cam-3f":
            return None
        ok, jpeg = cv2.imencode(".jpg", np.full((180, 320, 3), 90, np.uint8))
        assert ok
        return jpeg.tobytes()
