"""An event's clip as the camera's own H.264 packets copied into MP4: nothing decoded or encoded.

Only what browsers play is copied: H.264 in the Baseline, Main or High profile (8-bit 4:2:0).
The clip starts at the key frame at or before its start (the ring keeps whole groups of
pictures), its times rebased to 0, with the index first so that it plays while loading.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from itertools import pairwise, takewhile
from pathlib import Path

import av

from stairwatch.media.encode import mp4_via_file
from stairwatch.media.errors import ClipError
from stairwatch.media.h264 import (
    SPS,
    H264Error,
    annexb,
    annexb_units,
    avc_config,
    length_prefixed_units,
    nal_type,
    profile_idc,
)
from stairwatch.media.packet_ring import PacketRun
from streams.packets import StreamPacket, StreamParams

PLAYABLE_PROFILES = frozenset({66, 77, 100})  # Baseline, Main, High (profile_idc)
TICKS_PER_S = 90_000  # the clip's time base, as RTP's for video
DEFAULT_FRAME_S = 0.1  # how long a lone picture shows


class RemuxUnsupported(ClipError):
    """Why the packets cannot be copied as they are (the clip is decoded and encoded instead)."""


@dataclass(frozen=True)
class RemuxedClip:
    """MP4 bytes of ``frames`` pictures lasting ``duration_s`` seconds."""

    data: bytes
    frames: int
    duration_s: float


@dataclass(frozen=True)
class _Sample:
    """One packet on the clip's clock: ``pts``/``dts`` in 1/:data:`TICKS_PER_S` seconds."""

    packet: StreamPacket
    pts: int
    dts: int


def remux_mp4_bytes(runs: Sequence[PacketRun], end_ts: float) -> RemuxedClip:
    """The packets of ``runs`` (each from a key frame, in decoding order) up to the first taken
    after ``end_ts`` (Unix seconds), as an MP4. Raises :class:`RemuxUnsupported` where the
    stream is not one a browser plays or its packets cannot be copied."""
    runs = [run for run in runs if run.packets]
    params = _one_stream(runs)
    samples = _timeline(runs, end_ts)
    to_annexb = _annexb_writer(params, samples[0].packet)
    frame_ticks = _frame_ticks(samples)
    try:
        data = mp4_via_file(lambda path: _mux(path, params, samples, to_annexb, frame_ticks))
    except (av.FFmpegError, ValueError) as exc:
        raise RemuxUnsupported(f"cannot copy {len(samples)} packets into MP4: {exc}") from exc
    pts = [s.pts for s in samples]
    return RemuxedClip(data, len(samples), (max(pts) - min(pts) + frame_ticks) / TICKS_PER_S)


def _one_stream(runs: Sequence[PacketRun]) -> StreamParams:
    if not runs:
        raise RemuxUnsupported("no packets")
    params = runs[0].params
    if params.codec != "h264":
        raise RemuxUnsupported(f"{params.codec} is not copied into clips (browsers play H.264)")
    if any(_shape(run.params) != _shape(params) for run in runs[1:]):
        raise RemuxUnsupported("the stream's parameters changed within the clip")
    return params


def _shape(params: StreamParams) -> tuple[str, bytes | None, int, int]:
    return params.codec, params.extradata, params.width, params.height


def _timeline(runs: Sequence[PacketRun], end_ts: float) -> list[_Sample]:
    """Every run's packets on one clock from its first timed key frame (0 for the first run), a
    later run (a reconnect, a file's next loop) placed by its capture time; decoding times
    strictly increasing. Packets of a run before its first key frame with a presentation time
    are left out (an RTSP session's very first packet has none)."""
    samples: list[_Sample] = []
    origin: float | None = None
    for run in runs:
        timed = _from_timed_key(run.packets)
        if timed is None:
            continue
        origin_pts, packets = timed
        taken = list(takewhile(lambda p: p.timestamp <= end_ts, packets))
        if not taken:  # the run starts after the clip's end
            break
        origin = taken[0].timestamp if origin is None else origin
        ticks = [_ticks(p, origin_pts, run.params.time_base) for p in taken]
        offset = round((taken[0].timestamp - origin) * TICKS_PER_S)
        if samples:  # never back in time, whatever the capture clock did
            offset = max(offset, samples[-1].dts + 1 - ticks[0][1])
        for packet, (pts, dts) in zip(taken, ticks, strict=True):
            samples.append(_Sample(packet, offset + pts, offset + dts))
        if len(taken) < len(packets):  # later packets in decoding order may refer to the next
            break
    if not samples:
        raise RemuxUnsupported("no timed key frame before the clip's end")
    if any(b.dts <= a.dts for a, b in pairwise(samples)):
        raise RemuxUnsupported("the packets' decoding times do not increase")
    return samples


