"""The running service as seen from a dashboard in another process: its cameras, health, metrics
and live pictures read from the run directory (:mod:`stairwatch.runtime.run_dir`), its zones
and masks from the configuration. A status older than :data:`STALE_S` means the service is not
running (or hangs): its cameras show offline and its health says so."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from dashboard.schemas import (
    CameraState,
    CameraStatus,
    HealthProblemOut,
    MaskOutline,
    ServiceHealth,
    ZoneOutline,
)
from stairwatch.config import CameraConfig
from stairwatch.runtime.run_dir import PUBLISH_PERIOD_S, PublishedStatus, RunDir
from stairwatch.runtime.status import mask_outlines, zone_outlines

log = logging.getLogger(__name__)

STALE_S = 5 * PUBLISH_PERIOD_S
PICTURE_STALE_S = 10.0  # an older picture file is from a camera no longer published
PICTURE_WAIT_S = 2.0  # the first ask waits this long for the service to write a picture
PICTURE_POLL_S = 0.1
WANT_TOUCH_S = 1.0  # ``live/wanted`` is touched at most this often


class RunView:
    """The dashboard's camera-status, service-health, picture and zone providers, and its
    ``metrics()``, over ``run_dir`` and the configured ``cameras``. Thread-safe."""

    def __init__(
        self,
        run_dir: RunDir,
        cameras: Sequence[CameraConfig],
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._run_dir = run_dir
        self._cameras = {c.id: c for c in cameras}
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._cached: tuple[int, PublishedStatus] | None = None  # (file mtime in ns, status)
        self._touched_at = -WANT_TOUCH_S

    def camera_statuses(self) -> list[CameraStatus]:
        status = self._status()
        if status is not None and self._current(status):
            return list(status.cameras)
        last = {c.id: c for c in status.cameras} if status is not None else {}
        gone = {"state": CameraState.OFFLINE, "fps": 0.0}
        return [
            last[c.id].model_copy(update=gone) if c.id in last else _never_heard(c)
            for c in self._cameras.values()
        ]

    def service_health(self) -> ServiceHealth:
        status = self._status()
        if status is not None and self._current(status):
            return status.health
        if status is None:
            why = "not running (no status in the run directory)"
        else:
            why = f"not heard from for {self._clock() - status.written_at:.0f} s"
        last = status.health if status is not None else None
        return ServiceHealth(
            status="degraded",
            problems=[HealthProblemOut(subject="service", message=why)],
            thread_restarts=last.thread_restarts if last is not None else {},
            recorder_queued=last.recorder_queued if last is not None else 0,
            recorder_dropped=last.recorder_dropped if last is not None else 0,
        )

    def metrics(self) -> bytes:
        """The service's metrics as last published (empty when it never published)."""
        status = self._status()
        return status.metrics.encode() if status is not None else b""

    def latest_picture(self, camera_id: str) -> bytes | None:
        """The camera's picture the service wrote within :data:`PICTURE_STALE_S`; asks for
        pictures and, when there is none yet, waits up to :data:`PICTURE_WAIT_S`. Blocking."""
        self._want_pictures()
        deadline = self._clock() + PICTURE_WAIT_S
        while (jpeg := self._fresh_picture(camera_id)) is None and self._clock() < deadline:
            status = self._status()
            if status is None or not self._current(status):
                return None
            self._sleep(PICTURE_POLL_S)
        return jpeg

    def camera_zones(self, camera_id: str) -> list[ZoneOutline] | None:
        camera = self._cameras.get(camera_id)
        return zone_outlines(camera) if camera is not None else None

    def camera_privacy_masks(self, camera_id: str) -> list[MaskOutline]:
        camera = self._cameras.get(camera_id)
        return mask_outlines(camera) if camera is not None else []

    def _current(self, status: PublishedStatus) -> bool:
        return self._clock() - status.written_at < STALE_S

    def _status(self) -> PublishedStatus | None:
        """The published status, read again only when the file changed."""
        path = self._run_dir.status_path
        try:
            mtime_ns = path.stat().st_mtime_ns
            with self._lock:
                if self._cached is not None and self._cached[0] == mtime_ns:
                    return self._cached[1]
            status = PublishedStatus.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError) as exc:
            log.warning("dashboard: %s unreadable: %s", path, type(exc).__name__)
            with self._lock:
                return self._cached[1] if self._cached is not None else None
        with self._lock:
            self._cached = (mtime_ns, status)
        return status

    def _fresh_picture(self, camera_id: str) -> bytes | None:
        path = self._run_dir.picture_path(camera_id)
        try:
            if self._clock() - path.stat().st_mtime >= PICTURE_STALE_S:
                return None
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def _want_pictures(self) -> None:
        now = self._clock()
        with self._lock:
            if now - self._touched_at < WANT_TOUCH_S:
                return
            self._touched_at = now
        path = self._run_dir.wanted_path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()  # or its time set to now
        except OSError as exc:
            log.warning("dashboard: cannot ask for live pictures (%s): %s", path, exc)


def _never_heard(camera: CameraConfig) -> CameraStatus:
    return CameraStatus(id=camera.id, name=camera.display_name, building=camera.building,
                        floor=camera.floor, state=CameraState.OFFLINE)  # fmt: skip
