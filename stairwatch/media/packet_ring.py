"""The last seconds of a camera's own compressed stream, kept whole groups of pictures at a time.

Keeping packets costs nothing per frame (no decoding, colour conversion or JPEG compression on
the reader thread); an event's clip is decoded and encoded once, on the encoder thread, from the
key frame before its start. Memory: the stream's bitrate times ``keep_s`` plus one group.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from stairwatch.media.errors import ClipError
from streams.packets import StreamPacket, StreamParams


@dataclass(eq=False)
class PacketRun:
    """Packets of one stream pass (one connection or one loop of a file), starting at a key
    frame, in decoding order; decodable on their own with ``params``."""

    params: StreamParams
    packets: list[StreamPacket] = field(default_factory=list)

    @property
    def start_ts(self) -> float:
        return self.packets[0].timestamp if self.packets else 0.0


@dataclass(eq=False)
class _Group:
    """One group of pictures: a key frame and what follows it, up to the next key frame."""

    epoch: int
    params: StreamParams
    packets: list[StreamPacket]

    @property
    def start_ts(self) -> float:
        return self.packets[0].timestamp


class PacketRing:
    """Groups of pictures covering at least the last ``keep_s`` seconds. Not thread-safe.

    :meth:`stream_started` begins a new pass (a new epoch): packets before its first key frame
    are dropped, since nothing could decode them.
    """

    def __init__(self, keep_s: float):
        if keep_s <= 0:
            raise ClipError(f"packet ring needs keep_s > 0, got {keep_s}")
        self.keep_s = keep_s
        self._groups: deque[_Group] = deque()
        self._params: StreamParams | None = None
        self._epoch = 0
        self._open: _Group | None = None  # the group packets are added to; None before a key

    def stream_started(self, params: StreamParams) -> None:
        self._params = params
        self._epoch += 1
        self._open = None

    def push(self, packet: StreamPacket) -> bool:
        """Keep ``packet``; False when it cannot be kept (no stream, or no key frame yet)."""
        if self._params is None:
            return False
        if packet.keyframe:
            self._open = _Group(self._epoch, self._params, [packet])
            self._groups.append(self._open)
            self._trim(packet.timestamp)
            return True
        if self._open is None:
            return False
        self._open.packets.append(packet)
        return True

    def since(self, timestamp: float) -> list[PacketRun]:
        """Runs from the last key frame at or before ``timestamp`` (the first kept one when
        none is that old) to now; one run per stream pass."""
        groups = list(self._groups)
        first = 0
        for i, group in enumerate(groups):
            if group.start_ts <= timestamp:
                first = i
        return runs_of(groups[first:])

    @property
    def seconds(self) -> float:
        """Span from the oldest kept key frame to the newest packet (seconds)."""
        if not self._groups or self._open is None:
            return 0.0
        return self._open.packets[-1].timestamp - self._groups[0].start_ts

    def __len__(self) -> int:
        return sum(len(g.packets) for g in self._groups)

    def _trim(self, newest_ts: float) -> None:
        while len(self._groups) > 1 and self._groups[1].start_ts <= newest_ts - self.keep_s:
            self._groups.popleft()


def runs_of(groups: list[_Group]) -> list[PacketRun]:
    runs: list[PacketRun] = []
    epoch: int | None = None
    for group in groups:
        if group.epoch != epoch:
            runs.append(PacketRun(group.params))
            epoch = group.epoch
        runs[-1].packets.extend(group.packets)
    return runs
