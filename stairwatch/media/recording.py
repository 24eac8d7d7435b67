"""One clip being gathered: the frames from ``pre_s`` before an alert to ``post_s`` after it."""

from __future__ import annotations

from dataclasses import dataclass

from stairwatch.media.packet_ring import PacketRun
from stairwatch.media.ring import RingFrame
from streams.packets import StreamPacket, StreamParams


@dataclass(frozen=True, eq=False)
class FinishedClip:
    """Frames ready to encode, oldest first, or the camera's packets (``runs``) to decode from
    ``start_ts`` to ``end_ts``. ``complete``: False when cut short (shutdown)."""

    event_id: str
    camera_id: str
    alert_ts: float
    frames: tuple[RingFrame, ...]
    complete: bool
    runs: tuple[PacketRun, ...] = ()
    start_ts: float = 0.0
    end_ts: float = 0.0

    @property
    def size(self) -> int:
        """Frames, or packets, gathered."""
        return len(self.frames) + sum(len(run.packets) for run in self.runs)


class _Window:
    """An event's clip window: from ``pre_s`` before its alert to ``post_s`` after it (Unix
    seconds); ``done`` once something at or past its end was seen."""

    def __init__(self, event_id: str, camera_id: str, alert_ts: float, pre_s: float, post_s: float):
        self.event_id = event_id
        self.camera_id = camera_id
        self.alert_ts = alert_ts
        self.start_ts = alert_ts - pre_s
        self.end_ts = alert_ts + post_s
        self.done = False

    def _finished(
        self, frames: tuple[RingFrame, ...], runs: tuple[PacketRun, ...] = ()
    ) -> FinishedClip:
        return FinishedClip(
            event_id=self.event_id,
            camera_id=self.camera_id,
            alert_ts=self.alert_ts,
            frames=frames,
            complete=self.done,
            runs=runs,
            start_ts=self.start_ts,
            end_ts=self.end_ts,
        )


class ClipRecording(_Window):
    """Collects frames with ``start_ts <= timestamp <= end_ts`` (Unix seconds), in order.

    Done once a frame at or past ``end_ts`` has been seen. Not thread-safe.
    """

    def __init__(self, event_id: str, camera_id: str, alert_ts: float, pre_s: float, post_s: float):
        super().__init__(event_id, camera_id, alert_ts, pre_s, post_s)
        self._frames: list[RingFrame] = []

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
        return self._finished(tuple(self._frames))

    def __len__(self) -> int:
        return len(self._frames)


class PacketRecording(_Window):
    """Collects a camera's packets from the key frame before ``alert_ts - pre_s`` until one taken
    at or after ``alert_ts + post_s``. Not thread-safe."""

    def __init__(
        self,
        event_id: str,
        camera_id: str,
        alert_ts: float,
        pre_s: float,
        post_s: float,
        runs: list[PacketRun],
    ):
        super().__init__(event_id, camera_id, alert_ts, pre_s, post_s)
        self._runs = runs
        self.done = any(p.timestamp >= self.end_ts for run in runs for p in run.packets)

    def stream_started(self, params: StreamParams) -> None:
        self._runs.append(PacketRun(params))

    def offer(self, packet: StreamPacket) -> bool:
        """Take ``packet``; returns :attr:`done`."""
        if self.done:
            return True
        run = self._runs[-1] if self._runs else None
        if run is not None and (run.packets or packet.keyframe):  # undecodable before a key
            run.packets.append(packet)
        self.done = packet.timestamp >= self.end_ts
        return self.done

    def finish(self) -> FinishedClip:
        return self._finished((), tuple(run for run in self._runs if run.packets))

    def __len__(self) -> int:
        return sum(len(run.packets) for run in self._runs)
