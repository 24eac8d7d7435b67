"""The event store: events and their audit trail in a database, snapshots (JPEG) and clips
(MP4) as files.

One engine per store and one session per call, so the runtime can write from its worker thread
while the dashboard reads. SQLite (the default) runs in WAL mode with foreign keys on and a busy
timeout; any SQLAlchemy URL works. The schema comes from the Alembic migrations shipped in
``alerts/migrations``, applied by :meth:`EventStore.open`.

Every input is checked before anything is written; failures raise :class:`StoreError`.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from sqlalchemy import Engine, Row, Select, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.access_log import AccessLog
from alerts.errors import (
    ClipMissing,
    EventNotFound,
    EventStateError,
    PhotoMissing,
    SnapshotMissing,
    StoreError,
    TrainingFrameMissing,
)
from alerts.event_json import events_json
from alerts.event_query import (
    Cursor,
    EventFilter,
    EventPage,
    EventPageJson,
    FilterChoices,
    distinct_values,
    filtered,
    latest_camera_name,
    newest_first,
)
from alerts.events import Box, EventRecord, EventStatus, EventType, Severity
from alerts.fleet import Fence, check_fence
from alerts.fleet_models import NodeRow
from alerts.media import (
    MAX_TRAINING_FRAMES,
    EventMedia,
    clip_relpath,
    commit_temp,
    photo_relpath,
    remove_folder_quietly,
    remove_quietly,
    resolve_media_path,
    snapshot_relpath,
    training_folder,
    write_temp,
)
from alerts.media_db import MediaKind, keep_media, media_owner, restore_media
from alerts.models import EventActionRow, EventRow
from alerts.occupancy import OccupancyLog
from alerts.reviews import ReviewInput, Verdict, read_review, write_review
from alerts.store_checks import (
    MAX_NOTE_LEN,
    check_camera,
    check_enum,
    check_jpeg,
    check_mp4,
    check_optional_text,
    check_page,
    check_record,
    check_text,
    check_time,
)
from alerts.store_db import (
    create_store_engine,
    refresh_planner_stats,
    run_migrations,
    transaction,
)
from alerts.stored import SYSTEM_ACTOR, ActionKind, CameraInfo, EventAction, StoredEvent

Clock = Callable[[], float]
ChangeHook = Callable[[Session, ActionKind, StoredEvent], None]

log = logging.getLogger(__name__)


class EventStore:
    """Stores events, their snapshots and what people did about them. Thread-safe."""

    def __init__(
        self,
        engine: Engine,
        media_dir: Path,
        clock: Clock = time.time,
        media_in_database: bool = False,
    ) -> None:
        """Prefer :meth:`open`, which also creates the schema. ``media_in_database``: keep
        snapshots and clips in the database too (:mod:`alerts.media_db`), for a fleet."""
        self._engine = engine
        self.media_in_database = media_in_database
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.media_dir = media_dir
        self._clock = clock
        self._hooks: list[ChangeHook] = []
        self.access = AccessLog(engine, clock)
        self.sheds = OccupancyLog(engine, clock)

    @classmethod
    def open(
        cls,
        database_url: str,
        media_dir: Path,
        *,
        clock: Clock = time.time,
        media_in_database: bool = False,
    ) -> EventStore:
        """Connect, bring the schema up to date, and make sure ``media_dir`` exists."""
        try:
            media_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create media folder {media_dir}: {exc.strerror}") from exc
        engine = create_store_engine(database_url)
        try:
            run_migrations(engine)
        except BaseException:
            engine.dispose()
            raise
        try:
            refresh_planner_stats(engine)
        except StoreError as exc:  # only an optimisation: a locked database must not stop a start
            log.warning("the store's query statistics were not refreshed: %s", exc)
        return cls(engine, media_dir, clock, media_in_database)

    def close(self) -> None:
        self._engine.dispose()

    @property
    def engine(self) -> Engine:
        """The store's engine, for modules that keep their own tables in the same database."""
        return self._engine

    def add_change_hook(self, hook: ChangeHook) -> None:
        """Call ``hook(session, action, event)`` inside the transaction of every audited change
        (raised, reminded, ended, acknowledged, assigned, resolved, reviewed), after the event's
        rows are written: whatever the hook adds commits or rolls back with the change (the
        notification outbox relies on this). An exception from the hook undoes the change."""
        self._hooks.append(hook)

    def __enter__(self) -> EventStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- written by the runtime -------------------------------------------------------------

    def record_raised(
        self,
        event: EventRecord,
        camera: CameraInfo,
        snapshot_jpeg: bytes,
        fence: Fence | None = None,
    ) -> StoredEvent:
        """Store a new open event and its snapshot; the file is removed again if the row fails.

        ``fence`` (a fleet's nodes): the camera's lease this write needs, else
        :class:`LeaseLost`; the same on every write of the runtime below."""
        check_record(event)
        check_camera(camera, event)
        jpeg = check_jpeg(snapshot_jpeg)
        event_id = str(uuid.uuid4())
        relpath = snapshot_relpath(event_id, event.alert_ts)
        path = resolve_media_path(self.media_dir, relpath)
        now = self._clock()
        commit_temp(write_temp(path, jpeg), path)
        try:
            with self._transaction() as session:
                _fenced(session, fence, now)
                row = _new_row(event_id, event, camera, relpath, now)
                row.node_id = fence.holder if fence is not None else None
                session.add(row)
                session.flush()  # the row first: the audit line's foreign key points at it
                session.add(_action_row(event_id, ActionKind.RAISED, SYSTEM_ACTOR, now))
                session.flush()
                if self.media_in_database:
                    keep_media(session, event_id, MediaKind.SNAPSHOT, jpeg)
                return self._changed(session, ActionKind.RAISED, row)
        except BaseException:
            remove_quietly(path)
            raise

    def record_update(
        self,
        event_id: str,
        event: EventRecord,
        snapshot_jpeg: bytes | None = None,
        fence: Fence | None = None,
    ) -> StoredEvent:
        """Copy the record's latest evidence; replace the snapshot only when one is given."""
        check_record(event)
        jpeg = None if snapshot_jpeg is None else check_jpeg(snapshot_jpeg)
        with self._transaction() as session:
            _fenced(session, fence, self._clock())
            row = _get_row(session, event_id)
            if row.camera_id != event.camera_id:
                raise StoreError(
                    f"event {event_id} is from camera {row.camera_id!r}, not {event.camera_id!r}"
                )
            _copy_evidence(row, event)
            row.updated_at = self._clock()
            session.flush()
            if jpeg is not None:
                path = resolve_media_path(self.media_dir, row.snapshot_path)
                commit_temp(write_temp(path, jpeg), path)
                if self.media_in_database:
                    keep_media(session, event_id, MediaKind.SNAPSHOT, jpeg)
            return _to_stored(row)

    def record_end(
        self,
        event_id: str,
        end_ts: float,
        reason: str | None = None,
        fence: Fence | None = None,
    ) -> StoredEvent:
        """The condition is over (the bike left, the cable is gone); ``reason``, when the
        condition was not seen to end (``service restarted``), is the audit line's note."""
        end = check_time("end_ts", end_ts)
        reason = check_optional_text("reason", reason, MAX_NOTE_LEN)
        with self._transaction() as session:
            _fenced(session, fence, self._clock())
            row = _get_row(session, event_id)
            if row.end_ts is not None:
                raise EventStateError(f"event {event_id} already ended at {row.end_ts}")
            now = self._clock()
            row.end_ts = end
            row.updated_at = now
            session.add(_action_row(event_id, ActionKind.ENDED, SYSTEM_ACTOR, now, reason))
            return self._changed(session, ActionKind.ENDED, row)

    def record_reminder(self, event_id: str, fence: Fence | None = None) -> StoredEvent:
        """A reminder went out for a still-unresolved event."""
        with self._transaction() as session:
            _fenced(session, fence, self._clock())
            row = _get_row(session, event_id)
            now = self._clock()
            row.reminder_count += 1
            row.updated_at = now
            session.add(_action_row(event_id, ActionKind.REMINDED, SYSTEM_ACTOR, now))
            return self._changed(session, ActionKind.REMINDED, row)

    def record_clip(self, event_id: str, clip_mp4: bytes) -> StoredEvent:
        """Store the event's evidence clip (MP4 bytes) as ``clips/YYYY-MM-DD/<id>.mp4``,
        replacing any earlier one; the file is written atomically before the row points at it."""
        mp4 = check_mp4(clip_mp4)
        relpath = clip_relpath(event_id, self.get(event_id).alert_ts)
        path = self._write_media(relpath, mp4)
        try:
            with self._transaction() as session:
                row = _get_row(session, event_id)
                row.clip_path = relpath
                row.updated_at = self._clock()
                if self.media_in_database:
                    keep_media(session, event_id, MediaKind.CLIP, mp4)
                return _to_stored(row)
        except EventNotFound:
            remove_quietly(path)  # deleted meanwhile (retention): the file would be an orphan
            raise

    def record_training_frame(self, event_id: str, frame_jpeg: bytes) -> bool:
        """Keep one more frame of the event as the camera saw it (unredacted, nothing drawn) to
        learn from, up to ``MAX_TRAINING_FRAMES``; when it has that many, the frame replaces
        the last one and this returns False. The last kept frame is so always the picture of
        the latest snapshot, the one people review and draw boxes on. Only the recorder thread
        writes these, so counting needs no lock."""
        jpeg = check_jpeg(frame_jpeg)
        event = self.get(event_id)
        index = event.training_frames
        if index >= MAX_TRAINING_FRAMES and event.training_path is not None:
            last = resolve_media_path(self.media_dir, f"{event.training_path}/{index - 1}.jpg")
            commit_temp(write_temp(last, jpeg), last)
            return False
        folder = event.training_path or training_folder(event_id, event.alert_ts)
        path = resolve_media_path(self.media_dir, f"{folder}/{index}.jpg")
        commit_temp(write_temp(path, jpeg), path)
        try:
            with self._transaction() as session:
                row = _get_row(session, event_id)
                row.training_path = folder
                row.training_frames = index + 1
        except EventNotFound:
            remove_quietly(path)  # deleted meanwhile (retention): the file would be an orphan
            raise
        return True

    # -- removed by retention ---------------------------------------------------------------

    def media_index(self) -> list[EventMedia]:
        """Every event's evidence paths, oldest alert first."""
        columns = (
            EventRow.id,
            EventRow.alert_ts,
            EventRow.end_ts,
            EventRow.snapshot_path,
            EventRow.clip_path,
            EventRow.photo_path,
        )
        query = select(*columns).order_by(EventRow.alert_ts, EventRow.id)
        with self._transaction() as session:
            return [EventMedia(*row) for row in session.execute(query).all()]

    def delete_events(self, event_ids: list[str]) -> int:
        """Delete these events, their audit trails and their files; unknown ids are skipped.
        Returns how many events were deleted. Rows go first: a failure leaves orphan files,
        never rows that point at nothing."""
        if not event_ids:
            return 0
        with self._transaction() as session:
            query = select(
                EventRow.snapshot_path,
                EventRow.clip_path,
                EventRow.photo_path,
                EventRow.training_path,
            )
            paths = session.execute(query.where(EventRow.id.in_(event_ids))).all()
            session.execute(delete(EventActionRow).where(EventActionRow.event_id.in_(event_ids)))
            session.execute(delete(EventRow).where(EventRow.id.in_(event_ids)))
        for snapshot, clip, photo, training in paths:
            for relpath in (snapshot, clip, photo):
                if relpath is not None:
                    remove_quietly(resolve_media_path(self.media_dir, relpath))
            if training is not None:
                remove_folder_quietly(self.media_dir, training)
        return len(paths)

    def drop_training_before(self, cutoff: float) -> int:
        """Remove the training frames of events alerted before ``cutoff`` (Unix seconds); the
        events stay. Returns how many events had some. Rows first, as :meth:`delete_events`."""
        with self._transaction() as session:
            rows = session.scalars(
                select(EventRow).where(
                    EventRow.training_path.is_not(None),
                    EventRow.alert_ts < check_time("cutoff", cutoff),
                )
            ).all()
            folders = [row.training_path for row in rows]
            for row in rows:
                row.training_path, row.training_frames = None, None
        for folder in folders:
            if folder is not None:
                remove_folder_quietly(self.media_dir, folder)
        return len(folders)

    def drop_clip(self, event_id: str) -> None:
        """Forget the event's clip and delete its file; the event and its snapshot stay."""
        with self._transaction() as session:
            row = _get_row(session, event_id)
            relpath, row.clip_path = row.clip_path, None
            row.updated_at = self._clock()
        if relpath is not None:
            remove_quietly(resolve_media_path(self.media_dir, relpath))

    # -- written by people (through the dashboard) ------------------------------------------

    def acknowledge(self, event_id: str, actor: str, note: str | None = None) -> StoredEvent:
        """Someone has seen it. Only open events can be acknowledged."""
        actor, note = _check_actor_note(actor, note)
        with self._transaction() as session:
            row = _get_row(session, event_id)
            if row.status != EventStatus.OPEN:
                raise EventStateError(_state_message(row, "acknowledge"))
            now = self._clock()
            row.status = EventStatus.ACKNOWLEDGED.value
            row.acknowledged_by, row.acknowledged_at = actor, now
            _set_note(row, note, now)
            session.add(_action_row(event_id, ActionKind.ACKNOWLEDGED, actor, now, note))
            return self._changed(session, ActionKind.ACKNOWLEDGED, row)

    def assign(self, event_id: str, actor: str, assignee: str) -> StoredEvent:
        """``actor`` hands the event to ``assignee``; the status stays as it is."""
        actor, _ = _check_actor_note(actor, None)
        assignee = check_text("assignee", assignee).strip()
        with self._transaction() as session:
            row = _get_row(session, event_id)
            if row.status == EventStatus.RESOLVED:
                raise EventStateError(_state_message(row, "assign"))
            now = self._clock()
            row.assigned_to = assignee
            row.updated_at = now
            session.add(_action_row(event_id, ActionKind.ASSIGNED, actor, now, assignee))
            return self._changed(session, ActionKind.ASSIGNED, row)

    def resolve(self, event_id: str, actor: str, note: str | None = None) -> StoredEvent:
        """Dealt with. Open and acknowledged events can be resolved, once."""
        actor, note = _check_actor_note(actor, note)
        with self._transaction() as session:
            return self._resolve_row(session, _get_row(session, event_id), actor, note)

    def resolve_with_photo(
        self, event_id: str, actor: str, note: str | None, photo_jpeg: bytes
    ) -> StoredEvent:
        """:meth:`resolve`, keeping ``photo_jpeg`` (a checked, re-encoded JPEG) as the event's
        evidence at ``photos/YYYY-MM-DD/<id>.jpg``. The file is written first and removed again
        when the event cannot be resolved."""
        actor, note = _check_actor_note(actor, note)
        jpeg = check_jpeg(photo_jpeg)
        relpath = photo_relpath(event_id, self.get(event_id).alert_ts)
        path = self._write_media(relpath, jpeg)
        try:
            with self._transaction() as session:
                row = _get_row(session, event_id)
                row.photo_path = relpath
                return self._resolve_row(session, row, actor, note)
        except BaseException:
            remove_quietly(path)
            raise

    def on_my_way(self, event_id: str, actor: str) -> StoredEvent:
        """A patroller is heading there: stamped on the event (the latest one wins) and in its
        trail. An open event is acknowledged by it too (someone has seen it, so it is not
        escalated). Any event not yet resolved."""
        actor, _ = _check_actor_note(actor, None)
        with self._transaction() as session:
            row = _get_row(session, event_id)
            if row.status == EventStatus.RESOLVED:
                raise EventStateError(_state_message(row, "head to"))
            now = self._clock()
            row.updated_at = now
            if row.status == EventStatus.OPEN:
                row.status = EventStatus.ACKNOWLEDGED.value
                row.acknowledged_by, row.acknowledged_at = actor, now
                session.add(_action_row(event_id, ActionKind.ACKNOWLEDGED, actor, now))
                self._changed(session, ActionKind.ACKNOWLEDGED, row)
            row.on_way_by, row.on_way_at = actor, now
            session.add(_action_row(event_id, ActionKind.ON_THE_WAY, actor, now))
            return self._changed(session, ActionKind.ON_THE_WAY, row)

    def _resolve_row(
        self, session: Session, row: EventRow, actor: str, note: str | None
    ) -> StoredEvent:
        if row.status == EventStatus.RESOLVED:
            raise EventStateError(_state_message(row, "resolve"))
        now = self._clock()
        row.status = EventStatus.RESOLVED.value
        row.resolved_by, row.resolved_at = actor, now
        _set_note(row, note, now)
        session.add(_action_row(row.id, ActionKind.RESOLVED, actor, now, note))
        return self._changed(session, ActionKind.RESOLVED, row)

    def review(self, event_id: str, actor: str, review: ReviewInput) -> StoredEvent:
        """Give the event ``review``'s verdict, replacing any earlier one; the trail keeps each
        as JSON. A false alarm also resolves an unresolved event (which stops its escalation;
        the outbox drops it from digests and reminders). Any status may be reviewed."""
        actor, _ = _check_actor_note(actor, None)
        with self._transaction() as session:
            row = _get_row(session, event_id)
            now = self._clock()
            write_review(row, review, actor, now)
            row.updated_at = now
            session.add(_action_row(event_id, ActionKind.REVIEWED, actor, now, review.trail_note()))
            stored = self._changed(session, ActionKind.REVIEWED, row)
            if review.verdict is not Verdict.FALSE_ALARM or row.status == EventStatus.RESOLVED:
                return stored
            row.status = EventStatus.RESOLVED.value
            row.resolved_by, row.resolved_at = actor, now
            session.add(_action_row(event_id, ActionKind.RESOLVED, actor, now, "false alarm"))
            return self._changed(session, ActionKind.RESOLVED, row)

    # -- reads ------------------------------------------------------------------------------

    def get(self, event_id: str) -> StoredEvent:
        with self._transaction() as session:
            return _to_stored(_get_row(session, event_id))

    def list_events(
        self,
        limit: int = 50,
        offset: int = 0,
        camera_id: str | None = None,
        type: EventType | None = None,
        status: EventStatus | None = None,
        since: float | None = None,
        node: str | None = None,
        site: str | None = None,
    ) -> list[StoredEvent]:
        """Newest first by alert time. ``since``: only alerts at or after these Unix seconds;
        ``node`` / ``site``: only events raised by that fleet node / a node of that site."""
        check_page(limit, offset)
        query = _filtered(select(EventRow), camera_id, type, status, since)
        if node is not None:
            query = query.where(EventRow.node_id == node)
        if site is not None:
            query = query.where(
                EventRow.node_id.in_(select(NodeRow.id).where(NodeRow.site == site))
            )
        query = query.order_by(EventRow.alert_ts.desc(), EventRow.id.desc())
        with self._transaction() as session:
            rows = session.scalars(query.limit(limit).offset(offset)).all()
            return [_to_stored(r) for r in rows]

    def reviewed(
        self, since: float | None = None, camera_ids: list[str] | None = None
    ) -> list[StoredEvent]:
        """Events someone gave a verdict, alerted at or after ``since`` (Unix seconds), of these
        cameras (None: all), oldest alert first: what a site's own training data is made of."""
        query = select(EventRow).where(EventRow.review_verdict.is_not(None))
        if since is not None:
            query = query.where(EventRow.alert_ts >= check_time("since", since))
        if camera_ids is not None:
            query = query.where(EventRow.camera_id.in_(camera_ids))
        with self._transaction() as session:
            rows = session.scalars(query.order_by(EventRow.alert_ts, EventRow.id)).all()
            return [_to_stored(row) for row in rows]

    def find_events(
        self, which: EventFilter, limit: int = 50, cursor: Cursor | None = None, offset: int = 0
    ) -> EventPage:
        """Up to ``limit`` events ``which`` matches, newest first by alert time, after
        ``cursor`` (None: from the newest) and ``offset`` more; the page's ``next`` continues
        it."""
        rows, next_page = self._find_rows(which, limit, cursor, offset)
        return EventPage([_to_stored(cast(EventRow, r)) for r in rows], next_page)

    def find_events_json(
        self, which: EventFilter, limit: int = 50, cursor: Cursor | None = None, offset: int = 0
    ) -> EventPageJson:
        """:meth:`find_events`, its events as the JSON their :class:`StoredEvent` s make,
        straight from the rows (:mod:`alerts.event_json`)."""
        rows, next_page = self._find_rows(which, limit, cursor, offset)
        return EventPageJson(events_json(rows), next_page)

    def _find_rows(
        self, which: EventFilter, limit: int, cursor: Cursor | None, offset: int
    ) -> tuple[Sequence[Row[Any]], Cursor | None]:
        check_page(limit, offset)
        # Plain rows, not ORM objects: a page is read-only, and this halves the time a page takes
        # (a row has the same attributes as an EventRow); run on the session's connection, not
        # through the ORM's execution, which costs a third more again.
        columns = select(*EventRow.__table__.columns)
        query = newest_first(filtered(columns, which), cursor).limit(limit + 1).offset(offset)
        with self._transaction() as session:
            rows = session.connection().execute(query).all()
        if len(rows) <= limit:
            return rows, None
        last = rows[limit - 1]
        return rows[:limit], Cursor(last.alert_ts, last.id)

    def filter_choices(self) -> FilterChoices:
        """The buildings, floors and cameras (with their latest name) events were stored with:
        a filter's choices. Index seeks, one per value, not a scan of the events."""
        with self._transaction() as session:
            buildings = distinct_values(session, EventRow.building)
            floors = distinct_values(session, EventRow.floor)
            cameras = {
                camera_id: session.scalar(latest_camera_name(camera_id)) or camera_id
                for camera_id in distinct_values(session, EventRow.camera_id)
            }
        return FilterChoices(
            buildings=[b for b in buildings if b], floors=[f for f in floors if f], cameras=cameras
        )

    def unended(self, camera_ids: list[str]) -> list[StoredEvent]:
        """Events of these cameras whose condition has no end yet, oldest alert first."""
        query = (
            select(EventRow)
            .where(EventRow.camera_id.in_(camera_ids), EventRow.end_ts.is_(None))
            .order_by(EventRow.alert_ts, EventRow.id)
        )
        with self._transaction() as session:
            return [_to_stored(row) for row in session.scalars(query).all()]

    def count(
        self,
        camera_id: str | None = None,
        type: EventType | None = None,
        status: EventStatus | None = None,
        since: float | None = None,
    ) -> int:
        """How many events :meth:`list_events` would page through with these filters."""
        query = _filtered(select(func.count(EventRow.id)), camera_id, type, status, since)
        with self._transaction() as session:
            return int(session.scalar(query) or 0)

    def count_by_status(self, since: float | None = None) -> dict[EventStatus, int]:
        """Every status, zero included."""
        counts = self._grouped(EventRow.status, since)
        return {s: counts.get(s.value, 0) for s in EventStatus}

    def count_by_type(self, since: float | None = None) -> dict[EventType, int]:
        """Every event type, zero included."""
        counts = self._grouped(EventRow.type, since)
        return {t: counts.get(t.value, 0) for t in EventType}

    def actions(self, event_id: str) -> list[EventAction]:
        """The event's audit trail, oldest first."""
        query = (
            select(EventActionRow)
            .where(EventActionRow.event_id == event_id)
            .order_by(EventActionRow.at, EventActionRow.id)
        )
        with self._transaction() as session:
            _get_row(session, event_id)
            return [_to_action(r) for r in session.scalars(query).all()]

    def snapshot_path(self, event_id: str) -> Path:
        """Absolute path of the event's snapshot; :class:`SnapshotMissing` if the file is gone."""
        relpath = self.get(event_id).snapshot_path
        path = resolve_media_path(self.media_dir, relpath)
        if not path.is_file() and not self._restored(event_id, MediaKind.SNAPSHOT, path):
            raise SnapshotMissing(f"snapshot of event {event_id} is missing ({relpath})")
        return path

    def clip_path(self, event_id: str) -> Path:
        """Absolute path of the event's clip; :class:`ClipMissing` if it has none or it is gone."""
        relpath = self.get(event_id).clip_path
        if relpath is None:
            raise ClipMissing(f"event {event_id} has no clip")
        path = resolve_media_path(self.media_dir, relpath)
        if not path.is_file() and not self._restored(event_id, MediaKind.CLIP, path):
            raise ClipMissing(f"clip of event {event_id} is missing ({relpath})")
        return path

    def photo_path(self, event_id: str) -> Path:
        """Absolute path of the photo the event was resolved with; :class:`PhotoMissing` if it
        has none or it is gone."""
        relpath = self.get(event_id).photo_path
        if relpath is None:
            raise PhotoMissing(f"event {event_id} has no photo")
        path = resolve_media_path(self.media_dir, relpath)
        if not path.is_file():
            raise PhotoMissing(f"photo of event {event_id} is missing ({relpath})")
        return path

    def training_frame_path(self, event_id: str, index: int) -> Path:
        """Absolute path of the event's training frame ``index`` (0: the frame it was raised
        on); :class:`TrainingFrameMissing` if it keeps no such frame."""
        event = self.get(event_id)
        if event.training_path is None or not 0 <= index < event.training_frames:
            raise TrainingFrameMissing(f"event {event_id} keeps no training frame {index}")
        path = resolve_media_path(self.media_dir, f"{event.training_path}/{index}.jpg")
        if not path.is_file():
            raise TrainingFrameMissing(f"training frame {index} of event {event_id} is missing")
        return path

    def fetch_media(self, relpath: str) -> None:
        """Make sure the media file at ``relpath`` (a snapshot or clip another node of the fleet
        stored) is in this node's media folder, when the database keeps it; else nothing."""
        path = resolve_media_path(self.media_dir, relpath)
        if not self.media_in_database or path.is_file():
            return
        with self._transaction() as session:
            owner = media_owner(session, relpath)
            if owner is not None:
                restore_media(session, owner[0], owner[1], path)

    def _restored(self, event_id: str, kind: MediaKind, path: Path) -> bool:
        if not self.media_in_database:
            return False
        with self._transaction() as session:
            return restore_media(session, event_id, kind, path)

    def ping(self) -> None:
        """Raise :class:`StoreError` unless the database answers."""
        with self._transaction() as session:
            session.execute(select(1))

    # -- internals --------------------------------------------------------------------------

    def _write_media(self, relpath: str, data: bytes) -> Path:
        """Write ``data`` atomically at ``relpath`` under the media folder; its absolute path."""
        path = resolve_media_path(self.media_dir, relpath)
        commit_temp(write_temp(path, data), path)
        return path

    def _changed(self, session: Session, action: ActionKind, row: EventRow) -> StoredEvent:
        stored = _to_stored(row)
        for hook in self._hooks:
            hook(session, action, stored)
        return stored

    def _grouped(self, column: Any, since: float | None) -> dict[str, int]:
        query = _filtered(select(column, func.count(EventRow.id)), None, None, None, since)
        with self._transaction() as session:
            return {key: int(n) for key, n in session.execute(query.group_by(column)).all()}

    def _transaction(self) -> AbstractContextManager[Session]:
        return transaction(self._sessions)


