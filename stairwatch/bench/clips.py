"""The bench's cameras: sample clips re-encoded to the benchmark's size and rate, and still scenes.

Every source clip becomes a ``WIDTH x HEIGHT`` MPEG-4 file at ``fps`` (at most ``max_seconds``
long) in a work folder; its sidecar's zones and rules, if any, come along.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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
    width: int = 640
    height: int = 360
    fps: int = 15
    max_seconds: float = 60.0


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


def still_clip(image: NDArray[np.uint8], path: Path, fps: int, seed: int = 0) -> Path:
    """``image`` for :data:`STILL_SECONDS` with fresh sensor noise on every frame."""
    rng = np.random.default_rng(seed)
    height, width = image.shape[:2]
    writer = _writer(path, width, height, fps)
    try:
        base = image.astype(np.float32)
        for _ in range(round(STILL_SECONDS * fps)):
            noise = rng.normal(0.0, SENSOR_NOISE, image.shape).astype(np.float32)
            writer.write(np.clip(base + noise, 0, 255).astype(np.uint8))
    finally:
        writer.release()
    return path


def _prepare(video: Path, work_dir: Path, fmt: ClipFormat) -> BenchClip:
    target = work_dir / f"{video.stem}_{fmt.width}x{fmt.height}_{fmt.fps}.mp4"
    stills: list[NDArray[np.uint8]] = []
    every = max(1, round(STILL_EVERY_S * fmt.fps))
    writer = _writer(target, fmt.width, fmt.height, fmt.fps)
    try:
        for index, image in enumerate(_frames(video, fmt)):
            if index % every == 0 and len(stills) < MAX_STILLS:
                stills.append(image)
            writer.write(image)
    finally:
        writer.release()
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


def _writer(path: Path, width: int, height: int, fps: int) -> cv2.VideoWriter:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise BenchClipError(f"cannot write {path}")
    return writer
