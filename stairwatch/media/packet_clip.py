"""An event's clip from kept packets, on the encoder thread: the camera's own H.264 copied where
nothing has to be hidden and browsers play it, else decoded, masked and encoded in one pass at the
clip's rate (one picture held at a time)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from stairwatch.media.encode import Mp4Writer, mp4_via_file
from stairwatch.media.errors import ClipError
from stairwatch.media.packet_ring import PacketRun
from stairwatch.media.remux import RemuxUnsupported, remux_mp4_bytes
from stairwatch.media.ring import shrink, spaced
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
    at ``settings.fps`` with the masks blacked out, one picture at a time. Raises
    :class:`ClipError`."""
    if hide is None and settings.remux:
        try:
            copied = remux_mp4_bytes(runs, end_ts)
            return PacketClipMp4(copied.data, copied.frames, remuxed=True)
        except RemuxUnsupported as why:
            log.debug("clip encoded, not copied: %s", why)
    pictures = pictures_from_packets(runs, start_ts, end_ts, settings, hide)
    written = 0

    def write(path: Path) -> None:
        nonlocal written
        with Mp4Writer(path, settings.fps) as writer:
            for timestamp, image in pictures:
                writer.add(timestamp, image)
        written = writer.frames

    data = mp4_via_file(write)
    return PacketClipMp4(data, written, remuxed=False)


def pictures_from_packets(
    runs: Sequence[PacketRun],
    start_ts: float,
    end_ts: float,
    settings: ClipSettings,
    hide: Hide | None = None,
) -> Iterator[tuple[float, NDArray[np.uint8]]]:
    """The pictures of ``runs`` taken from ``start_ts`` to ``end_ts`` (Unix seconds), at most
    ``settings.fps`` a second, as (timestamp, (H, W, 3) BGR no wider than
    ``settings.max_width``), with ``hide`` blacking out the camera's privacy masks; decoded
    lazily, and only the pictures kept are converted. Raises :class:`ClipError`."""
    previous: float | None = None
    try:
        for run in runs:
            if not run.packets:
                continue
            for timestamp, picture in decode_packets(run.params, run.packets):
                if start_ts <= timestamp <= end_ts and spaced(previous, timestamp, settings.fps):
                    previous = timestamp
                    image = to_bgr(picture) if hide is None else hide(to_bgr(picture))
                    yield timestamp, shrink(image, settings.max_width)
    except StreamError as exc:
        raise ClipError(str(exc)) from exc
