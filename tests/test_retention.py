"""Retention: the planner's policy as tables, then the whole thing on a real SQLite store with
real snapshot and clip files, and the scheduled job's single pass."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from alerts.errors import ClipMissing, EventNotFound, StoreError
from alerts.retention import (
    BYTES_PER_GB,
    SECONDS_PER_DAY,
    MediaItem,
    RetentionLimits,
    apply_retention,
    plan_retention,
)
from alerts.store import EventStore
from stairwatch.config import StorageConfig
from stairwatch.media.retention_job import run_retention, start_retention_job
from tests.media_helpers import clip_bytes, raise_event

NOW = 1_700_000_000.0
DAY = SECONDS_PER_DAY


def item(
    name: str, age_days: float, ended: bool = True, snap: int = 10, clip: int = 0
) -> MediaItem:
    """An event raised ``age_days`` ago that (if ``ended``) ended one hour after its alert."""
    alert = NOW - age_days * DAY
    return MediaItem(name, alert, alert + 3600 if ended else None, snap, clip)


CAP_NONE = 10**12


@pytest.mark.parametrize(
    ("items", "max_age_days", "cap", "deleted", "dropped", "after", "over"),
    [
        pytest.param([], 30, CAP_NONE, [], [], 0, False, id="nothing"),
        pytest.param(
            [item("a", 40), item("b", 31), item("c", 29), item("d", 1)],
            30,
            CAP_NONE,
            ["a", "b"],
            [],
            20,
            False,
            id="age cut, oldest first",
        ),
        pytest.param(
            [item("a", 30.05), item("b", 30.03)],  # b ended 30.03 d - 1 h ago: within 30 days
            30,
            CAP_NONE,
            ["a"],
            [],
            10,
            False,
            id="age counts from the end",
        ),
        pytest.param(
            [item("live", 90, ended=False, clip=100), item("old", 90)],
            30,
            CAP_NONE,
            ["old"],
            [],
            110,
            False,
            id="ongoing events are never too old",
        ),
        pytest.param(
            [item("a", 5, clip=100), item("b", 4, clip=100), item("c", 3, clip=100)],
            30,
            150,
            [],
            ["a", "b"],
            130,
            False,
            id="cap: clips of ended events first, oldest first",
        ),
        pytest.param(
            [item("a", 5, snap=50, clip=100), item("b", 4, snap=50, clip=100)],
            30,
            60,
            ["a"],
            ["b"],
            50,
            False,
            id="cap: then whole ended events",
        ),
        pytest.param(
            [item("done", 5, snap=10, clip=10), item("live", 1, False, snap=10, clip=100)],
            30,
            15,
            ["done"],
            ["live"],
            10,
            False,
            id="cap: ongoing clips only as a last resort",
        ),
        pytest.param(
            [item("live", 1, False, snap=500)],
            30,
            100,
            [],
            [],
            500,
            True,
            id="cap: ongoing snapshots are never touched",
        ),
        pytest.param(
            [item("y", 2, clip=100), item("x", 2, clip=100), item("z", 2, clip=100)],
            30,
            230,
            [],
            ["x"],
            230,
            False,
            id="ties broken by id",
        ),
        pytest.param(
            [item("old", 40, clip=1000), item("new", 1, clip=100)],
            30,
            200,
            ["old"],
            [],
            110,
            False,
            id="age cut frees enough: the cap takes nothing more",
        ),
        pytest.param(
            [item("a", 2, snap=100, clip=0), item("b", 1, snap=100, clip=0)],
            30,
            100,
            ["a"],
            [],
            100,
            False,
            id="at the cap exactly is fine",
        ),
    ],
)
def test_plan(
    items: list[MediaItem],
    max_age_days: float,
    cap: int,
    deleted: list[str],
    dropped: list[str],
    after: int,
    over: bool,
) -> None:
    limits = RetentionLimits(max_age_days * DAY, cap)
    plan = plan_retention(items, NOW, limits)
    assert list(plan.delete_events) == deleted
    assert list(plan.drop_clips) == dropped
    assert plan.media_bytes_before == sum(i.snapshot_bytes + i.clip_bytes for i in items)
    assert plan.media_bytes_after == after
    assert plan.over_cap is over
    assert plan.empty is (not deleted and not dropped)


@pytest.mark.parametrize(("days", "gb"), [(0, 1), (30, 0), (-1, 1)])
def test_limits_must_be_positive(days: float, gb: float) -> None:
    with pytest.raises(StoreError):
        RetentionLimits.from_config(days, gb)


def test_limits_from_config() -> None:
    limits = RetentionLimits.from_config(30, 2.5)
    assert limits == RetentionLimits(30 * DAY, int(2.5 * BYTES_PER_GB))


# -- on a real store ------------------------------------------------------------------------


def _files(store: EventStore) -> set[str]:
    return {p.relative_to(store.media_dir).as_posix() for p in store.media_dir.rglob("*.*")}


def _action_count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM event_actions").fetchone()[0])


def test_apply_retention_on_a_real_store(store: EventStore, tmp_path: Path) -> None:
    old = raise_event(store, NOW - 40 * DAY, end_ts=NOW - 40 * DAY + 60)
    store.record_clip(old.id, clip_bytes())
    store.acknowledge(old.id, "alice")
    recent = raise_event(store, NOW - 2 * DAY, end_ts=NOW - 2 * DAY + 60)
    store.record_clip(recent.id, clip_bytes())
    live = raise_event(store, NOW - 50 * DAY)  # still going: kept, however old
    store.record_clip(live.id, clip_bytes())
    actions_before = _action_count(tmp_path / "events.db")

    report = apply_retention(store, NOW, retention_days=30, max_media_gb=1)

    assert (report.events_deleted, report.clips_dropped, report.over_cap) == (1, 0, False)
    assert {e.id for e in store.list_events()} == {recent.id, live.id}
    with pytest.raises(EventNotFound):
        store.actions(old.id)
    # raised + ended + acknowledged of the old event are gone with it
    assert _action_count(tmp_path / "events.db") == actions_before - 3
    files = _files(store)
    assert not any(old.id in f for f in files)
    assert {f for f in files if recent.id in f or live.id in f} == {
        store.get(recent.id).snapshot_path,
        store.get(recent.id).clip_path,
        store.get(live.id).snapshot_path,
        store.get(live.id).clip_path,
    }
    assert report.media_bytes_after == sum((store.media_dir / f).stat().st_size for f in files)

    again = apply_retention(store, NOW, retention_days=30, max_media_gb=1)
    assert (again.events_deleted, again.clips_dropped) == (0, 0)


def test_apply_retention_caps_media_oldest_first(store: EventStore) -> None:
    first = raise_event(store, NOW - 3 * DAY, end_ts=NOW - 3 * DAY + 60)
    second = raise_event(store, NOW - 2 * DAY, end_ts=NOW - 2 * DAY + 60)
    live = raise_event(store, NOW - 1 * DAY)
    for event in (first, second, live):
        store.record_clip(event.id, clip_bytes())
    sizes = {
        e.id: (
            store.snapshot_path(e.id).stat().st_size,
            store.clip_path(e.id).stat().st_size,
        )
        for e in (first, second, live)
    }
    total = sum(s + c for s, c in sizes.values())
    # room for everything but one clip: the oldest ended event's clip goes
    cap = total - sizes[first.id][1] + 1

    report = apply_retention(store, NOW, retention_days=30, max_media_gb=cap / BYTES_PER_GB)

    assert (report.events_deleted, report.clips_dropped, report.over_cap) == (0, 1, False)
    assert store.get(first.id).clip_path is None
    with pytest.raises(ClipMissing):
        store.clip_path(first.id)
    assert store.snapshot_path(first.id).is_file()
    assert store.clip_path(second.id).is_file() and store.clip_path(live.id).is_file()
    assert report.media_bytes_after == total - sizes[first.id][1]


def test_apply_retention_counts_missing_files_as_empty(store: EventStore) -> None:
    event = raise_event(store, NOW - 2 * DAY, end_ts=NOW - 2 * DAY + 60)
    store.snapshot_path(event.id).unlink()
    report = apply_retention(store, NOW, retention_days=30, max_media_gb=1)
    assert (report.events_deleted, report.media_bytes_before) == (0, 0)


def test_delete_events_skips_unknown_ids(store: EventStore) -> None:
    event = raise_event(store, NOW)
    assert store.delete_events([]) == 0
    assert store.delete_events(["nope", event.id, event.id]) == 1
    assert store.count() == 0
    assert _files(store) == set()


# -- the scheduled job ----------------------------------------------------------------------


def test_run_retention_once(store: EventStore, tmp_path: Path) -> None:
    raise_event(store, NOW - 40 * DAY, end_ts=NOW - 40 * DAY + 60)
    kept = raise_event(store, NOW - DAY, end_ts=NOW - DAY + 60)
    storage = StorageConfig(data_dir=tmp_path, retention_days=30, max_media_gb=1)
    report = run_retention(store, storage, clock=lambda: NOW)
    assert report is not None and report.events_deleted == 1
    assert [e.id for e in store.list_events()] == [kept.id]


def test_run_retention_logs_store_failures(store: EventStore, tmp_path: Path) -> None:
    store.close()
    (tmp_path / "events.db").unlink()
    (tmp_path / "events.db").mkdir()  # the database is now unreadable
    storage = StorageConfig(data_dir=tmp_path)
    assert run_retention(store, storage, clock=lambda: NOW) is None


def test_retention_job_is_scheduled_hourly(store: EventStore, tmp_path: Path) -> None:
    scheduler = start_retention_job(store, StorageConfig(data_dir=tmp_path))
    try:
        (job,) = scheduler.get_jobs()
        assert job.id == "retention"
        assert job.trigger.interval.total_seconds() == 3600
        assert job.next_run_time is not None
    finally:
        scheduler.shutdown(wait=False)
