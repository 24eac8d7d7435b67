"""Reader threads: pull frames from a camera's source into the pending slots."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from stairwatch.runtime.health import CameraHealth
from stairwatch.runtime.pending import PendingFrames
from streams.errors import StreamError
from streams.file_source import FileSource
from streams.frame import Frame

log = logging.getLogger(__name__)

DetectDecision = Callable[[Frame], bool]


class FileReader:
    """Plays a video file in real time (looping if asked) as if it were a camera."""

    def __init__(
        self,
        camera_id: str,
        path: Path,
        detect_fps: float,
        loop: bool,
        pending: PendingFrames,
        health: CameraHealth,
        should_detect: DetectDecision,
    ):
        self._camera_id = camera_id
        self._path = path
        self._detect_fps = detect_fps
        self._loop = loop
        self._pending = pending
        self._health = health
        self._should_detect = should_detect
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"reader-{camera_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        try:
            with FileSource(
                self._path,
                self._camera_id,
                realtime=True,
                loop=self._loop,
                sample_fps=self._detect_fps,
            ) as source:
                for frame in source:
                    if self._stop.is_set():
                        return
                    self._health.frame_arrived()
                    self._pending.put(frame, self._should_detect(frame))
        except StreamError as exc:
            log.error("camera %s: %s", self._camera_id, exc)
            self._health.went_offline(str(exc))
            return
        self._health.went_offline("end of file")
