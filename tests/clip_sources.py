"""H.264 sources like IP cameras' (libx264 through PyAV) whose pictures tell their frame number,
and event clips gathered from their packets as the service gathers them."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

from stairwatch.media.clips import CameraClips
from stairwatch.media.packet_clip import Hide
from stairwatch.media.recording import FinishedClip
from stairwatch.media.settings import ClipSettings
from streams.file_source import FileSource

FIRST_GREY, GREY_STEP = 16, 4  # frame i is grey level FIRST_GREY + GREY_STEP * i


def numbered_picture(index: int, width: int = 160, height: int = 96) -> NDArray[np.uint8]:
    """(height, width, 3) BGR of one grey level that tells ``index`` (0 to 59)."""
    return np.full((height, width, 3), FIRST_GREY + GREY_STEP * index, np.uint8)


def frame_number(picture: av.VideoFrame) -> int:
    """The ``index`` of a decoded :func:`numbered_picture` (its median grey level)."""
    grey = float(np.median(picture.to_ndarray(format="gray")))
    return round((grey - FIRST_GREY) / GREY_STEP)


def write_h264_clip(
    path: Path,
    frames: int = 60,
    fps: int = 10,
    gop: int = 10,
    bframes: int = 0,
    pix_fmt: str = "yuv420p",
) -> Path:
    """``frames`` numbered pictures as H.264 in MP4: a key frame every ``gop`` frames (no
    others), ``bframes`` B-frames in a row at most; ``pix_fmt`` yuv444p gives the High 4:4:4
    profile, which browsers do not play."""
    x264 = f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes={bframes}"
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream("libx264", rate=fps, options={"x264-params": x264, "crf": "18"})
        assert isinstance(stream, av.video.stream.VideoStream)
        stream.width, stream.height, stream.pix_fmt = 160, 96, pix_fmt
        for index in range(frames):
            picture = av.VideoFrame.from_ndarray(numbered_picture(index), format="bgr24")
            out.mux(stream.encode(picture))
        out.mux(stream.encode(None))
    return path


def recorded_clip(
    path: Path, alert_ts: float, settings: ClipSettings, hide: Hide | None = None
) -> FinishedClip:
    """The clip of an event raised at ``alert_ts`` on a camera looping ``path`` from time 0,
    its packets kept by :class:`CameraClips` as a reader hands them over."""
    finished: list[FinishedClip] = []
    clips = CameraClips("cam", settings, finished.append, hide)
    source = FileSource(path, "cam", loop=True, start_time=0.0, sample_fps=2, packet_tap=clips)
    with source:
        frames = iter(source)  # one pass on: a second iterator would start the clock again
        for frame in frames:
            if frame.timestamp >= alert_ts:
                clips.event_raised("event-1", alert_ts)
                break
        for _ in frames:
            if finished:
                break
    return finished[0]
