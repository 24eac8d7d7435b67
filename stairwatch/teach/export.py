"""``stairwatch dataset export``: a site's reviewed events as an Ultralytics dataset and an
evaluation set of its own clips.

Layout of the folder written::

    data.yaml                  path/train/val/names (the bundled model's four classes, in order)
    images/{train,val}/CAMERA_TIME_N.jpg   training frame N of the event CAMERA raised at TIME
                               (UTC, ``20261207T101530.250Z``), as the camera saw it
    labels/{train,val}/CAMERA_TIME_N.txt   its YOLO rows (empty: a hard negative)
    clips/ID.mp4 + ID.json     every reviewed event's clip with its ground-truth sidecar
    clips-val/                 the same for the validation side only (held out from training)
    manifest.json              what came from which event, and what was skipped and why
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from alerts.errors import ClipMissing, StoreError
from alerts.store import EventStore
from alerts.stored import StoredEvent
from lab.synth.yolo_labels import yolo_line
from stairwatch.config import Settings
from stairwatch.teach.errors import ExportError
from stairwatch.teach.labels import EventLabels, FrameLabels, event_labels
from stairwatch.teach.sidecars import event_sidecar
from stairwatch.teach.split import Split, Timed, split_events
from vision.kinds import KIND_NAMES

MANIFEST_NAME = "manifest.json"
CLIPS_DIR = "clips"
HELD_OUT_CLIPS_DIR = "clips-val"


@dataclass(frozen=True)
class ExportOptions:
    """``since``: only events alerted at or after it (Unix seconds); ``cameras``: only these
    (None: all); ``gap_s`` and ``val_share`` as :func:`~stairwatch.teach.split.split_events`."""

    out: Path
    since: float | None = None
    cameras: tuple[str, ...] | None = None
    gap_s: float = 1800.0
    val_share: float = 0.2


class ManifestEvent(BaseModel):
    """One reviewed event and what the export made of it."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    camera_id: str
    type: str
    alert_ts: float
    verdict: str
    reason: str | None
    split: Split | None
    images: list[str]
    boxes: int
    clip: str | None
    skipped: list[str]


class Manifest(BaseModel):
    """The whole ``manifest.json``."""

    model_config = ConfigDict(frozen=True)

    created_at: float
    since: float | None
    cameras: list[str] | None
    names: list[str]
    images: dict[str, int]
    clips: dict[str, int]
    events: list[ManifestEvent]


def export_dataset(store: EventStore, settings: Settings, options: ExportOptions) -> Manifest:
    """Write the dataset (see the module doc); raises :class:`ExportError` for bad input
    (unknown camera, a folder that holds files already, nothing to learn from)."""
    _check_cameras(settings, options.cameras)
    _check_out(options.out)
    events = store.reviewed(options.since, list(options.cameras) if options.cameras else None)
    if not events:
        raise ExportError(
            "no reviewed event" + _since_text(options.since) + ": give verdicts first"
        )
    labels = {e.id: event_labels(e) for e in events}
    placed = [e for e in events if labels[e.id].frames or e.clip_path is not None]
    if not any(labels[e.id].frames for e in placed):
        reasons = sorted({labels[e.id].skipped or "" for e in events} - {""})
        raise ExportError(f"none of {len(events)} reviewed events has frames to learn from: "
                          + "; ".join(reasons))  # fmt: skip
    sides = split_events(
        [Timed(e.id, e.camera_id, e.alert_ts) for e in placed], options.gap_s, options.val_share
    )
    for side in Split:
        for folder in ("images", "labels"):
            (options.out / folder / side.value).mkdir(parents=True, exist_ok=True)
    stems = image_stems(events)
    rows = [
        _export_event(store, settings, options.out, e, labels[e.id], sides.get(e.id), stems[e.id])
        for e in events
    ]
    _write_data_yaml(options.out)
    manifest = Manifest(
        created_at=time.time(),
        since=options.since,
        cameras=None if options.cameras is None else list(options.cameras),
        names=list(KIND_NAMES),
        images={s.value: sum(len(r.images) for r in rows if r.split is s) for s in Split},
        clips={s.value: sum(r.clip is not None for r in rows if r.split is s) for s in Split},
        events=rows,
    )
    (options.out / MANIFEST_NAME).write_text(manifest.model_dump_json(indent=2) + "\n", "utf-8")
    return manifest


def _check_cameras(settings: Settings, cameras: tuple[str, ...] | None) -> None:
    known = [c.id for c in settings.cameras]
    unknown = [c for c in cameras or () if c not in known]
    if unknown:
        raise ExportError(
            f"--cameras: unknown camera {', '.join(unknown)} (cameras: {', '.join(known)})"
        )


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"--out {out}: exists and is not an empty folder; choose a new one")


