"""Deletion requests: remove every trace of one camera, of everything before a date, or of one
event (a resident asks; PIPL gives them the right).

:func:`purge` removes, for the events of its :class:`PurgeScope`: the event rows (their reviews
are columns of them), their audit trails, every outbox row about them (deliveries, reminders,
feed messages, and digests that name one of them), their waiting digest items, and their files
(snapshot, clip, patroller's photo, training frames). A camera's scope also takes the outbox
rows about the camera itself; a date's scope also takes what is left in the media folder's day
folders wholly before that date (files no row points at any more). Nothing outside the scope is
touched. Rows go in one transaction, before the files (a failure leaves orphan files, never rows
that point at nothing). Each purge is written to the access log: who, what, how many.
``dry_run`` counts without deleting (and is not logged).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.access_log import AccessAction
from alerts.errors import StoreError
from alerts.fleet_models import EventMediaRow
from alerts.media import CLIP_DIR, PHOTO_DIR, SNAPSHOT_DIR, TRAINING_DIR, resolve_media_path
from alerts.models import EventActionRow, EventRow
from alerts.outbox_models import DigestItemRow, OutboxRow
from alerts.store import EventStore
from alerts.store_db import transaction

T = TypeVar("T")

CHUNK = 500  # ids per statement, well under SQLite's bound-parameter limit
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")
MEDIA_FOLDERS = (SNAPSHOT_DIR, CLIP_DIR, PHOTO_DIR, TRAINING_DIR)


class PurgeError(StoreError):
    """A purge was asked for with a bad argument (named in the message)."""


class PurgeScope(BaseModel):
    """What to purge: exactly one of a camera id, a time (events alerted before these Unix
    seconds) or an event id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    camera_id: str | None = None
    before: float | None = None
    event_id: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> PurgeScope:
        given = [v for v in (self.camera_id, self.before, self.event_id) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of a camera, a date or an event")
        return self

    def describe(self) -> str:
        """``camera cam-3f``, ``before 2026-12-01T00:00:00+08:00`` or ``event <id>``."""
        if self.camera_id is not None:
            return f"camera {self.camera_id}"
        if self.before is not None:
            return "before " + datetime.fromtimestamp(self.before).astimezone().isoformat()
        return f"event {self.event_id}"


class PurgeReport(BaseModel):
    """What a purge removed (or, with ``dry_run``, would remove)."""

    model_config = ConfigDict(frozen=True)

    scope: str
    dry_run: bool
    events: int
    trail_rows: int
    outbox_rows: int
    digest_items: int
    files: int

    def summary(self) -> str:
        """``5 events, 12 trail rows, 7 outbox rows, 0 digest items, 9 files``."""
        return (
            f"{self.events} events, {self.trail_rows} trail rows, {self.outbox_rows} outbox "
            f"rows, {self.digest_items} digest items, {self.files} files"
        )


def parse_before(text: str, tz: tzinfo | None = None) -> float:
    """``YYYY-MM-DD`` (midnight) or ``YYYY-MM-DDTHH:MM[:SS]`` in ``tz`` (None: this machine's
    zone) -> Unix seconds; :class:`PurgeError` naming the value otherwise."""
    for fmt in DATE_FORMATS:
        try:
            moment = datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        return (moment.replace(tzinfo=tz) if tz else moment.astimezone()).timestamp()
    raise PurgeError(f"before {text!r} is not a date: give YYYY-MM-DD or YYYY-MM-DDTHH:MM")


def scope_for(
    camera: str | None, before: str | None, event: str | None, tz: tzinfo | None = None
) -> PurgeScope:
    """The scope of exactly one given selector (texts as a person typed them)."""
    values = {"camera": camera, "before": before, "event": event}
    given = {name: v for name, v in values.items() if v is not None and v.strip()}
    if len(given) != 1:
        shown = ", ".join(f"{k}={v!r}" for k, v in given.items()) or "none"
        raise PurgeError(f"give exactly one of camera, before or event (got {shown})")
    if camera is not None and camera.strip():
        return PurgeScope(camera_id=camera.strip())
    if before is not None and before.strip():
        return PurgeScope(before=parse_before(before, tz))
    return PurgeScope(event_id=(event or "").strip())


@dataclass(frozen=True)
class _Found:
    """The rows and files of a scope."""

    event_ids: list[str]
    outbox_ids: list[int]
    files: list[Path]
    folders: list[Path]


def purge(
    store: EventStore,
    scope: PurgeScope,
    actor: str,
    dry_run: bool = False,
    address: str | None = None,
    known_cameras: Collection[str] = (),
    now: float | None = None,
) -> PurgeReport:
    """Remove (or count) everything of ``scope``; ``actor`` (who asked) and ``address`` go to
    the access log. Raises :class:`PurgeError` (nothing removed) for an event that does not
    exist, a camera that is neither in ``known_cameras`` nor in the store, or a date in the
    future (``now``, Unix seconds; None: the clock); :class:`StoreError` when the store fails."""
    if scope.before is not None and scope.before > (time.time() if now is None else now):
        raise PurgeError(f"before {scope.describe().removeprefix('before ')!r} is in the future")
    with transaction(sessionmaker(store.engine), "purge ") as session:
        found = _find(session, store.media_dir, scope, known_cameras)
        trail = _count(session, EventActionRow.event_id, found.event_ids)
        digest = _count(session, DigestItemRow.event_id, found.event_ids)
        if not dry_run:
            _delete_rows(session, found)
    report = PurgeReport(
        scope=scope.describe(),
        dry_run=dry_run,
        events=len(found.event_ids),
        trail_rows=trail,
        outbox_rows=len(found.outbox_ids),
        digest_items=digest,
        files=len(found.files),
    )
    if not dry_run:  # the rows are gone: log it before the files, which may fail one by one
        what = f"{report.scope}: {report.summary()}"
        store.access.record(actor, AccessAction.PURGED, what, address)
        _remove_files(found)
    return report


def _find(
    session: Session, media_dir: Path, scope: PurgeScope, known_cameras: Collection[str]
) -> _Found:
    query = select(
        EventRow.id,
        EventRow.snapshot_path,
        EventRow.clip_path,
        EventRow.photo_path,
        EventRow.training_path,
    )
    if scope.camera_id is not None:
        camera = scope.camera_id
        rows = session.execute(query.where(EventRow.camera_id == camera)).all()
        if not rows and camera not in known_cameras and not _camera_has_outbox(session, camera):
            raise PurgeError(f"camera {camera!r}: no such camera, and nothing stored of it")
    elif scope.before is not None:
        rows = session.execute(query.where(EventRow.alert_ts < scope.before)).all()
    else:
        rows = session.execute(query.where(EventRow.id == scope.event_id)).all()
        if not rows:
            raise PurgeError(f"event {scope.event_id!r}: no event with this id")
    event_ids = [r.id for r in rows]
    relpaths = [
        p for r in rows for p in (r.snapshot_path, r.clip_path, r.photo_path) if p is not None
    ]
    folders = [resolve_media_path(media_dir, r.training_path) for r in rows if r.training_path]
    files = {resolve_media_path(media_dir, p) for p in relpaths} | set(_files_in(folders))
    if scope.before is not None:
        days = _day_folders_before(media_dir, scope.before)
        files |= set(_not_of_others(session, media_dir, _files_in(days), set(event_ids)))
        folders += days
    return _Found(
        event_ids=event_ids,
        outbox_ids=_outbox_ids(session, event_ids, scope.camera_id),
        files=sorted(f for f in files if f.is_file()),
        folders=[f for f in folders if f.is_dir()],
    )


def _files_in(folders: Iterable[Path]) -> Iterator[Path]:
    for folder in folders:
        if folder.is_dir():
            yield from (p for p in folder.rglob("*") if p.is_file())


def _day_folders_before(media_dir: Path, before: float) -> list[Path]:
    """The media folder's ``<kind>/YYYY-MM-DD`` folders of local days that end by ``before``."""
    cutoff_day = datetime.fromtimestamp(before).strftime("%Y-%m-%d")
    folders = []
    for kind in MEDIA_FOLDERS:
        root = media_dir / kind
        if root.is_dir():
            folders += [
                d for d in root.iterdir() if d.is_dir() and _is_day(d.name) and d.name < cutoff_day
            ]
    return folders


def _not_of_others(
    session: Session, media_dir: Path, files: Iterable[Path], in_scope: set[str]
) -> list[Path]:
    """Files of a day folder, less any of an event outside the scope (a day folder is named by
    the local date when the event was stored: a time zone change can move the line)."""
    files = list(files)
    # <kind>/<day>/<id>.jpg|.mp4 or training/<day>/<id>/<n>.jpg: the id is a stem or a folder.
    owners = {f: _owner(f.relative_to(media_dir)) for f in files}
    others = set(owners.values()) - in_scope
    kept: set[str] = set()
    for chunk in _chunks(sorted(others)):
        kept.update(session.scalars(select(EventRow.id).where(EventRow.id.in_(chunk))))
    return [f for f in files if owners[f] not in kept]


def _owner(relpath: Path) -> str:
    """The event id in ``<kind>/<day>/<id>.jpg|.mp4`` or ``training/<day>/<id>/<n>.jpg``."""
    return relpath.parts[2] if relpath.parts[0] == TRAINING_DIR else relpath.stem


def _is_day(name: str) -> bool:
    try:
        datetime.strptime(name, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def _camera_has_outbox(session: Session, camera_id: str) -> bool:
    return bool(
        session.scalar(select(func.count(OutboxRow.id)).where(OutboxRow.camera_id == camera_id))
    )


def _outbox_ids(session: Session, event_ids: Sequence[str], camera_id: str | None) -> list[int]:
    """Outbox rows about these events (a digest naming any of them included), or the camera."""
    ids: set[int] = set()
    for chunk in _chunks(event_ids):
        ids.update(session.scalars(select(OutboxRow.id).where(OutboxRow.event_id.in_(chunk))))
    if camera_id is not None:
        ids.update(session.scalars(select(OutboxRow.id).where(OutboxRow.camera_id == camera_id)))
    wanted = set(event_ids)
    many = select(OutboxRow.id, OutboxRow.payload).where(OutboxRow.event_id.is_(None))
    for row_id, payload in session.execute(many):
        named = {e.get("id") for e in (payload or {}).get("events", []) if isinstance(e, dict)}
        if named & wanted:
            ids.add(row_id)
    return sorted(ids)


def _count(session: Session, column: Any, event_ids: Sequence[str]) -> int:
    """Rows whose ``column`` (an event id column) names one of ``event_ids``."""
    return sum(
        int(session.scalar(select(func.count()).where(column.in_(chunk))) or 0)
        for chunk in _chunks(event_ids)
    )


def _delete_rows(session: Session, found: _Found) -> None:
    for chunk in _chunks(found.outbox_ids):
        session.execute(delete(OutboxRow).where(OutboxRow.id.in_(chunk)))
    for ids in _chunks(found.event_ids):
        session.execute(delete(DigestItemRow).where(DigestItemRow.event_id.in_(ids)))
        session.execute(delete(EventActionRow).where(EventActionRow.event_id.in_(ids)))
        session.execute(delete(EventMediaRow).where(EventMediaRow.event_id.in_(ids)))
        session.execute(delete(EventRow).where(EventRow.id.in_(ids)))


def _remove_files(found: _Found) -> None:
    for path in found.files:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"purge: cannot remove {path}: {exc.strerror}") from exc
    for folder in sorted(found.folders, key=lambda f: len(f.parts), reverse=True):
        _remove_empty_tree(folder)


def _remove_empty_tree(folder: Path) -> None:
    """Remove ``folder`` and its sub-folders where nothing is left in them."""
    for sub in sorted(
        (p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True
    ):
        if not any(sub.iterdir()):
            sub.rmdir()
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def _chunks(items: Sequence[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), CHUNK):
        yield list(items[start : start + CHUNK])
