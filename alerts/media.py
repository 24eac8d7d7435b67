"""Evidence files under the media folder: where they go and how they are written safely."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from alerts.errors import StoreError

SNAPSHOT_DIR = "snapshots"
CLIP_DIR = "clips"
TRAINING_DIR = "training"
PHOTO_DIR = "photos"  # a patroller's photo of the place, taken when resolving
MAX_TRAINING_FRAMES = 5  # per event: the frame it was raised on and the next better ones


@dataclass(frozen=True)
class EventMedia:
    """One event's evidence files as retention sees them.

    Times are Unix seconds; paths are relative to the media folder (``clip_path`` None: no clip).
    """

    event_id: str
    alert_ts: float
    end_ts: float | None
    snapshot_path: str
    clip_path: str | None
    photo_path: str | None = None


def snapshot_relpath(event_id: str, alert_ts: float) -> str:
    """``snapshots/YYYY-MM-DD/<id>.jpg`` (local date of the alert), POSIX separators."""
    return _dated_relpath(SNAPSHOT_DIR, event_id, alert_ts, ".jpg")


def clip_relpath(event_id: str, alert_ts: float) -> str:
    """``clips/YYYY-MM-DD/<id>.mp4`` (local date of the alert), POSIX separators."""
    return _dated_relpath(CLIP_DIR, event_id, alert_ts, ".mp4")


def photo_relpath(event_id: str, alert_ts: float) -> str:
    """``photos/YYYY-MM-DD/<id>.jpg`` (local date of the alert), POSIX separators."""
    return _dated_relpath(PHOTO_DIR, event_id, alert_ts, ".jpg")


def training_folder(event_id: str, alert_ts: float) -> str:
    """``training/YYYY-MM-DD/<id>``: the event's unredacted frames kept to learn from, as
    ``0.jpg``, ``1.jpg``, ..."""
    return _dated_relpath(TRAINING_DIR, event_id, alert_ts, "")


def _dated_relpath(folder: str, event_id: str, alert_ts: float, suffix: str) -> str:
    day = datetime.fromtimestamp(alert_ts).strftime("%Y-%m-%d")
    return str(PurePosixPath(folder, day, f"{event_id}{suffix}"))


def resolve_media_path(media_dir: Path, relpath: str) -> Path:
    """The absolute path of a stored relative path; refuses anything that leaves ``media_dir``."""
    root = media_dir.resolve()
    path = (root / relpath).resolve()
    if not path.is_relative_to(root):
        raise StoreError(f"media path {relpath!r} points outside the media folder")
    return path


def write_temp(path: Path, data: bytes) -> Path:
    """Write ``data`` to a hidden temporary file beside ``path`` (same file system) and fsync it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise StoreError(f"cannot write under {path.parent}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        remove_quietly(Path(tmp))
        raise StoreError(f"cannot write {path}: {exc.strerror}") from exc
    return Path(tmp)


def commit_temp(tmp: Path, path: Path) -> None:
    """Atomically move a file written by :func:`write_temp` into place."""
    try:
        os.replace(tmp, path)
    except OSError as exc:
        remove_quietly(tmp)
        raise StoreError(f"cannot move evidence into {path}: {exc.strerror}") from exc


def remove_quietly(path: Path) -> None:
    """Delete a file if it is there; cleanup must not mask the error that caused it."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def remove_folder_quietly(media_dir: Path, relpath: str) -> None:
    """Delete a folder of evidence and what is in it, if it is there (as :func:`remove_quietly`)."""
    with contextlib.suppress(OSError, StoreError):
        shutil.rmtree(resolve_media_path(media_dir, relpath))