def _since_text(since: float | None) -> str:
    return "" if since is None else " since " + time.strftime("%Y-%m-%d", time.localtime(since))


def _export_event(
    store: EventStore,
    settings: Settings,
    out: Path,
    event: StoredEvent,
    labels: EventLabels,
    side: Split | None,
    stem: str,
) -> ManifestEvent:
    skipped = [] if labels.skipped is None else [labels.skipped]
    images: list[str] = []
    if side is not None:
        for frame in labels.frames:
            written = _write_frame(store, out, event.id, f"{stem}_{frame.index}", frame, side)
            images.extend([written] if written else [])
            skipped.extend([] if written else [f"training frame {frame.index} is gone"])
    clip, why_not = (None, None) if side is None else _write_clip(store, settings, out, event, side)
    skipped.extend([why_not] if why_not else [])
    review = event.review
    return ManifestEvent(
        event_id=event.id,
        camera_id=event.camera_id,
        type=event.type.value,
        alert_ts=event.alert_ts,
        verdict="" if review is None else review.verdict.value,
        reason=None if review is None or review.reason is None else review.reason.value,
        split=side,
        images=images,
        boxes=sum(len(f.boxes) for f in labels.frames) if images else 0,
        clip=clip,
        skipped=skipped,
    )


def _write_frame(
    store: EventStore, out: Path, event_id: str, name: str, frame: FrameLabels, side: Split
) -> str | None:
    """Copy one training frame as ``name`` and write its labels; the image's path relative to
    ``out``, or None when the frame is gone (retention ran meanwhile)."""
    try:
        source = store.training_frame_path(event_id, frame.index)
    except StoreError:
        return None
    image = Path("images") / side.value / f"{name}.jpg"
    shutil.copyfile(source, out / image)
    rows = [yolo_line(KIND_NAMES.index(b.kind.value), b.xyxy, 1, 1) for b in frame.boxes]
    (out / "labels" / side.value / f"{name}.txt").write_text("".join(rows), encoding="utf-8")
    return image.as_posix()


def image_stems(events: Sequence[StoredEvent]) -> dict[str, str]:
    """Event id -> the stem of its images: camera id and alert time (UTC, to the millisecond),
    ``-2``, ``-3``... for more events of a camera at the same time (ordered by type and zone).

    Never the random event id: trainers read images in name order, so the same events always
    give the same dataset, and a camera's images sort by time."""
    stems: dict[str, str] = {}
    taken: dict[str, int] = {}
    for event in sorted(
        events, key=lambda e: (e.camera_id, e.alert_ts, e.type, e.zone or "", e.id)
    ):
        base = f"{_safe(event.camera_id)}_{_utc_ms(event.alert_ts)}"
        taken[base] = taken.get(base, 0) + 1
        stems[event.id] = base if taken[base] == 1 else f"{base}-{taken[base]}"
    return stems


def _utc_ms(ts: float) -> str:
    """Unix seconds -> ``20261207T101530.250Z``."""
    seconds, ms = divmod(round(ts * 1000), 1000)
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(seconds)) + f".{ms:03d}Z"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "-", name)


def _write_clip(
    store: EventStore, settings: Settings, out: Path, event: StoredEvent, side: Split
) -> tuple[str | None, str | None]:
    """The event's clip and sidecar under ``clips/`` (and ``clips-val/`` when held out):
    (its path relative to ``out``, None) or (None, why there is none)."""
    camera = next((c for c in settings.cameras if c.id == event.camera_id), None)
    if camera is None:
        return None, f"camera {event.camera_id} is not in the configuration: no clip sidecar"
    try:
        source = store.clip_path(event.id)
    except ClipMissing as exc:
        return None, str(exc)
    sidecar = event_sidecar(event, camera, settings.clips).model_dump_json(
        indent=2, exclude_none=True
    )
    folders = [CLIPS_DIR, *([HELD_OUT_CLIPS_DIR] if side is Split.VAL else [])]
    for folder in folders:
        (out / folder).mkdir(exist_ok=True)
        target = out / folder / f"{event.id}{source.suffix}"
        if folder == CLIPS_DIR:
            shutil.copyfile(source, target)
        else:
            _link_or_copy(out / CLIPS_DIR / target.name, target)
        target.with_suffix(".json").write_text(sidecar + "\n", encoding="utf-8")
    return f"{CLIPS_DIR}/{event.id}{source.suffix}", None


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _write_data_yaml(out: Path) -> None:
    data = {
        "path": ".",
        "train": "images/train",
        "val": "images/val",
        "nc": len(KIND_NAMES),
        "names": dict(enumerate(KIND_NAMES)),
    }
    (out / "data.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
