"""The access log: who signed in and who viewed which snapshot, clip or live picture, written by
the real dashboard (FastAPI's TestClient) into a real SQLite store, read back by admins only."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from pydantic import SecretStr

from alerts.access_log import AccessAction, AccessLog, is_repeat
from alerts.events import EventType
from alerts.links import sign_link
from alerts.models import Base
from alerts.store import EventStore
from alerts.stored import CameraInfo
from dashboard.app import create_app
from dashboard.schemas import DashboardSettings
from stairwatch.config import StorageConfig
from stairwatch.media.retention_job import run_retention
from tests.camera_fakes import Cameras
from tests.records import parked_record
from tests.test_dashboard_auth import PASSWORDS, SESSION_SECRET, users
from tests.web import LOCAL

LINK_SECRET = "link-secret-for-tests"
T0 = 1_700_000_000.0


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("last_at", "now", "repeat"),
    [
        (None, 100.0, False),
        (100.0, 100.0, True),
        (100.0, 699.0, True),
        (100.0, 700.0, False),
        (100.0, 50.0, False),  # the clock stepped back: log it
    ],
)
def test_is_repeat(last_at: float | None, now: float, repeat: bool) -> None:
    assert is_repeat(last_at, now, 600.0) is repeat


def test_views_are_logged_once_per_window_and_filtered(store: EventStore) -> None:
    clock = Clock()
    log = AccessLog(store.engine, clock)
    assert log.record("vera", AccessAction.VIEWED_CLIP, "e1", "10.0.0.7")
    assert not log.record("vera", AccessAction.VIEWED_CLIP, "e1", "10.0.0.7")  # seeking
    assert log.record("vera", AccessAction.VIEWED_CLIP, "e2")
    assert log.record("otto", AccessAction.VIEWED_CLIP, "e1")
    assert log.record("vera", AccessAction.SIGN_IN_FAILED)
    assert log.record("vera", AccessAction.SIGN_IN_FAILED)  # every failure counts
    clock.now += 600
    assert log.record("vera", AccessAction.VIEWED_CLIP, "e1")
    assert [e.target for e in log.entries(actor="vera", action=AccessAction.VIEWED_CLIP)] == [
        "e1",
        "e2",
        "e1",
    ]
    assert len(log.entries(since=T0 + 1)) == 1
    assert len(log.entries(until=T0 + 1)) == 5
    assert log.purge(T0 + 1) == 5
    assert [(e.actor, e.at) for e in log.entries()] == [("vera", T0 + 600)]


def test_the_table_matches_migration_0003(store: EventStore) -> None:
    def include(obj: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
        table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table == "access_log"

    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include})
        assert compare_metadata(context, Base.metadata) == []


def test_retention_purges_old_entries(store: EventStore, tmp_path: Path) -> None:
    store.access.record("vera", AccessAction.SIGNED_IN)
    storage = StorageConfig(data_dir=tmp_path, access_log_days=1)
    assert run_retention(store, storage, clock=lambda: time.time() + 2 * 86400) is not None
    assert store.access.entries() == []


# -- through the dashboard ----------------------------------------------------------------------


@pytest.fixture
def event_id(store: EventStore) -> str:
    record = parked_record("k1", "cam-3f", "stair", T0, EventType.EBIKE_PARKED)
    info = CameraInfo("cam-3f", "3F stairs", "3号楼", "3F")
    event = store.record_raised(record, info, b"\xff\xd8\xff\xd9")
    store.record_clip(event.id, b"\x00\x00\x00\x18ftypmp42")
    return event.id


@pytest.fixture
def client(store: EventStore, event_id: str) -> Iterator[TestClient]:
    settings = DashboardSettings(
        default_lang="zh-CN",
        users=users(),
        session_secret=SecretStr(SESSION_SECRET),
        link_secret=SecretStr(LINK_SECRET),
    )
    cameras = Cameras()
    with TestClient(create_app(store, cameras, settings, pictures=cameras), base_url=LOCAL) as c:
        yield c


def sign_in(client: TestClient, name: str, password: str | None = None) -> int:
    form = {"name": name, "password": password or PASSWORDS[name]}
    return client.post("/login", data=form, follow_redirects=False).status_code


def logged(store: EventStore) -> list[tuple[str, AccessAction, str | None]]:
    return [(e.actor, e.action, e.target) for e in reversed(store.access.entries())]


def test_sign_ins_views_and_sign_outs_are_logged(
    client: TestClient, store: EventStore, event_id: str
) -> None:
    assert sign_in(client, "vera", "wrong") == 401
    assert sign_in(client, "vera") == 303
    for _ in range(3):  # the event list refreshes; the video seeks
        assert client.get(f"/api/events/{event_id}/snapshot.jpg").status_code == 200
        assert client.get(f"/api/events/{event_id}/clip.mp4").status_code == 200
        assert client.get("/api/cameras/cam-3f/latest.jpg").status_code == 200
    assert client.get("/api/events/nope/snapshot.jpg").status_code == 404  # nothing shown
    client.post("/logout", follow_redirects=False)
    assert logged(store) == [
        ("vera", AccessAction.SIGN_IN_FAILED, None),
        ("vera", AccessAction.SIGNED_IN, None),
        ("vera", AccessAction.VIEWED_SNAPSHOT, event_id),
        ("vera", AccessAction.VIEWED_CLIP, event_id),
        ("vera", AccessAction.VIEWED_LIVE, "cam-3f"),
        ("vera", AccessAction.SIGNED_OUT, None),
    ]
    assert {e.address for e in store.access.entries()} == {"testclient"}


def test_patrol_link_views_are_logged(client: TestClient, store: EventStore, event_id: str) -> None:
    token = sign_link(event_id, time.time() + 3600, LINK_SECRET)
    assert client.get(f"/p/{token}/snapshot.jpg").status_code == 200
    assert logged(store) == [("patrol-link", AccessAction.VIEWED_SNAPSHOT, event_id)]


@pytest.mark.parametrize(
    ("name", "status"),
    [("vera", 403), ("otto", 403), ("ada", 200)],
)
def test_only_admins_read_the_log(client: TestClient, name: str, status: int) -> None:
    sign_in(client, name)
    for path in ("/api/access-log", "/api/access-log.csv", "/audit"):
        assert client.get(path, headers={"accept": "text/html"}).status_code == status


def test_admin_reads_filters_and_downloads_the_log(
    client: TestClient, store: EventStore, event_id: str
) -> None:
    sign_in(client, "vera")
    client.get(f"/api/events/{event_id}/clip.mp4")
    client.cookies.clear()
    sign_in(client, "ada")
    got = client.get("/api/access-log", params={"actor": "vera"}).json()
    assert [(e["action"], e["target"]) for e in got] == [
        ("viewed_clip", event_id),
        ("signed_in", None),
    ]
    only = client.get("/api/access-log", params={"action": "viewed_clip"}).json()
    assert [e["actor"] for e in only] == ["vera"]
    today = time.strftime("%Y-%m-%d")
    assert len(client.get("/api/access-log", params={"day": today}).json()) == 3
    assert client.get("/api/access-log", params={"day": "2001-01-01"}).json() == []
    bad_day = client.get("/api/access-log", params={"day": "2026-13-45"})
    assert bad_day.status_code == 422 and "2026-13-45" in bad_day.json()["detail"]
    csv = client.get("/api/access-log.csv", params={"actor": "vera"})
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8").splitlines()
    assert lines[0] == "\ufefftime,actor,action,target,address"
    assert lines[1].split(",")[1:4] == ["vera", "viewed_clip", event_id]
    page = client.get("/audit", params={"actor": "vera", "lang": "zh-CN"})
    assert page.status_code == 200
    assert "查看录像" in page.text and event_id in page.text
    assert "/api/access-log.csv?actor=vera" in page.text
    assert "/audit?lang=" in client.get("/").text  # the admin's way there


def test_csv_cells_never_run_as_formulas(client: TestClient) -> None:
    assert sign_in(client, "=HYPERLINK(1)", "guess") == 401
    sign_in(client, "ada")
    lines = client.get("/api/access-log.csv").content.decode("utf-8").splitlines()
    assert lines[-1].split(",")[1:3] == ["'=HYPERLINK(1)", "sign_in_failed"]


def test_an_event_list_page_links_no_log_for_viewers(client: TestClient) -> None:
    sign_in(client, "vera")
    assert "/audit" not in client.get("/").text
