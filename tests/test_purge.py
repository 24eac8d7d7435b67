"""Deletion requests: ``stairwatch purge`` and ``/admin/purge`` remove every row and file of
their range and nothing else, count without deleting on a dry run, and log who did it."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.access_log import AccessAction
from alerts.events import EventType
from alerts.media import training_folder
from alerts.models import EventActionRow, EventRow
from alerts.notices import EventBrief, Notice, NoticeKind
from alerts.outbox import new_row
from alerts.outbox_models import DigestItemRow, OutboxRow
from alerts.purge import PurgeError, PurgeScope, parse_before, purge, scope_for
from alerts.snapshot import encode_frame
from alerts.store import CameraInfo, EventStore
from alerts.stored import StoredEvent
from dashboard.app import create_app
from dashboard.auth import Role, hash_password
from dashboard.schemas import DashboardSettings, DashboardUser
from tests.camera_fakes import Cameras
from tests.media_helpers import CAMERA, clip_bytes, raise_event, scene
from tests.records import parked_record
from tests.web import LOCAL

DAY = 86_400.0
ScopeOf = Callable[[dict[str, str], float], PurgeScope]  # (event ids by name, now) -> scope
LIFT = CameraInfo("cam-lift", "Lift 2", "3号楼", "1F")
PASSWORD = "correct horse battery"
FAST = 1_000  # PBKDF2 iterations in tests


@dataclass
class Site:
    """Four events: ``old3f`` and ``oldlift`` ten days old, ``new3f`` and ``newlift`` from today;
    every event has a clip, a training frame, a trail entry, an alert message and a digest
    item; one digest names ``old3f`` and ``newlift``; one summary is about the lift camera."""

    store: EventStore
    ids: dict[str, str]
    now: float


def _lift_event(store: EventStore, alert_ts: float) -> StoredEvent:
    record = parked_record(f"lift-{alert_ts}", LIFT.id, "car", alert_ts, EventType.EBIKE_PARKED)
    return store.record_raised(record, LIFT, encode_frame(scene(alert_ts)))


def _notice(kind: NoticeKind, events: list[StoredEvent], now: float) -> Notice:
    return Notice(
        kind=kind,
        group="patrol",
        language="en",
        title="t",
        markdown="m",
        link=None,
        events=tuple(EventBrief.of(e) for e in events),
        created_at=now,
    )


@pytest.fixture
def site(store: EventStore) -> Site:
    now = time.time()
    events = {
        "old3f": raise_event(store, now - 10 * DAY),
        "new3f": raise_event(store, now - 3600),
        "oldlift": _lift_event(store, now - 10 * DAY + 60),
        "newlift": _lift_event(store, now - 1800),
    }
    for event in events.values():
        store.record_clip(event.id, clip_bytes(seconds=0.5))
        store.record_training_frame(event.id, encode_frame(scene(0.0)))
        store.acknowledge(event.id, "ops", "seen")
    with Session(store.engine) as session, session.begin():
        for event in events.values():
            notice = _notice(NoticeKind.ALERT, [event], now)
            session.add(new_row(event.id, "alert", "wecom", "patrol", notice, now, event.camera_id))
            session.add(
                DigestItemRow(group_name="patrol", event_id=event.id, entry="alert", created_at=now)
            )
        digest = _notice(NoticeKind.DIGEST, [events["old3f"], events["newlift"]], now)
        session.add(new_row(None, "digest", "wecom", "patrol", digest, now, key_subject="d1"))
        summary = _notice(NoticeKind.SUMMARY, [], now)
        session.add(new_row(None, "summary", "wecom", "patrol", summary, now, LIFT.id, "s1"))
    return Site(store, {name: e.id for name, e in events.items()}, now)


def _files(store: EventStore) -> set[str]:
    return {str(p.relative_to(store.media_dir)) for p in store.media_dir.rglob("*") if p.is_file()}


def _files_of(store: EventStore, event_id: str) -> set[str]:
    return {f for f in _files(store) if event_id in f}


def _rows(store: EventStore) -> dict[str, set[str]]:
    """Every row that names an event, by table: ids of the events it names."""
    with Session(store.engine) as session:
        outbox = set()
        for event_id, payload in session.execute(select(OutboxRow.event_id, OutboxRow.payload)):
            outbox |= {event_id} if event_id else {e["id"] for e in payload["events"]}
        return {
            "events": set(session.scalars(select(EventRow.id))),
            "trail": set(session.scalars(select(EventActionRow.event_id))),
            "digest_items": set(session.scalars(select(DigestItemRow.event_id))),
            "outbox": outbox,
        }


def _outbox_cameras(store: EventStore) -> list[str | None]:
    with Session(store.engine) as session:
        return sorted(c or "" for c in session.scalars(select(OutboxRow.camera_id)))


def _assert_gone_and_kept(store: EventStore, ids: dict[str, str], gone: set[str]) -> None:
    """No row or file of the ``gone`` events is left; every other event is whole."""
    rows = _rows(store)
    for name, event_id in ids.items():
        where = {table for table, named in rows.items() if event_id in named}
        files = _files_of(store, event_id)
        if name in gone:
            assert (where, files) == (set(), set()), f"{name} left {where} {files}"
        else:
            assert where == {"events", "trail", "digest_items", "outbox"}, name
            assert len(files) == 3, f"{name} keeps its snapshot, clip and training frame"


@pytest.mark.parametrize(
    ("scope_of", "gone", "outbox_rows"),
    [
        # by camera: its events' alerts, the digest naming old3f, nothing of the lift
        (lambda ids, now: PurgeScope(camera_id=CAMERA.id), {"old3f", "new3f"}, 3),
        # the lift's summary goes with the camera
        (lambda ids, now: PurgeScope(camera_id=LIFT.id), {"oldlift", "newlift"}, 4),
        (lambda ids, now: PurgeScope(before=now - 5 * DAY), {"old3f", "oldlift"}, 3),
        (lambda ids, now: PurgeScope(event_id=ids["new3f"]), {"new3f"}, 1),
        (lambda ids, now: PurgeScope(before=now - 20 * DAY), set(), 0),
    ],
    ids=["camera-3f", "camera-lift", "before", "event", "before-nothing"],
)
def test_purge_leaves_nothing_of_its_range_and_everything_else(
    site: Site, scope_of: ScopeOf, gone: set[str], outbox_rows: int
) -> None:
    scope = scope_of(site.ids, site.now)
    files_before = _files(site.store)
    dry = purge(site.store, scope, "admin", dry_run=True, known_cameras={CAMERA.id, LIFT.id})
    assert _files(site.store) == files_before, "a dry run deletes nothing"
    assert site.store.access.entries(action=AccessAction.PURGED) == []
    done = purge(site.store, scope, "admin", known_cameras={CAMERA.id, LIFT.id})
    expected = (len(gone), 2 * len(gone), outbox_rows, len(gone), 3 * len(gone))
    counts = (done.events, done.trail_rows, done.outbox_rows, done.digest_items, done.files)
    assert counts == expected
    assert dry.model_copy(update={"dry_run": False}) == done, "the dry run counted the same"
    assert len(files_before) - len(_files(site.store)) == done.files
    _assert_gone_and_kept(site.store, site.ids, gone)
    [entry] = site.store.access.entries(action=AccessAction.PURGED)
    assert entry.actor == "admin" and entry.target == f"{done.scope}: {done.summary()}"


def test_purge_by_date_also_takes_orphan_files_of_days_before(site: Site) -> None:
    old_day = training_folder("x", site.now - 10 * DAY).split("/")[1]
    orphan = site.store.media_dir / "snapshots" / old_day / "no-row-points-here.jpg"
    orphan.write_bytes(b"\xff\xd8 left by a crash")
    report = purge(site.store, PurgeScope(before=site.now - 5 * DAY), "admin")
    assert not orphan.exists() and report.files == 7
    # left: the alerts of the two new events and the lift's summary (the digest named old3f)
    assert _outbox_cameras(site.store) == ["cam-3f", "cam-lift", "cam-lift"]


@pytest.mark.parametrize(
    ("camera", "before", "event", "message"),
    [
        (None, None, None, "give exactly one of camera, before or event (got none)"),
        ("cam-3f", "2026-01-01", None, "got camera='cam-3f', before='2026-01-01'"),
        (None, "yesterday", None, "before 'yesterday' is not a date"),
        (None, "2026-13-01", None, "before '2026-13-01' is not a date"),
        (None, None, "  ", "give exactly one of camera, before or event (got none)"),
    ],
)
def test_bad_selectors_are_refused_naming_the_value(
    camera: str | None, before: str | None, event: str | None, message: str
) -> None:
    with pytest.raises(PurgeError) as err:
        scope_for(camera, before, event)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        (PurgeScope(camera_id="cam-9"), "camera 'cam-9': no such camera"),
        (PurgeScope(event_id="nope"), "event 'nope': no event with this id"),
        (PurgeScope(before=time.time() + DAY), "is in the future"),
    ],
)
def test_purge_refuses_what_does_not_exist_and_removes_nothing(
    site: Site, scope: PurgeScope, message: str
) -> None:
    files, rows = _files(site.store), _rows(site.store)
    with pytest.raises(PurgeError, match=message):
        purge(site.store, scope, "admin", known_cameras={CAMERA.id})
    assert (_files(site.store), _rows(site.store)) == (files, rows)


def test_a_configured_camera_with_nothing_stored_purges_nothing(store: EventStore) -> None:
    report = purge(store, PurgeScope(camera_id="cam-new"), "admin", known_cameras={"cam-new"})
    assert report.summary() == "0 events, 0 trail rows, 0 outbox rows, 0 digest items, 0 files"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-01-02", "2026-01-02T00:00:00"), ("2026-01-02T08:30", "2026-01-02T08:30:00")],
)
def test_before_is_a_local_date_or_time(text: str, expected: str) -> None:
    from datetime import datetime

    assert datetime.fromtimestamp(parse_before(text)).isoformat() == expected


# -- the command --------------------------------------------------------------------------------


def _config(tmp_path: Path, store: EventStore) -> Path:
    config = {
        "cameras": [{"id": CAMERA.id, "source": "rtsp://127.0.0.1:1/x"}],
        "storage": {
            "data_dir": str(store.media_dir.parent),
            "database_url": str(store.engine.url),
        },
        "model": {"path": __file__},
    }
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "stairwatch", "purge", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_command_dry_run_then_purge_by_event(site: Site, tmp_path: Path) -> None:
    config = str(_config(tmp_path, site.store))
    event_id = site.ids["old3f"]
    dry = _cli("--config", config, "--event", event_id, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip() == (
        f"event {event_id}: would remove 1 events, 2 trail rows, 2 outbox rows, "
        "1 digest items, 3 files"
    )
    assert _files_of(site.store, event_id)
    done = _cli("--config", config, "--event", event_id)
    assert done.returncode == 0, done.stderr
    assert "removed 1 events" in done.stdout
    _assert_gone_and_kept(site.store, site.ids, {"old3f"})
    [entry] = site.store.access.entries(action=AccessAction.PURGED)
    assert entry.actor.startswith("cli:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--before", "last week"], "before 'last week' is not a date"),
        (["--camera", "cam-9"], "camera 'cam-9': no such camera"),
        (["--event", "nope"], "event 'nope': no event with this id"),
        (["--camera", "cam-3f", "--event", "x"], "not allowed with argument"),
    ],
)
def test_command_refuses_bad_arguments(
    site: Site, tmp_path: Path, args: list[str], message: str
) -> None:
    files = _files(site.store)
    result = _cli("--config", str(_config(tmp_path, site.store)), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert _files(site.store) == files


# -- the dashboard --------------------------------------------------------------------------------


def _client(site: Site) -> TestClient:
    users = [
        DashboardUser(
            name=role.value, role=role, password_hash=SecretStr(hash_password(PASSWORD, FAST))
        )
        for role in Role
    ]
    settings = DashboardSettings(users=users, session_secret=SecretStr("s" * 32))
    return TestClient(create_app(site.store, Cameras(), settings), base_url=LOCAL)


def _sign_in(client: TestClient, role: Role) -> None:
    form = {"name": role.value, "password": PASSWORD, "next": "/"}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 401), (Role.VIEWER, 403), (Role.OPERATOR, 403), (Role.ADMIN, 200)],
)
def test_only_admins_reach_the_purge_page_and_action(
    site: Site, role: Role | None, status: int
) -> None:
    files = _files(site.store)
    with _client(site) as client:
        if role is not None:
            _sign_in(client, role)
        page = client.get("/admin/purge", headers={"accept": "application/json"})
        form = {"selector": "camera", "value": CAMERA.id, "confirm": "yes"}
        action = client.post("/admin/purge", data=form)
    assert (page.status_code, action.status_code) == (status, status)
    gone = {"old3f", "new3f"} if role is Role.ADMIN else set()
    assert len(_files(site.store)) == len(files) - 3 * len(gone)
    _assert_gone_and_kept(site.store, site.ids, gone)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_dashboard_shows_the_counts_before_it_deletes(site: Site, lang: str) -> None:
    event_id = site.ids["newlift"]
    with _client(site) as client:
        _sign_in(client, Role.ADMIN)
        form = {"selector": "event", "value": event_id}
        preview = client.post(f"/admin/purge?lang={lang}", data=form)
        assert preview.status_code == 200
        assert (
            'data-count="files">3<' in preview.text and 'name="confirm" value="yes"' in preview.text
        )
        assert _files_of(site.store, event_id), "nothing deleted before the confirmation"
        done = client.post(f"/admin/purge?lang={lang}", data={**form, "confirm": "yes"})
        assert done.status_code == 200 and 'id="done"' in done.text
        bad = client.post(f"/admin/purge?lang={lang}", data={"selector": "before", "value": "soon"})
    assert bad.status_code == 400 and "before &#39;soon&#39; is not a date" in bad.text
    _assert_gone_and_kept(site.store, site.ids, {"newlift"})
    [entry] = site.store.access.entries(action=AccessAction.PURGED)
    assert (entry.actor, entry.address) == ("admin", "testclient")
