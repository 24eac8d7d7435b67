"""The live feed ``GET /api/events/stream`` (Server-Sent Events) on a real SQLite store: new and
changed events arrive, a reconnect resumes after ``Last-Event-ID``, changes that commit late are
still sent, and only those who may read ``/api/events`` may read it.

The store is written from the test's thread while the app streams, as the recorder thread does.
Stores with a hand-set clock keep changes further apart than the feed's look-back window.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

import dashboard.feed
from alerts.changes import BEFORE_ALL, ChangeMark, parse_mark
from alerts.errors import StoreError
from alerts.store import EventStore
from dashboard.access import SESSION_COOKIE
from dashboard.api import STORE_UNAVAILABLE
from dashboard.app import create_app
from dashboard.feed import LOOKBACK_S, FeedCursor, next_chunk, start_cursor
from dashboard.schemas import DashboardSettings
from tests.media_helpers import raise_event
from tests.test_dashboard_auth import PASSWORDS, SESSION_SECRET, Clock, users
from tests.web import LOCAL, serving

pytestmark = pytest.mark.timeout(60)  # a message that never comes must not hang the run

STREAM = "/api/events/stream"
T0 = 1_800_000_000.0


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def timed_store(tmp_path: Path, clock: Clock) -> Iterator[EventStore]:
    with EventStore.open(
        f"sqlite:///{tmp_path / 'events.db'}", tmp_path / "media", clock=clock
    ) as store:
        yield store


def read_message(lines: Iterator[str]) -> dict[str, str]:
    """The next message with data (comments and the retry line skipped): its fields."""
    fields: dict[str, str] = {}
    for line in lines:
        if line:
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        elif "data" in fields:
            return fields
        else:
            fields = {}
    raise AssertionError("the stream ended")


def event_id_of(message: dict[str, str]) -> str:
    return str(httpx.Response(200, content=message["data"]).json()["id"])


def test_a_new_event_arrives_with_a_mark_of_its_change(store: EventStore) -> None:
    with (
        TestClient(create_app(store), base_url=LOCAL) as client,
        client.stream("GET", STREAM) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        lines = response.iter_lines()
        event = raise_event(store, time.time())  # after the stream began
        message = read_message(lines)
    assert event_id_of(message) == event.id
    assert parse_mark(message["id"]) == ChangeMark(event.updated_at, event.id)


@pytest.mark.parametrize("how", ["Last-Event-ID", "after"])
def test_a_reconnect_gets_what_changed_after_its_mark_then_goes_on(
    timed_store: EventStore, clock: Clock, how: str
) -> None:
    seen = raise_event(timed_store, T0)
    clock.now += 2 * LOOKBACK_S
    missed = raise_event(timed_store, T0 + 60)
    mark = ChangeMark(seen.updated_at, seen.id).text()
    headers, params = (
        ({"Last-Event-ID": mark}, {}) if how == "Last-Event-ID" else ({}, {"after": mark})
    )
    with (
        TestClient(create_app(timed_store), base_url=LOCAL) as client,
        client.stream("GET", STREAM, headers=headers, params=params) as response,
    ):
        lines = response.iter_lines()
        replayed = read_message(lines)
        clock.now += 2 * LOOKBACK_S
        timed_store.acknowledge(seen.id, "wang")
        live = read_message(lines)
    assert event_id_of(replayed) == missed.id, "the seen one is not sent again"
    assert event_id_of(live) == seen.id
    assert '"status":"acknowledged"' in live["data"]
    assert parse_mark(live["id"]) == ChangeMark(clock.now, seen.id)


def test_a_page_that_showed_no_events_gets_one_raised_before_its_stream_began(
    store: EventStore,
) -> None:
    with TestClient(create_app(store), base_url=LOCAL) as client:
        page = client.get("/?lang=en").text
        assert f'data-feed-after="{BEFORE_ALL.text()}"' in page
        event = raise_event(store, time.time())
        with client.stream("GET", STREAM, params={"after": BEFORE_ALL.text()}) as response:
            message = read_message(response.iter_lines())
    assert event_id_of(message) == event.id


@pytest.mark.parametrize(
    "mark",
    ["junk", "nan_abc", "-5.0_abc", "_abc", "1e999_abc", "1.5_" + "x" * 37],
)
def test_a_mark_that_was_never_sent_is_refused(store: EventStore, mark: str) -> None:
    with TestClient(create_app(store), base_url=LOCAL) as client:
        by_header = client.get(STREAM, headers={"Last-Event-ID": mark})
        by_query = client.get(STREAM, params={"after": mark})
    for response in (by_header, by_query):
        assert response.status_code == 400
        assert "not a change mark" in response.json()["detail"]


def test_an_idle_stream_sends_keep_alive_comments(store: EventStore) -> None:
    app = create_app(store, settings=DashboardSettings(feed_keepalive_s=1))
    with TestClient(app, base_url=LOCAL) as client, client.stream("GET", STREAM) as response:
        lines = response.iter_lines()
        assert next(lines) == "retry: 2000"
        assert [line for line in (next(lines), next(lines)) if line] == [": keep-alive"]


def test_stopping_the_server_ends_open_streams_cleanly(store: EventStore) -> None:
    """Under uvicorn: the stream's body ends as a complete response (a stream cut off at the
    shutdown timeout would end mid-body, which httpx reports as an error)."""
    with httpx.Client(timeout=30) as client:
        with serving(create_app(store)) as base:
            request = client.build_request("GET", f"{base}{STREAM}")
            response = client.send(request, stream=True)
            lines = response.iter_lines()
            assert next(lines) == "retry: 2000"
        assert [line for line in lines if line] == []
        response.close()


# -- the cursor (no HTTP): late commits, repeats, bursts ---------------------------------------


@pytest.mark.parametrize(
    ("stamped_s", "sent"),
    [
        (-LOOKBACK_S / 2, True),  # committed late, stamped inside the window: still sent
        (-2 * LOOKBACK_S, False),  # stamped long before the cursor: beyond the look-back
        (+1.0, True),
    ],
)
def test_a_change_is_sent_once_even_when_it_commits_late(
    timed_store: EventStore, clock: Clock, stamped_s: float, sent: bool
) -> None:
    raise_event(timed_store, T0)
    cursor = start_cursor(timed_store, None, None)
    clock.now = T0 + stamped_s
    late = raise_event(timed_store, T0 + 1)
    chunk = next_chunk(timed_store.engine, cursor)
    assert (late.id in chunk) is sent
    assert next_chunk(timed_store.engine, cursor) == "", "nothing is sent twice"


def test_more_changes_than_one_read_reset_the_list(
    timed_store: EventStore, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard.feed, "MAX_READ", 3)
    cursor = FeedCursor.resume(None)
    for n in range(4):
        clock.now = T0 + n
        last = raise_event(timed_store, T0 + n)
    chunk = next_chunk(timed_store.engine, cursor)
    assert chunk == f"event: reset\nid: {ChangeMark(T0 + 3, last.id).text()}\ndata: {{}}\n\n"
    assert next_chunk(timed_store.engine, cursor) == ""
    clock.now = T0 + 10
    assert timed_store.resolve(last.id, "wang").id in next_chunk(timed_store.engine, cursor)


def test_a_stream_cannot_begin_without_the_store(store: EventStore) -> None:
    """The app's usual 503 with its fixed text: no driver message."""
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE events")
    with TestClient(create_app(store), base_url=LOCAL) as client:
        response = client.get(STREAM)
    assert (response.status_code, response.json()) == (503, {"detail": STORE_UNAVAILABLE})
    with pytest.raises(StoreError):
        next_chunk(store.engine, FeedCursor.resume(None))


