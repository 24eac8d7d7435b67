"""The event store on real SQLite files: migrations, lifecycle, queries, evidence files."""

from __future__ import annotations

import math
import sqlite3
import threading
import uuid
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from alerts.errors import EventNotFound, EventStateError, SnapshotMissing, StoreError
from alerts.events import Box, EventRecord, EventStatus, EventType, Severity
from alerts.models import Base
from alerts.store import EventStore
from alerts.store_db import MIGRATIONS_DIR
from alerts.stored import ActionKind, CameraInfo

T0 = 1_700_000_000.0  # 2023-11-14, Unix seconds


class StepClock:
    """A clock that moves one second per reading, so actions have distinct, ordered times."""

    def __init__(self, start: float = T0 + 10_000) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def jpeg(colour: int = 128) -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((48, 64, 3), colour, np.uint8))
    assert ok
    return data.tobytes()


def camera(camera_id: str = "cam-3f") -> CameraInfo:
    return CameraInfo(id=camera_id, name=f"{camera_id} 楼梯间", building="3号楼", floor="3F")


def record(
    camera_id: str = "cam-3f",
    alert_ts: float = T0,
    type_: EventType = EventType.EBIKE_PARKED,
    **changes: object,
) -> EventRecord:
    base = EventRecord(
        key=f"{camera_id}-{alert_ts}",
        camera_id=camera_id,
        zone="stair",
        type=type_,
        severity=Severity.HIGH,
        track_id=7,
        confidence=0.81,
        start_ts=alert_ts - 60,
        alert_ts=alert_ts,
        box=Box(0.1, 0.2, 0.4, 0.9),
        details=("dwell 60 s",),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'db' / 'events.db'}"


@pytest.fixture
def store(tmp_path: Path):
    s = EventStore.open(db_url(tmp_path), tmp_path / "media", clock=StepClock())
    yield s
    s.close()


def media_files(store: EventStore) -> list[Path]:
    return sorted(p for p in store.media_dir.rglob("*") if p.is_file())


# -- schema --------------------------------------------------------------------------------


def test_migrations_create_the_schema_with_sqlite_settings(
    tmp_path: Path, store: EventStore
) -> None:
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    with sqlite3.connect(tmp_path / "db" / "events.db") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert {"events", "event_actions", "alembic_version"} <= tables
    assert {"ix_events_alert_ts", "ix_events_camera_id", "ix_events_status"} <= indexes


def test_orm_models_match_the_migrations(store: EventStore) -> None:
    """The store's tables as migrated equal the ORM models (other modules' tables aside)."""
    ours = {"events", "event_actions"}

    def include(obj: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
        table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in ours

    with store._engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include})
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == []


def test_foreign_keys_are_enforced(store: EventStore) -> None:
    with store._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_in_memory_database_works(tmp_path: Path) -> None:
    with EventStore.open("sqlite://", tmp_path / "media") as s:
        stored = s.record_raised(record(), camera(), jpeg())
        assert s.get(stored.id).id == stored.id


@pytest.mark.parametrize("url", ["not a url", "nosuchdialect://x/y"])
def test_bad_database_url_is_a_store_error(tmp_path: Path, url: str) -> None:
    with pytest.raises(StoreError):
        EventStore.open(url, tmp_path / "media")


def test_a_store_opens_when_its_statistics_cannot_be_refreshed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """ANALYZE needs a write lock; another process holding the database (SQLite's 10 s busy
    timeout, stood in for here) must not stop a dashboard process from starting."""

    def locked(_engine: object) -> None:
        raise StoreError("cannot analyze the events table: database is locked")

    monkeypatch.setattr("alerts.store.refresh_planner_stats", locked)
    store = EventStore.open(f"sqlite:///{tmp_path / 'events.db'}", tmp_path / "media")
    store.close()
    assert "query statistics were not refreshed" in caplog.text


def test_reopening_keeps_events_actions_and_snapshots(tmp_path: Path) -> None:
    with EventStore.open(db_url(tmp_path), tmp_path / "media") as first:
        stored = first.record_raised(record(), camera(), jpeg())
        first.acknowledge(stored.id, "alice")
    with EventStore.open(db_url(tmp_path), tmp_path / "media") as again:
        back = again.get(stored.id)
        assert back.status == EventStatus.ACKNOWLEDGED
        assert back.acknowledged_by == "alice"
        assert [a.action for a in again.actions(stored.id)] == [
            ActionKind.RAISED,
            ActionKind.ACKNOWLEDGED,
        ]
        assert again.snapshot_path(stored.id).read_bytes() == jpeg()