def _from_timed_key(packets: list[StreamPacket]) -> tuple[int, list[StreamPacket]] | None:
    """The first key frame with a presentation time, its pts, and the packets from it on."""
    for index, packet in enumerate(packets):
        if packet.keyframe and packet.pts is not None:
            return packet.pts, packets[index:]
    return None


def _ticks(packet: StreamPacket, origin_pts: int, time_base: Fraction) -> tuple[int, int]:
    """(pts, dts) of ``packet`` from ``origin_pts``, in clip ticks; no dts: decoded when shown."""
    if packet.pts is None:
        raise RemuxUnsupported("a packet has no presentation time")
    dts = packet.pts if packet.dts is None else packet.dts
    return (
        round((packet.pts - origin_pts) * time_base * TICKS_PER_S),
        round((dts - origin_pts) * time_base * TICKS_PER_S),
    )


def _frame_ticks(samples: Sequence[_Sample]) -> int:
    shown = sorted(s.pts for s in samples)
    steps = [b - a for a, b in pairwise(shown) if b > a]
    return round(statistics.median(steps)) if steps else round(DEFAULT_FRAME_S * TICKS_PER_S)


def _annexb_writer(params: StreamParams, first: StreamPacket) -> Callable[[StreamPacket], bytes]:
    """Turns each packet into start-code form, the first one led by the parameter sets (MP4's
    muxer builds its ``avcC`` from them); checks that a browser plays the profile."""
    try:
        header, units = _splitter(params.extradata)
        leading = units(first.data)
        if not any(nal_type(u) == SPS for u in leading):
            leading = header + leading
        sps = next((u for u in leading if nal_type(u) == SPS), None)
        if sps is None:
            raise RemuxUnsupported("no sequence parameter set before the first picture")
        profile = profile_idc(sps)
    except H264Error as exc:
        raise RemuxUnsupported(f"unreadable H.264: {exc}") from exc
    if profile not in PLAYABLE_PROFILES:
        raise RemuxUnsupported(f"H.264 profile {profile} is not one browsers play")

    def to_annexb(packet: StreamPacket) -> bytes:
        try:
            return annexb(leading if packet is first else units(packet.data))
        except H264Error as exc:
            raise RemuxUnsupported(f"unreadable H.264: {exc}") from exc

    return to_annexb


def _splitter(extradata: bytes | None) -> tuple[list[bytes], Callable[[bytes], list[bytes]]]:
    """The stream's parameter sets and how its packets split into NAL units."""
    if extradata and extradata[0] == 1:  # an avcC record: MP4's length-prefixed packets
        config = avc_config(extradata)
        split = partial(length_prefixed_units, length_size=config.length_size)
        return list(config.parameter_sets), split
    return (annexb_units(extradata) if extradata else []), annexb_units


def _mux(
    path: Path,
    params: StreamParams,
    samples: Sequence[_Sample],
    to_annexb: Callable[[StreamPacket], bytes],
    frame_ticks: int,
) -> None:
    time_base = Fraction(1, TICKS_PER_S)
    with av.open(
        str(path), mode="w", format="mp4", container_options={"movflags": "+faststart"}
    ) as out:
        stream = out.add_mux_stream("h264", width=params.width, height=params.height)
        stream.time_base = time_base
        for sample in samples:
            packet = av.Packet(to_annexb(sample.packet))
            packet.pts, packet.dts, packet.duration = sample.pts, sample.dts, frame_ticks
            packet.time_base = time_base
            packet.is_keyframe = sample.packet.keyframe
            packet.stream = stream
            out.mux(packet)
