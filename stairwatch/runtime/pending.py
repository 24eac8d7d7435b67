"""Latest-frame slots between camera readers and the inference workers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from streams.frame import Frame

URGENT_LEAD_S = 1.0
"""An urgent frame (objects tracked, or motion) goes before other frames queued up to this many
seconds before it: when the box cannot run every due detection, the cameras where something
happens are served first, yet a quiet camera waits at most this much longer, never forever."""


@dataclass(frozen=True, eq=False)
class PendingFrame:
    """A frame waiting for a worker; ``detect`` False means the motion gate skipped it;
    ``urgent``: objects are tracked or something moved on its camera; ``check_only``: a frame
    between detections for the fire check alone (:mod:`stairwatch.cadence`)."""

    frame: Frame
    detect: bool
    queued_at: float
    urgent: bool = True
    check_only: bool = False

    @property
    def turn(self) -> float:
        """When its turn comes: oldest first, urgent ones :data:`URGENT_LEAD_S` earlier."""
        return self.queued_at - (URGENT_LEAD_S if self.urgent else 0.0)


class PendingFrames:
    """One slot per camera. Putting a frame where one still waits drops the older one (counted).

    The pipeline therefore always works on the newest frame of each camera: back-pressure drops
    the oldest pending frame of that camera, never blocks the reader.

    Several workers may take from the slots at once. A taken frame's camera is *in flight* until
    :meth:`release`: its next frame waits in the slot, so each camera's frames are stepped one at
    a time and in capture order (its tracker and rules are not thread-safe and need that order).
    """

    def __init__(self) -> None:
        self._slots: dict[str, PendingFrame] = {}
        self._in_flight: set[str] = set()
        self._dropped: dict[str, int] = {}
        self._cond = threading.Condition()
        self._closed = False

    def put(
        self, frame: Frame, detect: bool, urgent: bool = True, check_only: bool = False
    ) -> None:
        with self._cond:
            previous = self._slots.get(frame.camera_id)
            queued_at = time.monotonic()
            if previous is not None:
                if not previous.check_only:  # a fire-check frame replaced is no lost detection
                    self._dropped[frame.camera_id] = self._dropped.get(frame.camera_id, 0) + 1
                # If either frame needed detection, the newer one is looked at instead, in the
                # older one's place in the queue (a camera's turn is not lost by a newer frame);
                # so is a full frame's step replaced by a fire-check frame.
                detect = detect or previous.detect
                urgent = urgent or previous.urgent
                check_only = check_only and previous.check_only
                queued_at = previous.queued_at
            self._slots[frame.camera_id] = PendingFrame(
                frame, detect and not check_only, queued_at, urgent, check_only
            )
            self._cond.notify_all()

    def take(self, max_items: int, max_wait_s: float, timeout_s: float) -> list[PendingFrame]:
        """Up to ``max_items`` frames of cameras not in flight, in turn (:attr:`PendingFrame.turn`);
        their cameras are in flight until :meth:`release`.

        Waits up to ``timeout_s`` for a first frame, then up to ``max_wait_s`` more for the batch
        to fill. Returns [] only when nothing arrived in time or the slots are closed.
        """
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not self._ready() and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                self._cond.wait(left)
            fill_deadline = time.monotonic() + max_wait_s
            while len(self._ready()) < max_items and not self._closed:
                left = fill_deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            items = sorted(self._ready(), key=lambda p: p.turn)[:max_items]
            for item in items:
                del self._slots[item.frame.camera_id]
                self._in_flight.add(item.frame.camera_id)
            return items

    def release(self, items: Iterable[PendingFrame]) -> None:
        """The frames taken with ``items`` are done with: their cameras' next frames may go."""
        with self._cond:
            self._in_flight.difference_update(item.frame.camera_id for item in items)
            self._cond.notify_all()

    def waiting(self) -> int:
        """Frames in the slots now, not yet taken by a worker."""
        with self._cond:
            return len(self._slots)

    def dropped(self, camera_id: str) -> int:
        with self._cond:
            return self._dropped.get(camera_id, 0)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _ready(self) -> list[PendingFrame]:
        return [p for camera, p in self._slots.items() if camera not in self._in_flight]