# -- writing -------------------------------------------------------------------------------


def test_record_raised_stores_the_event_and_its_snapshot(store: EventStore) -> None:
    stored = store.record_raised(record(), camera(), jpeg())
    assert uuid.UUID(stored.id)
    day = datetime.fromtimestamp(T0).strftime("%Y-%m-%d")
    assert stored.snapshot_path == f"snapshots/{day}/{stored.id}.jpg"
    assert (store.media_dir / stored.snapshot_path).read_bytes() == jpeg()
    assert media_files(store) == [store.media_dir / stored.snapshot_path]  # no temp files left
    got = store.get(stored.id)
    assert got == stored
    assert (got.camera_name, got.building, got.floor, got.zone) == (
        "cam-3f 楼梯间",
        "3号楼",
        "3F",
        "stair",
    )
    assert (got.type, got.severity, got.status) == (
        EventType.EBIKE_PARKED,
        Severity.HIGH,
        EventStatus.OPEN,
    )
    assert got.box == Box(0.1, 0.2, 0.4, 0.9)
    assert got.details == ("dwell 60 s",)
    assert (got.start_ts, got.alert_ts, got.end_ts, got.ongoing) == (T0 - 60, T0, None, True)
    assert got.reminder_count == 0
    assert [a.action for a in store.actions(stored.id)] == [ActionKind.RAISED]


def test_stored_event_is_json_ready(store: EventStore) -> None:
    data = store.record_raised(record(), camera(), jpeg()).model_dump(mode="json")
    assert data["type"] == "ebike_parked"
    assert data["box"] == {"x1": 0.1, "y1": 0.2, "x2": 0.4, "y2": 0.9}
    assert data["details"] == ["dwell 60 s"]
    assert data["ongoing"] is True


def test_record_update_replaces_snapshot_only_when_given(store: EventStore) -> None:
    stored = store.record_raised(record(), camera(), jpeg(10))
    path = store.media_dir / stored.snapshot_path
    better = record(confidence=0.95, box=Box(0.2, 0.2, 0.5, 0.95), details=("a", "b"))
    updated = store.record_update(stored.id, better)
    assert (updated.confidence, updated.box, updated.details) == (0.95, better.box, ("a", "b"))
    assert updated.updated_at > stored.updated_at
    assert path.read_bytes() == jpeg(10)
    store.record_update(stored.id, better, jpeg(200))
    assert path.read_bytes() == jpeg(200)
    assert media_files(store) == [path]


def test_record_update_from_another_camera_is_refused(store: EventStore) -> None:
    stored = store.record_raised(record(), camera(), jpeg(10))
    with pytest.raises(StoreError, match="camera"):
        store.record_update(stored.id, record(camera_id="cam-b1", confidence=0.99), jpeg(200))
    assert store.get(stored.id) == stored
    assert (store.media_dir / stored.snapshot_path).read_bytes() == jpeg(10)


def test_record_end_and_reminders(store: EventStore) -> None:
    stored = store.record_raised(record(), camera(), jpeg())
    assert store.record_reminder(stored.id).reminder_count == 1
    assert store.record_reminder(stored.id).reminder_count == 2
    ended = store.record_end(stored.id, T0 + 300)
    assert (ended.end_ts, ended.ongoing, ended.status) == (T0 + 300, False, EventStatus.OPEN)
    with pytest.raises(EventStateError):
        store.record_end(stored.id, T0 + 400)
    kinds = [a.action for a in store.actions(stored.id)]
    assert kinds == [ActionKind.RAISED, ActionKind.REMINDED, ActionKind.REMINDED, ActionKind.ENDED]


# -- what people do ------------------------------------------------------------------------


def test_acknowledge_assign_resolve(store: EventStore) -> None:
    stored = store.record_raised(record(), camera(), jpeg())
    acked = store.acknowledge(stored.id, "  alice ", "on my way")
    assert (acked.status, acked.acknowledged_by, acked.note) == (
        EventStatus.ACKNOWLEDGED,
        "alice",
        "on my way",
    )
    assert acked.acknowledged_at is not None
    assigned = store.assign(stored.id, "alice", "bob")
    assert (assigned.status, assigned.assigned_to) == (EventStatus.ACKNOWLEDGED, "bob")
    done = store.resolve(stored.id, "bob", "bike moved to the shed")
    assert (done.status, done.resolved_by, done.note) == (
        EventStatus.RESOLVED,
        "bob",
        "bike moved to the shed",
    )
    trail = store.actions(stored.id)
    assert [(a.action, a.actor, a.note) for a in trail] == [
        (ActionKind.RAISED, "stairwatch", None),
        (ActionKind.ACKNOWLEDGED, "alice", "on my way"),
        (ActionKind.ASSIGNED, "alice", "bob"),
        (ActionKind.RESOLVED, "bob", "bike moved to the shed"),
    ]
    assert [a.at for a in trail] == sorted(a.at for a in trail)