def _filtered(
    query: Select[Any],
    camera_id: str | None,
    type_: EventType | None,
    status: EventStatus | None,
    since: float | None,
) -> Select[Any]:
    if camera_id is not None:
        query = query.where(EventRow.camera_id == camera_id)
    if type_ is not None:
        query = query.where(EventRow.type == check_enum("type", EventType, type_).value)
    if status is not None:
        query = query.where(EventRow.status == check_enum("status", EventStatus, status).value)
    if since is not None:
        query = query.where(EventRow.alert_ts >= check_time("since", since))
    return query


def _fenced(session: Session, fence: Fence | None, now: float) -> None:
    if fence is not None:
        check_fence(session, fence, now)


def _get_row(session: Session, event_id: str) -> EventRow:
    row = session.get(EventRow, event_id) if isinstance(event_id, str) else None
    if row is None:
        shown = event_id if isinstance(event_id, str) and len(event_id) <= 64 else "(invalid id)"
        raise EventNotFound(f"no event with id {shown!r}")
    return row


def _check_actor_note(actor: str, note: str | None) -> tuple[str, str | None]:
    actor = check_text("actor", actor).strip()
    note = check_optional_text("note", note, MAX_NOTE_LEN)
    return actor, (note.strip() or None) if note is not None else None


def _set_note(row: EventRow, note: str | None, now: float) -> None:
    """The latest note wins on the event; every note stays in the audit trail."""
    if note is not None:
        row.note = note
    row.updated_at = now


