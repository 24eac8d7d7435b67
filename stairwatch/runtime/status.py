"""The service's camera health as the dashboard's camera statuses."""

from __future__ import annotations

from dashboard.schemas import (
    CameraStatus,
    HealthProblemOut,
    MaskOutline,
    ServiceHealth,
    ZoneOutline,
)
from stairwatch.config import CameraConfig
from stairwatch.media.errors import ClipError
from stairwatch.media.ring import compress
from stairwatch.runtime.service import Service

LIVE_MAX_WIDTH = 640
LIVE_JPEG_QUALITY = 75


class ServiceCameraStatuses:
    """Implements the dashboard's camera-status, service-health, picture and zone providers over
    a running :class:`Service`."""

    def __init__(self, service: Service):
        self._service = service

    def camera_statuses(self) -> list[CameraStatus]:
        statuses = []
        rates = self._service.detection_rates()
        for health in self._service.health():
            camera = self._service.camera(health.camera_id)
            rate = rates.get(health.camera_id)
            statuses.append(
                CameraStatus(
                    id=camera.id,
                    name=camera.display_name,
                    building=camera.building,
                    floor=camera.floor,
                    state=health.state.value,
                    fps=health.input_fps,
                    last_frame_age_s=health.last_frame_age_s,
                    frames_dropped=health.frames_dropped,
                    reconnects=health.reconnects,
                    detections_run=health.detections_run,
                    detections_skipped=health.detections_skipped,
                    detector_errors=health.detector_errors,
                    detections_per_s=None if rate is None else rate.detections_per_s,
                    due_share=None if rate is None else rate.due_share,
                    last_error=health.last_error,
                )
            )
        return statuses

    def service_health(self) -> ServiceHealth:
        problems = self._service.problems()
        stats = self._service.recorder.stats()
        return ServiceHealth(
            status="degraded" if problems else "ok",
            problems=[HealthProblemOut(subject=p.subject, message=p.message) for p in problems],
            thread_restarts={t.name: t.restarts for t in self._service.thread_health()},
            recorder_queued=stats.queued,
            recorder_dropped=stats.dropped,
        )

    def latest_picture(self, camera_id: str) -> bytes | None:
        image = self._service.latest_image(camera_id)
        if image is None:
            return None
        try:
            return compress(image, LIVE_MAX_WIDTH, LIVE_JPEG_QUALITY)
        except ClipError:
            return None

    def camera_zones(self, camera_id: str) -> list[ZoneOutline] | None:
        try:
            camera = self._service.camera(camera_id)
        except KeyError:
            return None
        return zone_outlines(camera)

    def camera_privacy_masks(self, camera_id: str) -> list[MaskOutline]:
        try:
            camera = self._service.camera(camera_id)
        except KeyError:
            return []
        return mask_outlines(camera)


def zone_outlines(camera: CameraConfig) -> list[ZoneOutline]:
    """The camera's configured zones, as the zone page draws them."""
    return [
        ZoneOutline(name=z.name, kind=z.kind.value, polygon=[(x, y) for x, y in z.polygon])
        for z in camera.zones
    ]


def mask_outlines(camera: CameraConfig) -> list[MaskOutline]:
    """The camera's configured privacy masks, as the zone page draws them."""
    return [
        MaskOutline(name=m.name, polygon=list(m.polygon), detect_through=m.detect_through)
        for m in camera.privacy_masks
    ]
