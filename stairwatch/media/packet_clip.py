"""An event's clip from kept packets: decoded once on the encoder thread, at the clip's rate."""

from __future__ import annotations

from collections.abc import Sequence

from stairwatch.media.errors import ClipError
from stairwatch.media.packet_ring import PacketRun
from stairwatch.media.ring import FrameRing, RingFrame, compress
from stairwatch.media.settings import ClipSettings
from streams.errors import StreamError
from streams.file_source import to_bgr
from streams.packets import decode_packets


def frames_from_packets(
    runs: Sequence[PacketRun], start_ts: float, end_ts: float, settings: ClipSettings
) -> list[RingFrame]:
    """The pictures of ``runs`` taken from ``start_ts`` to ``end_ts`` (Unix seconds), at most
    ``settings.fps`` a second, shrunk and compressed as the frame ring keeps them.

    Only the pictures kept are converted to BGR. Raises :class:`ClipError`.
    """
    kept = FrameRing(end_ts - start_ts + 1.0, settings.fps)
    try:
        for run in runs:
            if not run.packets:
                continue
            for timestamp, picture in decode_packets(run.params, run.packets):
                if start_ts <= timestamp <= end_ts and kept.wants(timestamp):
                    image = compress(to_bgr(picture), settings.max_width, settings.jpeg_quality)
                    kept.push(RingFrame(timestamp, image))
    except StreamError as exc:
        raise ClipError(str(exc)) from exc
    return kept.since(start_ts)