def _state_message(row: EventRow, verb: str) -> str:
    who = row.resolved_by if row.status == EventStatus.RESOLVED else row.acknowledged_by
    return f"cannot {verb} event {row.id}: it is already {row.status}" + (
        f" by {who}" if who else ""
    )


def _new_row(
    event_id: str, event: EventRecord, camera: CameraInfo, relpath: str, now: float
) -> EventRow:
    row = EventRow(
        id=event_id,
        camera_id=camera.id,
        camera_name=camera.name,
        building=camera.building,
        floor=camera.floor,
        type=EventType(event.type).value,
        status=EventStatus.OPEN.value,
        start_ts=float(event.start_ts),
        alert_ts=float(event.alert_ts),
        snapshot_path=relpath,
        clip_path=None,
        created_at=now,
        updated_at=now,
        reminder_count=0,
    )
    _copy_evidence(row, event)
    return row


def _copy_evidence(row: EventRow, event: EventRecord) -> None:
    """What may change while an event goes on; an end time, once set, is not unset here."""
    row.zone = event.zone
    row.severity = event.severity.value
    row.track_id = event.track_id
    row.confidence = float(event.confidence)
    if event.end_ts is not None:
        row.end_ts = float(event.end_ts)
    box = event.box
    row.box_x1 = None if box is None else float(box.x1)
    row.box_y1 = None if box is None else float(box.y1)
    row.box_x2 = None if box is None else float(box.x2)
    row.box_y2 = None if box is None else float(box.y2)
    row.details = list(event.details)


