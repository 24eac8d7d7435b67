"""Event media kept in the database (``storage.media: database``): a snapshot's or clip's bytes
in ``event_media`` next to their event, written in the same transaction as the event's row, so
every node of a fleet can show and send them. Each node keeps the files it wrote or read as a
local cache under its media folder; a file missing there is fetched from the database."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alerts.fleet_models import EventMediaRow
from alerts.media import commit_temp, write_temp
from alerts.models import EventRow


class MediaKind(StrEnum):
    SNAPSHOT = "snapshot"
    CLIP = "clip"


def keep_media(session: Session, event_id: str, kind: MediaKind, data: bytes) -> None:
    """Store (or replace) the event's ``kind`` bytes in ``session``'s transaction."""
    session.merge(EventMediaRow(event_id=event_id, kind=kind.value, data=data))


def restore_media(session: Session, event_id: str, kind: MediaKind, path: Path) -> bool:
    """Write the stored bytes to ``path`` (atomically); False when the database has none."""
    data = session.scalar(
        select(EventMediaRow.data).where(
            EventMediaRow.event_id == event_id, EventMediaRow.kind == kind.value
        )
    )
    if data is None:
        return False
    commit_temp(write_temp(path, bytes(data)), path)
    return True


def media_owner(session: Session, relpath: str) -> tuple[str, MediaKind] | None:
    """The event and kind whose snapshot or clip is stored at ``relpath``, if any."""
    row = session.execute(
        select(EventRow.id, EventRow.snapshot_path).where(
            or_(EventRow.snapshot_path == relpath, EventRow.clip_path == relpath)
        )
    ).first()
    if row is None:
        return None
    event_id, snapshot = row
    return event_id, MediaKind.SNAPSHOT if snapshot == relpath else MediaKind.CLIP
