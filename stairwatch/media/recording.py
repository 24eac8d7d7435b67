"""One clip being gathered: the frames from ``pre_s`` before an alert to ``post_s`` after it."""

from __future__ import annotations

from dataclasses import dataclass

from stairwatch.media.ring import RingFrame


@dataclass(frozen=True, eq=False)
class FinishedClip:
    """Frames ready to encode, oldest first. ``complete``: False when cut short (shutdown)."""

    event_id: str
    camera_id: str
    alert_ts: float
    frames: tuple[RingFrame, ...]
    complete: bool


class ClipRecording:
    """Collects frames with ``start_ts <= timestamp <= end_ts`` (Unix seconds), in order.

    Done once a frame at or past ``end_ts`` has been seen. Not thread-safe.
    """

    def __init__(self, event_id: str, camera_id: str, alert_ts: float, pre_s: float, post_s: float):
        self.event_id = event_id
        self.camera_id = camera_id
        self.alert_ts = alert_ts
        self.start_ts = alert_ts - pre_s
        self.end_ts = alert_ts + post_s
        self._frames: list[RingFrame] = []
        self.done = False

    def offer(self, frame: RingFrame) -> bool:
        """Take ``frame`` if it belongs and is newer than the last one; returns :attr:`done`."""
        if self.done:
            return True
        newer = not self._frames or frame.timestamp > self._frames[-1].timestamp
        if newer and self.start_ts <= frame.timestamp <= self.end_ts:
            self._frames.append(frame)
        self.done = frame.timestamp >= self.end_ts
        return self.done

    def finish(self) -> FinishedClip:
        return FinishedClip(
            event_id=self.event_id,
            camera_id=self.camera_id,
            alert_ts=self.alert_ts,
            frames=tuple(self._frames),
            complete=self.done,
        )

    def __len__(self) -> int:
        return len(self._frames)