def _action_row(
    event_id: str, action: ActionKind, actor: str, at: float, note: str | None = None
) -> EventActionRow:
    return EventActionRow(event_id=event_id, action=action.value, actor=actor, at=at, note=note)


def to_stored_event(row: EventRow) -> StoredEvent:
    """The public view of an event row (for modules that query the events table themselves)."""
    return _to_stored(row)


def _to_stored(row: EventRow) -> StoredEvent:
    coords = (row.box_x1, row.box_y1, row.box_x2, row.box_y2)
    box = Box(*coords) if all(c is not None for c in coords) else None  # type: ignore[arg-type]
    return StoredEvent(
        id=row.id,
        camera_id=row.camera_id,
        camera_name=row.camera_name,
        building=row.building,
        floor=row.floor,
        zone=row.zone,
        type=EventType(row.type),
        severity=Severity(row.severity),
        status=EventStatus(row.status),
        track_id=row.track_id,
        confidence=row.confidence,
        start_ts=row.start_ts,
        alert_ts=row.alert_ts,
        end_ts=row.end_ts,
        box=box,
        details=tuple(row.details),
        snapshot_path=row.snapshot_path,
        clip_path=row.clip_path,
        created_at=row.created_at,
        updated_at=row.updated_at,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
        assigned_to=row.assigned_to,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
        note=row.note,
        reminder_count=row.reminder_count,
        review=read_review(row),
        training_frames=row.training_frames or 0,
        training_path=row.training_path,
        on_way_by=row.on_way_by,
        on_way_at=row.on_way_at,
        photo_path=row.photo_path,
        node_id=row.node_id,
    )


def _to_action(row: EventActionRow) -> EventAction:
    return EventAction(
        event_id=row.event_id,
        action=ActionKind(row.action),
        actor=row.actor,
        at=row.at,
        note=row.note,
    )