@pytest.mark.parametrize(
    ("before", "action"),
    [
        (["acknowledge"], "acknowledge"),
        (["resolve"], "acknowledge"),
        (["resolve"], "resolve"),
        (["acknowledge", "resolve"], "resolve"),
        (["resolve"], "assign"),
    ],
)
def test_actions_that_do_not_fit_the_status_are_refused(
    store: EventStore, before: list[str], action: str
) -> None:
    stored = store.record_raised(record(), camera(), jpeg())
    for step in before:
        _act(store, step, stored.id)
    snapshot = store.get(stored.id)
    with pytest.raises(EventStateError, match="already"):
        _act(store, action, stored.id)
    assert store.get(stored.id) == snapshot


def _act(store: EventStore, action: str, event_id: str) -> None:
    if action == "assign":
        store.assign(event_id, "alice", "bob")
    else:
        getattr(store, action)(event_id, "alice")


@pytest.mark.parametrize(
    ("actor", "note"),
    [("", None), ("   ", None), ("x" * 201, None), ("alice", "n" * 2001)],
)
def test_bad_actor_or_note_is_refused(store: EventStore, actor: str, note: str | None) -> None:
    stored = store.record_raised(record(), camera(), jpeg())
    with pytest.raises(StoreError):
        store.acknowledge(stored.id, actor, note)
    assert store.get(stored.id).status == EventStatus.OPEN


# -- reading -------------------------------------------------------------------------------


def seed(store: EventStore) -> dict[str, str]:
    """Four events raised out of order; returns name -> id."""
    ids = {}
    specs = [
        ("b", "cam-3f", T0 + 20, EventType.EBIKE_PARKED),
        ("d", "cam-b1", T0 + 40, EventType.FLYING_WIRE),
        ("a", "cam-3f", T0 + 10, EventType.FLYING_WIRE),
        ("c", "cam-lift", T0 + 30, EventType.EBIKE_IN_ELEVATOR),
    ]
    for name, cam, ts, type_ in specs:
        ids[name] = store.record_raised(record(cam, ts, type_), camera(cam), jpeg()).id
    store.acknowledge(ids["b"], "alice")
    store.resolve(ids["c"], "alice")
    return ids


def test_list_is_newest_first_and_pages(store: EventStore) -> None:
    ids = seed(store)
    assert [e.id for e in store.list_events()] == [ids[n] for n in "dcba"]
    assert [e.id for e in store.list_events(limit=2, offset=1)] == [ids["c"], ids["b"]]
    assert store.list_events(offset=10) == []


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"camera_id": "cam-3f"}, "ba"),
        ({"camera_id": "nowhere"}, ""),
        ({"type": EventType.FLYING_WIRE}, "da"),
        ({"status": EventStatus.OPEN}, "da"),
        ({"status": EventStatus.ACKNOWLEDGED}, "b"),
        ({"since": T0 + 30}, "dc"),
        ({"camera_id": "cam-3f", "type": EventType.FLYING_WIRE}, "a"),
    ],
)
def test_list_filters(store: EventStore, filters: dict[str, object], expected: str) -> None:
    ids = seed(store)
    assert [e.id for e in store.list_events(**filters)] == [ids[n] for n in expected]  # type: ignore[arg-type]
    assert store.count(**filters) == len(expected)  # type: ignore[arg-type]


def test_counts(store: EventStore) -> None:
    seed(store)
    assert store.count_by_status() == {
        EventStatus.OPEN: 2,
        EventStatus.ACKNOWLEDGED: 1,
        EventStatus.RESOLVED: 1,
    }
    by_type = store.count_by_type()
    assert by_type[EventType.FLYING_WIRE] == 2
    assert by_type[EventType.CAMERA_OFFLINE] == 0


