"""A site's first week as the service would have stored it: every event with its snapshot,
one training frame and the operator's verdict, written through the store's own API into a
fresh store, then ``stairwatch dataset export``'s own function over it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from alerts.events import EventRecord, Severity
from alerts.store import EventStore
from alerts.stored import CameraInfo
from lab.teach_round.cameras import Camera
from lab.teach_round.verdicts import SiteEvent
from stairwatch.config import Settings
from stairwatch.evaluation.frames import nearest_frames
from stairwatch.evaluation.sidecar import LabeledClip
from stairwatch.teach.export import ExportOptions, Manifest, export_dataset

FIRST_DAY = 1_796_083_200.0  # 2026-12-01 00:00 UTC: the site's first week starts
CLIP_SPACING_S = 3600.0  # a camera's clips an hour apart: each is a run of its own
OPERATOR = "teach-round"


@dataclass(frozen=True)
class Placed:
    """Where an event lands on the site's clock: its camera and alert time (Unix seconds)."""

    camera_id: str
    alert_ts: float


def place(event: SiteEvent, cameras: Sequence[Camera]) -> Placed:
    """The ``i``-th clip of a camera (by name) plays ``i`` hours after the first day begins."""
    name = Path(event.clip).stem
    for camera in cameras:
        if name in camera.clips:
            index = camera.clips.index(name)
            return Placed(camera.id, FIRST_DAY + index * CLIP_SPACING_S + event.at_s)
    raise ValueError(f"clip {event.clip} belongs to no camera of the first week")


def _jpeg(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:
        raise ValueError("cannot encode a frame as JPEG")
    return data.tobytes()


def record_events(
    store: EventStore,
    events: Sequence[SiteEvent],
    clips: Sequence[LabeledClip],
    cameras: Sequence[Camera],
) -> int:
    """Store each event (snapshot and training frame: the clip's frame at ``at_s``) and its
    verdict; returns how many were reviewed."""
    by_name = {c.name: c for c in clips}  # the clip's file name, as eval's rows name it
    reviewed = 0
    for clip_name in sorted({e.clip for e in events}):
        mine = [e for e in events if e.clip == clip_name]
        frames = nearest_frames(by_name[clip_name].video, [e.at_s for e in mine])
        for number, event in enumerate(mine):
            placed = place(event, cameras)
            jpeg = _jpeg(frames[event.at_s].image)
            record = EventRecord(
                key=f"{clip_name}#{number}",
                camera_id=placed.camera_id,
                zone=event.zone,
                type=event.type,
                severity=Severity.HIGH,
                track_id=None,
                confidence=0.5,
                start_ts=placed.alert_ts,
                alert_ts=placed.alert_ts,
            )
            stored = store.record_raised(
                record, CameraInfo(placed.camera_id, Path(clip_name).stem), jpeg
            )
            store.record_training_frame(stored.id, jpeg)
            if event.review is not None:
                store.review(stored.id, OPERATOR, event.review)
                reviewed += 1
    return reviewed


def site_settings(cameras: Sequence[Camera], clips: Sequence[LabeledClip], data: Path) -> Settings:
    """A configuration of the first week's cameras (each watching its first clip)."""
    by_name = {c.video.stem: c for c in clips}
    return Settings.model_validate(
        {
            "cameras": [{"id": c.id, "source": str(by_name[c.clips[0]].video)} for c in cameras],
            "storage": {"data_dir": str(data)},
        }
    )


def export_first_week(
    events: Sequence[SiteEvent],
    clips: Sequence[LabeledClip],
    cameras: Sequence[Camera],
    work: Path,
    out: Path,
) -> tuple[int, Manifest]:
    """Fill a fresh store under ``work`` and export it to ``out`` with the export's defaults;
    (events reviewed, the export's manifest)."""
    settings = site_settings(cameras, clips, work)
    storage = settings.storage
    store = EventStore.open(storage.resolved_database_url(), storage.data_dir / "media")
    try:
        reviewed = record_events(store, events, clips, cameras)
        return reviewed, export_dataset(store, settings, ExportOptions(out=out))
    finally:
        store.close()
