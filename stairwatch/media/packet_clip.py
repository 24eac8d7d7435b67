"""An event's clip from kept packets: decoded once on the encoder thread, at the clip's rate."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from stairwatch.media.errors import ClipError
from stairwatch.media.packet_ring import PacketRun
from stairwatch.media.ring import FrameRing, RingFrame, compress
from stairwatch.media.settings import ClipSettings
from streams.errors import StreamError
from streams.file_source import to_bgr
from streams.packets import decode_packets

Hide = Callable[[NDArray[np.uint8]], NDArray[np.uint8]]


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