@pytest.mark.parametrize(
    "kwargs",
    [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"type": "bogus"}, {"since": math.nan}],
)
def test_bad_list_arguments(store: EventStore, kwargs: dict[str, object]) -> None:
    with pytest.raises(StoreError):
        store.list_events(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "event_id", ["", "nope", str(uuid.uuid4()), "x" * 1000, "'; DROP TABLE events; --"]
)
@pytest.mark.parametrize(
    "call",
    [
        lambda s, i: s.get(i),
        lambda s, i: s.snapshot_path(i),
        lambda s, i: s.actions(i),
        lambda s, i: s.acknowledge(i, "alice"),
        lambda s, i: s.assign(i, "alice", "bob"),
        lambda s, i: s.resolve(i, "alice"),
        lambda s, i: s.record_end(i, T0),
        lambda s, i: s.record_reminder(i),
        lambda s, i: s.record_update(i, record()),
    ],
)
def test_unknown_ids_raise_event_not_found(store: EventStore, event_id: str, call) -> None:  # type: ignore[no-untyped-def]
    store.record_raised(record(), camera(), jpeg())
    with pytest.raises(EventNotFound):
        call(store, event_id)
    assert store.count() == 1


def test_missing_snapshot_file(store: EventStore) -> None:
    stored = store.record_raised(record(), camera(), jpeg())
    (store.media_dir / stored.snapshot_path).unlink()
    with pytest.raises(SnapshotMissing):
        store.snapshot_path(stored.id)


# -- bad input and failures ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "cam", "data", "message"),
    [
        pytest.param(record(), camera(), b"GIF89a...", "not a JPEG", id="not-a-JPEG-1"),
        pytest.param(record(), camera(), b"", "not a JPEG", id="not-a-JPEG-2"),
        pytest.param(record(), camera("cam-other"), jpeg(), "camera", id="camera-3"),
        pytest.param(
            record(confidence=math.nan), camera(), jpeg(), "confidence", id="confidence-4"
        ),
        pytest.param(record(confidence=1.5), camera(), jpeg(), "confidence", id="confidence-5"),
        pytest.param(
            record(alert_ts=math.inf, start_ts=T0), camera(), jpeg(), "alert_ts", id="alert_ts-6"
        ),
        pytest.param(record(start_ts=-5.0), camera(), jpeg(), "start_ts", id="start_ts-7"),
        pytest.param(
            record(box=Box(0.5, 0.2, 0.1, 0.9)), camera(), jpeg(), "swapped", id="swapped-8"
        ),
        pytest.param(
            record(box=Box(0.1, 0.2, 1.4, 0.9)), camera(), jpeg(), "normalized", id="normalized-9"
        ),
        pytest.param(record(zone="z" * 201), camera(), jpeg(), "zone", id="zone-10"),
        pytest.param(record(details=("x" * 501,)), camera(), jpeg(), "details", id="details-11"),
        pytest.param(record(type="parked"), camera(), jpeg(), "type", id="type-12"),
        pytest.param(
            record(), CameraInfo("cam-3f", "n" * 201), jpeg(), "camera name", id="camera-name-13"
        ),
    ],
)
def test_bad_input_writes_nothing(
    store: EventStore, event: EventRecord, cam: CameraInfo, data: bytes, message: str
) -> None:
    with pytest.raises(StoreError, match=message):
        store.record_raised(event, cam, data)
    assert store.count() == 0
    assert media_files(store) == []


def test_snapshot_is_removed_when_the_database_write_fails(
    tmp_path: Path, store: EventStore
) -> None:
    kept = store.record_raised(record(), camera(), jpeg())
    with sqlite3.connect(tmp_path / "db" / "events.db") as conn:
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON events "
            "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
        )
    with pytest.raises(StoreError, match="disk says no"):
        store.record_raised(record(alert_ts=T0 + 5), camera(), jpeg(20))
    assert media_files(store) == [store.media_dir / kept.snapshot_path]
    assert [e.id for e in store.list_events()] == [kept.id]


def test_concurrent_writers_and_readers(store: EventStore) -> None:
    errors: list[BaseException] = []

    def write(camera_id: str) -> None:
        try:
            for i in range(15):
                stored = store.record_raised(record(camera_id, T0 + i), camera(camera_id), jpeg())
                store.record_update(stored.id, record(camera_id, T0 + i, confidence=0.9))
        except BaseException as exc:
            errors.append(exc)

    def read() -> None:
        try:
            for _ in range(30):
                store.list_events(limit=10)
                store.count_by_status()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(c,)) for c in ("cam-a", "cam-b")]
    threads.append(threading.Thread(target=read))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.count() == 30
    assert len(media_files(store)) == 30
