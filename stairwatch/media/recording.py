"""One clip being gathered: a camera's packets from ``pre_s`` before an alert to ``post_s``
after it."""

from __future__ import annotations

from dataclasses import dataclass

from stairwatch.media.packet_ring import PacketRun
from streams.packets import StreamPacket, StreamParams


@dataclass(frozen=True, eq=False)
class FinishedClip:
    """The camera's packets (``runs``) to decode from ``start_ts`` to ``end_ts`` (Unix seconds)
    and encode. ``complete``: False when cut short (shutdown)."""

    event_id: str
    camera_id: str
    alert_ts: float
    complete: bool
    runs: tuple[PacketRun, ...]
    start_ts: float
    end_ts: float


class PacketRecording:
    """Collects a camera's packets from the key frame before ``alert_ts - pre_s`` until one taken
    at or after ``alert_ts + post_s`` (Unix seconds); ``done`` once that one was seen. Not
    thread-safe."""

    def __init__(
        self,
        event_id: str,
        camera_id: str,
        alert_ts: float,
        pre_s: float,
        post_s: float,
        runs: list[PacketRun],
    ):
        self.event_id = event_id
        self.camera_id = camera_id
        self.alert_ts = alert_ts
        self.start_ts = alert_ts - pre_s
        self.end_ts = alert_ts + post_s
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
        return FinishedClip(
            event_id=self.event_id,
            camera_id=self.camera_id,
            alert_ts=self.alert_ts,
            complete=self.done,
            runs=tuple(run for run in self._runs if run.packets),
            start_ts=self.start_ts,
            end_ts=self.end_ts,
        )

    def __len__(self) -> int:
        return sum(len(run.packets) for run in self._runs)
