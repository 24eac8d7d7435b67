"""Writing frames as browser-playable H.264 MP4 with PyAV (the OpenCV wheel has no H.264 encoder).

Constant-quality x264 (``crf``) capped by a VBV rate derived from the size budget, yuv420p, High
profile, ``+faststart`` so browsers can start before the download ends. One encoder thread and
no macroblock tree (x264's, with its assembly, gave other bytes for the same frames in every
encoder after a process's first), so the same frames give the same bytes on any machine with
the same FFmpeg.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import av.container
import av.video
import cv2
import numpy as np

from lab.synth.errors import SynthError


@dataclass(frozen=True)
class EncodeOptions:
    """``max_bytes``: the file must stay under it (the bitrate cap is derived from it);
    ``keyframe_s``: seconds between keyframes (seeking and looping start at one)."""

    crf: int = 26
    preset: str = "medium"
    max_bytes: int = 2_000_000
    keyframe_s: float = 5.0


class H264Writer:
    """Context manager: ``write`` (H, W, 3) uint8 BGR frames of ``size`` (W, H) at ``fps``."""

    def __init__(
        self,
        path: Path,
        fps: int,
        size: tuple[int, int],
        duration_s: float,
        options: EncodeOptions | None = None,
    ):
        width, height = size
        if width % 2 or height % 2:
            raise SynthError(f"yuv420p needs an even frame size, got {width}x{height}")
        self.path = Path(path)
        self.options = options or EncodeOptions()
        self._size = size
        self._count = 0
        rate = int(0.9 * self.options.max_bytes * 8 / max(duration_s, 1.0))
        keyint = max(1, round(self.options.keyframe_s * fps))
        self._container: av.container.OutputContainer = av.open(
            str(self.path), mode="w", format="mp4", container_options={"movflags": "+faststart"}
        )
        stream = self._container.add_stream(
            "libx264",
            rate=Fraction(fps),
            options={
                "crf": str(self.options.crf),
                "preset": self.options.preset,
                "profile": "high",
                "maxrate": str(rate),
                "bufsize": str(2 * rate),
                "threads": "1",
                "x264-params": f"keyint={keyint}:min-keyint={keyint}:scenecut=0:mbtree=0",
            },
        )
        assert isinstance(stream, av.video.stream.VideoStream)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps)
        self._stream = stream

    def write(self, image: np.ndarray) -> None:
        if image.shape != (self._size[1], self._size[0], 3) or image.dtype != np.uint8:
            raise SynthError(f"frame of shape {image.shape} {image.dtype}, expected {self._size}")
        # OpenCV's BT.601 limited-range conversion: what swscale does, ten times faster.
        i420 = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420), np.uint8)
        frame = av.VideoFrame.from_ndarray(i420, format="yuv420p")
        frame.pts = self._count
        frame.time_base = self._stream.codec_context.time_base
        self._count += 1
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        size = self.path.stat().st_size
        if size > self.options.max_bytes:
            raise SynthError(f"{self.path}: {size} bytes, over the {self.options.max_bytes} budget")

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self._container.close()
