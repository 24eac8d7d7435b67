"""Compressed packets of a video stream, as a source demuxes them (no decoding).

Sources hand every packet to a :class:`PacketTap` so that whoever keeps video for later (the
event clips) stores the camera's own compressed stream instead of decoding, converting and
compressing every frame again. :func:`decode_packets` turns kept packets back into pictures.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

import av
import av.error
import av.packet
import av.video.codeccontext
import av.video.frame

from streams.errors import SourceReadError


@dataclass(frozen=True)
class StreamParams:
    """What a decoder needs besides the packets: codec name, its extradata (SPS/PPS for H.264,
    None where the stream has none), picture size in pixels and the packets' time base."""

    codec: str
    extradata: bytes | None
    width: int
    height: int
    time_base: Fraction


@dataclass(frozen=True, eq=False)
class StreamPacket:
    """One compressed packet: ``timestamp`` is its capture time on the sources' frame clock
    (Unix seconds, as :attr:`Frame.timestamp`), ``pts``/``dts`` in the stream's time base."""

    data: bytes
    timestamp: float
    keyframe: bool
    pts: int | None
    dts: int | None


class PacketTap(Protocol):
    """Sees every packet of one camera's stream, in decoding order, from its reader thread.

    ``stream_started`` comes first and again after every reconnect or loop (the parameters may
    change: packets of the previous stream cannot be decoded with the new parameters).
    """

    def stream_started(self, params: StreamParams) -> None: ...

    def observe_packet(self, packet: StreamPacket) -> None: ...


def params_of(stream: av.video.stream.VideoStream) -> StreamParams:
    context = stream.codec_context
    extradata = context.extradata
    return StreamParams(
        codec=context.name,
        extradata=bytes(extradata) if extradata else None,
        width=int(context.width),
        height=int(context.height),
        time_base=stream.time_base or Fraction(1, 90000),
    )


def packet_of(packet: av.packet.Packet, timestamp: float) -> StreamPacket:
    return StreamPacket(bytes(packet), timestamp, packet.is_keyframe, packet.pts, packet.dts)


def decode_packets(
    params: StreamParams, packets: Sequence[StreamPacket]
) -> Iterator[tuple[float, av.video.frame.VideoFrame]]:
    """(capture time, picture) of every frame the packets decode to, in presentation order.

    The first packet should be a key frame. A picture's capture time is that of the packet with
    its presentation timestamp (decoders may hold pictures back to reorder them). Raises
    :class:`SourceReadError` when the codec is unknown or the data cannot be decoded.
    """
    try:
        context = av.CodecContext.create(params.codec, "r")
    except (av.error.FFmpegError, ValueError) as exc:
        raise SourceReadError(f"no decoder for codec {params.codec!r}: {exc}") from exc
    if not isinstance(context, av.video.codeccontext.VideoCodecContext):
        raise SourceReadError(f"codec {params.codec!r} is not a video codec")
    if params.extradata is not None:
        context.extradata = params.extradata
    times = {p.pts: p.timestamp for p in packets if p.pts is not None}
    try:
        for kept in packets:
            packet = av.Packet(kept.data)
            packet.pts, packet.dts, packet.time_base = kept.pts, kept.dts, params.time_base
            yield from _timed(context.decode(packet), times, kept.timestamp)
        yield from _timed(context.decode(None), times, packets[-1].timestamp if packets else 0.0)
    except av.error.FFmpegError as exc:
        raise SourceReadError(f"cannot decode {params.codec} packets: {exc}") from exc


def _timed(
    frames: list[av.video.frame.VideoFrame], times: dict[int, float], fallback: float
) -> Iterator[tuple[float, av.video.frame.VideoFrame]]:
    for frame in frames:
        yield (times.get(frame.pts, fallback) if frame.pts is not None else fallback), frame
