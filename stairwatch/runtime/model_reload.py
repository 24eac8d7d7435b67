"""Swap in a promoted model without stopping the service.

``stairwatch model promote`` replaces the model file atomically. :class:`ReloadingDetector`
notices (the file's inode, size or mtime changed, looked at no more than every
``check_every_s``) on an inference thread, loads the new model there and swaps it in between
two detector calls. Readers, pipelines, tracks and open events are untouched: no camera is
reconnected, no event lost. A model that does not load, or names other classes than the
running one (the kind map was built for those), is logged and the running model kept.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from vision.detections import Detections
from vision.detector import OnnxDetector
from vision.errors import VisionError

log = logging.getLogger(__name__)

FileSignature = tuple[int, int, int]  # inode, size, mtime in ns


def file_signature(path: Path) -> FileSignature | None:
    """What changes when the file is replaced or rewritten; None when it cannot be read."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class ReloadingDetector:
    """A detector that follows its model file. Thread-safe: calls in flight finish on the
    model they started with; one thread at a time checks and loads."""

    def __init__(
        self,
        path: Path,
        load: Callable[[Path], OnnxDetector],
        check_every_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._path = path
        self._load = load
        self._check_every_s = check_every_s
        self._clock = clock
        self._signature = file_signature(path)
        self._current = load(path)
        self._next_check = clock() + check_every_s
        self._lock = threading.Lock()
        self.reloads = 0

    @property
    def class_names(self) -> tuple[str, ...]:
        return self._current.class_names

    @property
    def current(self) -> OnnxDetector:
        return self._current

    def detect(self, frames: Sequence[NDArray[np.uint8]]) -> list[Detections]:
        self.reload_if_changed()
        return self._current.detect(frames)

    def reload_if_changed(self) -> bool:
        """Check the file (when due) and swap in its model if it changed; True on a swap."""
        now = self._clock()
        if now < self._next_check or not self._lock.acquire(blocking=False):
            return False
        try:
            self._next_check = now + self._check_every_s
            signature = file_signature(self._path)
            if signature is None or signature == self._signature:
                return False
            self._signature = signature  # tried once per change, good or bad
            return self._swap()
        finally:
            self._lock.release()

    def _swap(self) -> bool:
        try:
            loaded = self._load(self._path)
        except VisionError as exc:
            log.error("model %s changed but does not load (%s): the running model stays",
                      self._path, exc)  # fmt: skip
            return False
        if loaded.class_names != self._current.class_names:
            log.error("model %s changed to classes %s, not %s: the running model stays; restart "
                      "the service to use it", self._path, loaded.class_names,
                      self._current.class_names)  # fmt: skip
            return False
        self._current = loaded
        self.reloads += 1
        log.info("model %s reloaded: new detections come from it", self._path)
        return True
