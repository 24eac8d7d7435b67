"""The bench's cameras: sample clips re-encoded to the benchmark's size and rate, and still scenes.

Every source clip becomes a ``WIDTH x HEIGHT`` file at ``fps`` (at most ``max_seconds`` long) in
a work folder, H.264 as IP cameras send it (or MPEG-4 Part 2, the bench's format before
2026-12-07); its sidecar's zones and rules, if any, come along.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from alerts.params import RuleParamsOverride
from stairwatch.config import ZoneConfig
from stairwatch.evaluation.errors import EvaluationError
from stairwatch.evaluation.sidecar import VIDEO_SUFFIXES, Sidecar, load_sidecar
from streams.errors import StreamError
from streams.file_source import FileSource

STILL_SECONDS = 10.0
STILL_EVERY_S = 5.0
MAX_STILLS = 6
SENSOR_NOISE = 2.0  # grey levels (standard deviation) added to still scenes, like a real camera
CODECS = ("h264", "mpeg4")
GOP_S = 2.0  # seconds between key frames: IP cameras' usual default (1 to 2 s)


class BenchClipError(Exception):
    """No usable clip, or a clip cannot be read or written."""


@dataclass(frozen=True)
class BenchClip:
    """One prepared clip; ``zones`` and ``rules`` come from the source clip's sidecar, if any."""

    name: str
    path: Path
    zones: tuple[ZoneConfig, ...]
    rules: RuleParamsOverride | None
    stills: tuple[NDArray[np.uint8], ...]  # a frame every STILL_EVERY_S seconds, the first first
    objects: int | None = None  # still scenes: how many of our objects the detector sees in it

    @property
    def first_frame(self) -> NDArray[np.uint8]:
        return self.stills[0]


@dataclass(frozen=True)
class ClipFormat:
    """The cameras' pictures and stream: ``codec`` one of :data:`CODECS`."""

    width: int = 640
    height: int = 360
    fps: int = 15
    max_seconds: float = 60.0
    codec: str = "h264"


def source_videos(clips_dir: Path) -> list[Path]:
    if not clips_dir.is_dir():
        raise BenchClipError(f"{clips_dir}: not a directory")
    videos = sorted(p for p in clips_dir.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    if not videos:
        raise BenchClipError(f"{clips_dir}: no video (suffixes: {' '.join(VIDEO_SUFFIXES)})")
    return videos


def prepare_clips(clips_dir: Path, work_dir: Path, fmt: ClipFormat) -> list[BenchClip]:
    """Every video of ``clips_dir`` re-encoded to ``fmt`` under ``work_dir``."""
    work_dir.mkdir(parents=True, exist_ok=True)
    return [_prepare(video, work_dir, fmt) for video in source_videos(clips_dir)]


def still_clip(image: NDArray[np.uint8], path: Path, fmt: ClipFormat, seed: int = 0) -> Path:
    """``image`` for :data:`STILL_SECONDS` with fresh sensor noise on every frame."""
    rng = np.random.default_rng(seed)
    height, width = image.shape[:2]
    with _writing(path, width, height, fmt) as write:
        base = image.astype(np.float32)
        for _ in range(round(STILL_SECONDS * fmt.fps)):
            noise = rng.normal(0.0, SENSOR_NOISE, image.shape).astype(np.float32)
            write(np.clip(base + noise, 0, 255).astype(np.uint8))
    return path


def _prepare(video: Path, work_dir: Path, fmt: ClipFormat) -> BenchClip:
    target = work_dir / f"{video.stem}_{fmt.width}x{fmt.height}_{fmt.fps}_{fmt.codec}.mp4"
    stills: list[NDArray[np.uint8]] = []
    every = max(1, round(STILL_EVERY_S * fmt.fps))
    with _writing(target, fmt.width, fmt.height, fmt) as write:
        for index, image in enumerate(_frames(video, fmt)):
            if index % every == 0 and len(stills) < MAX_STILLS:
                stills.append(image)
            write(image)
    if not stills:
        raise BenchClipError(f"{video}: no frame could be decoded")
    sidecar = _sidecar(video)
    zones = tuple(sidecar.zones) if sidecar else ()
    return BenchClip(video.stem, target, zones, sidecar.rules if sidecar else None, tuple(stills))


def _frames(video: Path, fmt: ClipFormat) -> Iterator[NDArray[np.uint8]]:
    """The clip at ``fmt.fps`` (frames repeated or skipped by their timestamps), resized."""
    size = (fmt.width, fmt.height)
    period = 1.0 / fmt.fps
    next_t = 0.0
    try:
        with FileSource(video, video.stem, start_time=0.0) as source:
            for frame in source:
                if frame.position_s >= fmt.max_seconds:
                    return
                image: NDArray[np.uint8] | None = None
                while next_t <= frame.position_s + period / 2:
                    if image is None:
                        image = np.asarray(
                            cv2.resize(frame.image, size, interpolation=cv2.INTER_AREA)
                        )
                    yield image
                    next_t += period
    except StreamError as exc:
        raise BenchClipError(str(exc)) from exc


def _sidecar(video: Path) -> Sidecar | None:
    path = video.with_suffix(".json")
    if not path.is_file():
        return None
    try:
        return load_sidecar(path)
    except EvaluationError:  # a broken sidecar only costs the zones and rules
        return None


Write = Callable[[NDArray[np.uint8]], None]


@contextmanager
def _writing(path: Path, width: int, height: int, fmt: ClipFormat) -> Iterator[Write]:
    """A function that appends a (height, width, 3) BGR picture to ``path`` in ``fmt.codec``."""
    if fmt.codec == "mpeg4":
        with _mpeg4(path, width, height, fmt.fps) as write:
            yield write
    elif fmt.codec == "h264":
        with _h264(path, width, height, fmt.fps) as write:
            yield write
    else:
        raise BenchClipError(f"unknown camera codec {fmt.codec!r} (one of {', '.join(CODECS)})")


@contextmanager
def _h264(path: Path, width: int, height: int, fps: int) -> Iterator[Write]:
    """As an IP camera streams it: Main profile, no B-frames, a key frame every :data:`GOP_S`
    seconds and none at scene cuts."""
    gop = max(1, round(GOP_S * fps))
    options = {
        "preset": "veryfast",
        "profile": "main",
        "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0",
    }
    try:
        with av.open(str(path), mode="w") as out:
            stream = out.add_stream("libx264", rate=fps, options=options)
            if not isinstance(stream, av.video.stream.VideoStream):
                raise BenchClipError("libx264 did not give a video stream")
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"

            def write(image: NDArray[np.uint8]) -> None:
                out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")))

            yield write
            out.mux(stream.encode(None))
    except av.FFmpegError as exc:
        raise BenchClipError(f"cannot write {path}: {exc}") from exc


@contextmanager
def _mpeg4(path: Path, width: int, height: int, fps: int) -> Iterator[Write]:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise BenchClipError(f"cannot write {path}")

    def write(image: NDArray[np.uint8]) -> None:
        writer.write(image)

    try:
        yield write
    finally:
        writer.release()
