"""Events with real evidence files for the clip, retention and browser tests."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from alerts.events import EventType
from alerts.snapshot import render_snapshot
from alerts.store import EventStore
from alerts.stored import CameraInfo, StoredEvent
from stairwatch.media.encode import encode_mp4_bytes
from stairwatch.media.ring import RingFrame, compress
from streams.frame import Frame
from tests.records import parked_record

CAMERA = CameraInfo("cam-3f", "3F 楼梯间", "3号楼", "3F")


def noise(width: int = 320, height: int = 180, low: int = 60, high: int = 200) -> NDArray[np.uint8]:
    """A fixed (seed 0) (height, width, 3) BGR picture of grey levels in [low, high)."""
    return np.random.default_rng(0).integers(low, high, (height, width, 3), dtype=np.uint8)


def write_clip(path: Path, images: Iterable[NDArray[np.uint8]], fps: float = 10.0) -> Path:
    """An MP4 (mp4v) of ``images`` (same-size BGR uint8) at ``fps``."""
    writer: cv2.VideoWriter | None = None
    for image in images:
        if writer is None:
            size = (image.shape[1], image.shape[0])
            writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
        writer.write(image)
    if writer is None:
        raise ValueError(f"no images for the clip {path}")
    writer.release()
    return path


def write_static_clip(
    path: Path, seconds: float = 4.0, fps: int = 10, width: int = 320, height: int = 180
) -> Path:
    """``seconds`` of one still noisy picture: nothing moves."""
    background = noise(width, height)
    return write_clip(path, (background for _ in range(int(seconds * fps))), fps)


def scene(t: float, width: int = 320, height: int = 180) -> NDArray[np.uint8]:
    """A grey landing with a square that moves with ``t`` (seconds), so frames differ."""
    image = np.full((height, width, 3), 90, np.uint8)
    x = int((t * 40) % (width - 40))
    image[height // 2 : height // 2 + 40, x : x + 40] = (40, 160, 230)
    return image


def camera_frame(t: float, index: int = 0, width: int = 320, height: int = 180) -> Frame:
    return Frame(CAMERA.id, scene(t, width, height), timestamp=t, position_s=t, index=index)


def clip_bytes(seconds: float = 2.0, fps: float = 8.0, t0: float = 0.0) -> bytes:
    count = round(seconds * fps)
    frames = [RingFrame(t0 + i / fps, compress(scene(t0 + i / fps), 320, 80)) for i in range(count)]
    return encode_mp4_bytes(frames, fps)


def raise_event(
    store: EventStore,
    alert_ts: float,
    end_ts: float | None = None,
    type_: EventType = EventType.EBIKE_PARKED,
) -> StoredEvent:
    """A stored event with a real snapshot; ended at ``end_ts`` when given."""
    record = parked_record(f"k-{alert_ts}-{type_.value}", CAMERA.id, "landing", alert_ts, type_)
    snapshot = render_snapshot(scene(alert_ts, 640, 360), None, [], f"{CAMERA.name} {type_}")
    stored = store.record_raised(record, CAMERA, snapshot)
    return stored if end_ts is None else store.record_end(stored.id, end_ts)
