"""Frames -> an H.264 MP4 that browsers play (yuv420p, moov atom first for streaming)."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from stairwatch.media.errors import ClipError
from stairwatch.media.ring import RingFrame

CODEC = "libx264"
CRF = "28"  # plenty for evidence at <= 640 px; about 30-80 kB a second


def constant_rate(timestamps: Sequence[float], fps: float) -> list[int]:
    """For each tick at ``fps`` from the first timestamp to the last, the index of the latest
    frame taken at or before it: variable-rate frames as a constant-rate sequence.

    ``timestamps`` (seconds) must be increasing; a single frame gives one tick.
    """
    if not timestamps:
        return []
    first, last = timestamps[0], timestamps[-1]
    ticks = math.floor((last - first) * fps + 1e-6) + 1
    out, j = [], 0
    for k in range(ticks):
        t = first + k / fps
        while j + 1 < len(timestamps) and timestamps[j + 1] <= t + 1e-6:
            j += 1
        out.append(j)
    return out


def encode_mp4(frames: Sequence[RingFrame], fps: float, path: Path) -> None:
    """Write ``frames`` (oldest first) to ``path`` as H.264 at a constant ``fps``.

    Every picture is scaled to the first one's size. Raises :class:`ClipError`.
    """
    if not frames:
        raise ClipError("no frames to encode")
    height, width = _decode(frames[0].jpeg).shape[:2]
    rate = max(1, round(fps))
    order = constant_rate([f.timestamp for f in frames], rate)
    decoded: tuple[int, NDArray[np.uint8]] | None = None  # one picture at a time, not the clip
    try:
        with av.open(
            str(path), mode="w", format="mp4", container_options={"movflags": "+faststart"}
        ) as out:
            stream = out.add_stream(
                CODEC, rate=rate, options={"crf": CRF, "preset": "veryfast", "threads": "1"}
            )
            if not isinstance(stream, av.video.stream.VideoStream):
                raise ClipError(f"{CODEC} did not give a video stream")
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            for index in order:
                if decoded is None or decoded[0] != index:  # a repeated tick reuses the picture
                    decoded = (index, _sized(_decode(frames[index].jpeg), width, height))
                picture = av.VideoFrame.from_ndarray(decoded[1], format="bgr24")
                out.mux(stream.encode(picture))
            out.mux(stream.encode(None))
    except (av.FFmpegError, ValueError) as exc:
        raise ClipError(f"cannot encode {len(frames)} frames to {path.name}: {exc}") from exc


def encode_mp4_bytes(frames: Sequence[RingFrame], fps: float) -> bytes:
    """:func:`encode_mp4` into memory."""
    return mp4_via_file(lambda path: encode_mp4(frames, fps, path))


def mp4_via_file(write: Callable[[Path], None]) -> bytes:
    """What ``write`` writes to a temporary MP4 file (the muxer needs a real file to move the
    index first)."""
    with tempfile.TemporaryDirectory(prefix="stairwatch-clip-") as tmp:
        path = Path(tmp) / "clip.mp4"
        write(path)
        return path.read_bytes()


def _sized(image: NDArray[np.uint8], width: int, height: int) -> NDArray[np.uint8]:
    if image.shape[:2] == (height, width):
        return image
    resized = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    return resized.astype(np.uint8, copy=False)


def _decode(jpeg: bytes) -> NDArray[np.uint8]:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ClipError("a ring frame is not a readable JPEG")
    return image.astype(np.uint8, copy=False)
