"""A camera provider with canned statuses, pictures and zones, for dashboard tests."""

from __future__ import annotations

import cv2
import numpy as np

from dashboard.schemas import CameraState, CameraStatus, MaskOutline, ServiceHealth, ZoneOutline


class Cameras:
    """Two cameras: the stairwell has a picture, a landing zone and a privacy mask over a door,
    the lift has sent nothing yet and has no zones; the service behind them is healthy."""

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

    def camera_zones(self, camera_id: str) -> list[ZoneOutline] | None:
        if camera_id == "cam-3f":
            landing = [(0.05, 0.55), (0.95, 0.55), (0.95, 1.0), (0.05, 1.0)]
            return [ZoneOutline(name="landing", kind="no_parking", polygon=landing)]
        return [] if camera_id == "cam-lift" else None

    def camera_privacy_masks(self, camera_id: str) -> list[MaskOutline]:
        if camera_id == "cam-3f":
            door = [(0.6, 0.05), (0.9, 0.05), (0.9, 0.45), (0.6, 0.45)]
            return [MaskOutline(name="door 301", polygon=door)]
        return []

    def service_health(self) -> ServiceHealth:
        return ServiceHealth(
            status="ok", problems=[], thread_restarts={}, recorder_queued=0, recorder_dropped=0
        )
