"""The run directory, ``<storage.data_dir>/run``: how the running service shows itself to a
dashboard in another process (its own child under ``server.process: own``, or a ``stairwatch
serve`` on the same machine) through files, each replaced atomically:

- ``status.json``: the cameras' statuses, the service's health and its Prometheus metrics
  (:class:`PublishedStatus`), every :data:`PUBLISH_PERIOD_S`;
- ``live/<camera id>.jpg``: each camera's newest (masked) picture, at most 640 px wide, written
  with the status while a dashboard asked for a picture within :data:`WANTED_S` (it touches
  ``live/wanted``), so nobody watching costs no encoding.

The publisher is a supervised thread of its own, never on the inference path.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from dashboard.schemas import (
    CameraPictureProvider,
    CameraStatus,
    CameraStatusProvider,
    ServiceHealth,
    ServiceHealthProvider,
)
from stairwatch.runtime.threads import GuardedThread

log = logging.getLogger(__name__)

PUBLISH_PERIOD_S = 1.0
WANTED_S = 30.0  # pictures are written this long after a dashboard last asked for one


class PublishedStatus(BaseModel):
    """``status.json``: what the service's own dashboard would show, as of ``written_at``
    (Unix seconds). Camera errors are scrubbed by :class:`CameraStatus`; no source addresses."""

    model_config = ConfigDict(frozen=True)

    written_at: float
    cameras: list[CameraStatus]
    health: ServiceHealth
    metrics: str  # Prometheus' text exposition


@dataclass(frozen=True)
class RunDir:
    """The run directory's paths."""

    root: Path

    @classmethod
    def of(cls, data_dir: Path) -> RunDir:
        return cls(data_dir / "run")

    @property
    def status_path(self) -> Path:
        return self.root / "status.json"

    @property
    def live_dir(self) -> Path:
        return self.root / "live"

    def ready_path_of(self, worker: int) -> Path:
        """Written by the dashboard's process ``worker`` (1, 2 ...) once it listens: its
        process id."""
        return self.root / f"dashboard-{worker}.ready"

    @property
    def signed_out_path(self) -> Path:
        """Sign-outs, appended by the dashboard's processes for each other to read."""
        return self.root / "signed-out"

    @property
    def wanted_path(self) -> Path:
        return self.live_dir / "wanted"

    def picture_path(self, camera_id: str) -> Path:
        """Camera ids hold only ``[A-Za-z0-9_.-]`` (the configuration checks): a plain name."""
        return self.live_dir / f"{camera_id}.jpg"


def write_atomically(path: Path, data: bytes) -> None:
    """``data`` at ``path``: a reader sees the old file or the whole new one, never a part."""
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    part.write_bytes(data)
    os.replace(part, path)


class ServiceSource(CameraStatusProvider, ServiceHealthProvider, CameraPictureProvider, Protocol):
    """What the publisher reads: the running service's statuses, health and pictures."""


class StatusPublisher:
    """Writes the run directory from ``source`` and ``metrics`` every ``period_s`` in its own
    thread (:attr:`thread`, for the supervisor). ``start()`` / ``stop()``; a stop removes
    ``status.json``, so other processes see the service is gone at once."""

    def __init__(
        self,
        run_dir: RunDir,
        source: ServiceSource,
        metrics: Callable[[], bytes],
        period_s: float = PUBLISH_PERIOD_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._run_dir = run_dir
        self._source = source
        self._metrics = metrics
        self._period_s = period_s
        self._clock = clock
        self._stop = threading.Event()
        self._last_error: str | None = None
        self.thread = GuardedThread("status publisher", self._loop)

    def start(self) -> None:
        self._stop.clear()
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(5.0)
        self._run_dir.status_path.unlink(missing_ok=True)

    def publish_once(self) -> None:
        """The status now, and the pictures while they are wanted. Raises OSError."""
        now = self._clock()
        statuses = self._source.camera_statuses()
        status = PublishedStatus(
            written_at=now,
            cameras=statuses,
            health=self._source.service_health(),
            metrics=self._metrics().decode(),
        )
        self._run_dir.live_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(self._run_dir.status_path, status.model_dump_json().encode())
        if self._pictures_wanted(now):
            for camera in statuses:
                jpeg = self._source.latest_picture(camera.id)
                if jpeg is not None:
                    write_atomically(self._run_dir.picture_path(camera.id), jpeg)

    def _pictures_wanted(self, now: float) -> bool:
        try:
            return now - self._run_dir.wanted_path.stat().st_mtime < WANTED_S
        except FileNotFoundError:
            return False

    def _loop(self) -> None:
        while True:
            try:
                self.publish_once()
                self._last_error = None
            except OSError as exc:  # a full or read-only disk: said once, tried again
                if str(exc) != self._last_error:
                    log.warning("run directory %s not written: %s", self._run_dir.root, exc)
                self._last_error = str(exc)
            if self._stop.wait(self._period_s):
                return
