"""An event's clip from kept packets, on the encoder thread: the camera's own H.264 copied where
nothing has to be hidden and browsers play it, else decoded once and encoded at the clip's rate."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from stairwatch.media.encode import encode_mp4_bytes
from stairwatch.media.errors import ClipError
from stairwatch.media.packet_ring import PacketRun
from stairwatch.media.remux import RemuxUnsupported, remux_mp4_bytes
from stairwatch.media.ring import FrameRing, RingFrame, compress
from stairwatch.media.settings import ClipSettings
from streams.errors import StreamError
from streams.file_source import to_bgr
from streams.packets import decode_packets

log = logging.getLogger(__name__)

Hide = Callable[[NDArray[np.uint8]], NDArray[np.uint8]]


@dataclass(frozen=True)
class PacketClipMp4:
    """A clip's MP4 bytes, its number of pictures and whether the packets were copied
    (``remuxed``) rather than decoded and encoded again."""

    data: bytes
    frames: int
    remuxed: bool


def mp4_from_packets(
    runs: Sequence[PacketRun],
    start_ts: float,
    end_ts: float,
    settings: ClipSettings,
    hide: Hide | None = None,
) -> PacketClipMp4:
    """The clip of ``runs`` from ``start_ts`` to ``end_ts`` (Unix seconds): copied from the key
    frame at or before ``start_ts`` when ``settings.remux`` and no privacy mask (``hide``)
    applies and the stream allows it (:mod:`stairwatch.media.remux`), else decoded and encoded
    at ``settings.fps`` with the masks blacked out. Raises :class:`ClipError`."""
    if hide is None and settings.remux:
        try:
            copied = remux_mp4_bytes(runs, end_ts)
            return PacketClipMp4(copied.data, copied.frames, remuxed=True)
        except RemuxUnsupported as why:
            log.debug("clip encoded, not copied: %s", why)
    frames = frames_from_packets(runs, start_ts, end_ts, settings, hide)
    return PacketClipMp4(encode_mp4_bytes(frames, settings.fps), len(frames), remuxed=False)


def frames_from_packets(
    runs: Sequence[PacketRun],
    start_ts: float,
    end_ts: float,
    settings: ClipSettings,
    hide: Hide | None = None,
) -> list[RingFrame]:
    """The pictures of ``runs`` taken from ``start_ts`` to ``end_ts`` (Unix seconds), at most
    ``settings.fps`` a second, shrunk and compressed as the frame ring keeps them; ``hide``
    blacks out the camera's privacy masks in each before anything is kept.

    Only the pictures kept are converted to BGR. Raises :class:`ClipError`.
    """
    kept = FrameRing(end_ts - start_ts + 1.0, settings.fps)
    try:
        for run in runs:
            if not run.packets:
                continue
            for timestamp, picture in decode_packets(run.params, run.packets):
                if start_ts <= timestamp <= end_ts and kept.wants(timestamp):
                    image = to_bgr(picture) if hide is None else hide(to_bgr(picture))
                    jpeg = compress(image, settings.max_width, settings.jpeg_quality)
                    kept.push(RingFrame(timestamp, jpeg))
    except StreamError as exc:
        raise ClipError(str(exc)) from exc
    return kept.since(start_ts)