# -- who may read it -----------------------------------------------------------------------------


@pytest.fixture
def signed_in_app(store: EventStore) -> Iterator[TestClient]:
    settings = DashboardSettings(users=users(), session_secret=SecretStr(SESSION_SECRET))
    with TestClient(create_app(store, settings=settings), base_url=LOCAL) as client:
        yield client


@pytest.mark.parametrize(
    ("who", "how"),
    [
        (None, None),
        ("vera", "cookie"),
        ("vera", "basic"),
        ("otto", "cookie"),
        ("vera", "wrong password"),
    ],
)
def test_the_stream_is_for_whoever_may_read_the_events(
    signed_in_app: TestClient, who: str | None, how: str | None
) -> None:
    client = signed_in_app
    cookies: dict[str, str] = {}
    auth: tuple[str, str] | None = None
    if who is not None and how == "cookie":
        login = client.post(
            "/login", data={"name": who, "password": PASSWORDS[who]}, follow_redirects=False
        )
        assert login.status_code == 303
        cookies = {SESSION_COOKIE: client.cookies[SESSION_COOKIE]}
    elif who is not None:
        auth = (who, PASSWORDS[who] if how == "basic" else "nope")
    client.cookies.clear()
    listed = client.get("/api/events", cookies=cookies, auth=auth)
    with client.stream("GET", STREAM, cookies=cookies, auth=auth) as streamed:
        assert streamed.status_code == listed.status_code
        if listed.status_code == 200:
            assert next(streamed.iter_lines()) == "retry: 2000"
        else:
            assert listed.status_code == 401
            assert streamed.read() == listed.content
