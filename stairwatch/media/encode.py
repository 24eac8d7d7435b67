"""Pictures -> an H.264 MP4 that browsers play (yuv420p, moov atom first for streaming)."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

import av
import av.container
import av.video.stream
import cv2
import numpy as np
from numpy.typing import NDArray

from stairwatch.media.errors import ClipError
from stairwatch.media.ring import RingFrame

CODEC = "libx264"
CRF = "28"  # plenty for evidence at <= 640 px; about 30-80 kB a second
_EPS_S = 1e-6


class ConstantRate:
    """Ticks at ``fps`` from the first picture's time, each filled by the latest picture taken
    at or before it: variable-rate pictures as a constant-rate sequence, one picture at a time.
    Pure bookkeeping; timestamps (seconds) must increase."""

    def __init__(self, fps: int):
        self.fps = fps
        self._first: float | None = None
        self._ticks = 0  # ticks filled so far

    def before(self, timestamp: float) -> int:
        """How many more ticks the picture held until now fills, a picture taken at
        ``timestamp`` arriving (0 for the first picture: it only starts the clock)."""
        if self._first is None:
            self._first = timestamp
            return 0
        return self._fill(math.ceil((timestamp - _EPS_S - self._first) * self.fps))

    def end(self, last_timestamp: float) -> int:
        """How many more ticks the last picture (taken at ``last_timestamp``) fills."""
        if self._first is None:
            return 0
        return self._fill(math.floor((last_timestamp - self._first) * self.fps + _EPS_S) + 1)

    def _fill(self, through: int) -> int:
        more = max(0, through - self._ticks)
        self._ticks += more
        return more


def constant_rate(timestamps: Sequence[float], fps: float) -> list[int]:
    """For each tick at ``fps`` from the first timestamp to the last, the index of the latest
    frame taken at or before it (see :class:`ConstantRate`); a single frame gives one tick."""
    rate, out = ConstantRate(max(1, round(fps))), []
    for index, timestamp in enumerate(timestamps):
        out += [index - 1] * rate.before(timestamp)
    if timestamps:
        out += [len(timestamps) - 1] * rate.end(timestamps[-1])
    return out


class Mp4Writer:
    """Writes pictures, oldest first, to ``path`` as H.264 at a constant ``fps``, holding one
    picture at a time; every picture is scaled to the first one's size. Use as a context
    manager: leaving it cleanly finishes the file. Raises :class:`ClipError`."""

    def __init__(self, path: Path, fps: float):
        self.path = path
        self._rate = ConstantRate(max(1, round(fps)))
        self._out: av.container.OutputContainer | None = None
        self._stream: av.video.stream.VideoStream | None = None
        self._held: tuple[float, av.VideoFrame] | None = None
        self.frames = 0  # pictures written so far (ticks, repeats included)

    def add(self, timestamp: float, image: NDArray[np.uint8]) -> None:
        """One (H, W, 3) BGR picture taken at ``timestamp`` (seconds)."""
        try:
            stream = self._stream or self._open(image)
            picture = av.VideoFrame.from_ndarray(
                _sized(image, stream.width, stream.height), format="bgr24"
            )
            self._write_held(self._rate.before(timestamp))
        except (av.FFmpegError, ValueError) as exc:
            raise ClipError(f"cannot encode a picture into {self.path.name}: {exc}") from exc
        self._held = (timestamp, picture)

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        out = self._out
        if out is None:
            if kind is None:
                raise ClipError(f"no pictures to encode into {self.path.name}")
            return
        try:
            if kind is None:
                self._finish(out)
        finally:
            self._out = None
            out.close()

    def _open(self, image: NDArray[np.uint8]) -> av.video.stream.VideoStream:
        self._out = av.open(
            str(self.path), mode="w", format="mp4", container_options={"movflags": "+faststart"}
        )
        stream = self._out.add_stream(
            CODEC, rate=self._rate.fps, options={"crf": CRF, "preset": "veryfast", "threads": "1"}
        )
        if not isinstance(stream, av.video.stream.VideoStream):
            raise ClipError(f"{CODEC} did not give a video stream")
        stream.height, stream.width = image.shape[:2]
        stream.pix_fmt = "yuv420p"
        self._stream = stream
        return stream

    def _write_held(self, ticks: int) -> None:
        if self._held is None or self._out is None or self._stream is None:
            return
        for _ in range(ticks):
            self._out.mux(self._stream.encode(self._held[1]))
        self.frames += ticks

    def _finish(self, out: av.container.OutputContainer) -> None:
        if self._held is None or self._stream is None:
            raise ClipError(f"no pictures to encode into {self.path.name}")
        try:
            self._write_held(self._rate.end(self._held[0]))
            out.mux(self._stream.encode(None))
        except (av.FFmpegError, ValueError) as exc:
            raise ClipError(f"cannot finish {self.path.name}: {exc}") from exc


def encode_mp4(frames: Sequence[RingFrame], fps: float, path: Path) -> None:
    """Write ring ``frames`` (oldest first) to ``path`` as H.264 at a constant ``fps``, one
    JPEG decoded at a time. Raises :class:`ClipError`."""
    if not frames:
        raise ClipError("no frames to encode")
    with Mp4Writer(path, fps) as writer:
        for frame in frames:
            writer.add(frame.timestamp, _decode(frame.jpeg))


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
