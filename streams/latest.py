"""A one-frame mailbox between a reader thread and the pipeline: the consumer always gets the
newest frame, never a backlog, and frames replaced before anyone took them count as dropped."""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

from streams.frame import Frame

T = TypeVar("T")


class Latest(Generic[T]):
    """Holds at most one item. ``put`` replaces; ``take`` empties. Safe across threads."""

    def __init__(self) -> None:
        self._frame: T | None = None
        self._dropped = 0
        self._ready = threading.Condition()

    def put(self, frame: T) -> bool:
        """Store ``frame``; True when it replaced a frame nobody took (that one is dropped)."""
        with self._ready:
            replaced = self._frame is not None
            if replaced:
                self._dropped += 1
            self._frame = frame
            self._ready.notify_all()
            return replaced

    def take(self) -> T | None:
        """The newest frame not yet taken, or None when no new frame arrived since the last take."""
        with self._ready:
            frame, self._frame = self._frame, None
            return frame

    def wait(self, timeout_s: float) -> T | None:
        """Like :meth:`take`, but waits up to ``timeout_s`` seconds for a new frame."""
        with self._ready:
            self._ready.wait_for(lambda: self._frame is not None, timeout=timeout_s)
            frame, self._frame = self._frame, None
            return frame

    @property
    def dropped(self) -> int:
        """Frames replaced before being taken, since creation."""
        with self._ready:
            return self._dropped


class LatestFrame(Latest[Frame]):
    """The newest :class:`Frame`."""
