"""Finding alerts (issue 19): every filter of ``GET /api/events`` and the page, alone and combined,
dates in the site's time zone, keyset paging without duplicates or gaps (equal alert times, events
arriving meanwhile) on SQLite and PostgreSQL, 422s that name the parameter and the value, and
query plans that read a filtered page from an index."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from alerts.event_query import Cursor, EventFilter, filtered, newest_first
from alerts.events import EventType, Severity
from alerts.models import EventRow
from alerts.reviews import FalseAlarmReason, ReviewBox, ReviewInput, Verdict
from alerts.store import EventStore
from alerts.stored import CameraInfo, StoredEvent
from dashboard.app import create_app
from dashboard.schemas import DashboardSettings
from tests.delivery_servers import PostgresServer, postgres_server  # noqa: F401
from tests.records import parked_record
from tests.web import LOCAL

T0 = 1_700_000_000.0  # 2023-11-15 06:13:20 in Asia/Shanghai (2023-11-14 22:13:20 UTC)
DAY = 86_400.0
SITE_TZ = "Asia/Shanghai"


def tiny_jpeg() -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((16, 16, 3), 90, np.uint8))
    assert ok
    return data.tobytes()


@dataclass(frozen=True)
class Spec:
    building: str
    floor: str
    camera: str
    type: EventType
    severity: Severity
    alert_ts: float
    status: str = "open"  # open, acknowledged or resolved
    verdict: Verdict | None = None


SPECS = {
    "a": Spec("1号楼", "1F", "cam-a", EventType.EBIKE_PARKED, Severity.HIGH, T0),
    "b": Spec(
        "1号楼",
        "2F",
        "cam-b",
        EventType.FLYING_WIRE,
        Severity.CRITICAL,
        T0 + 3600,
        "acknowledged",
        Verdict.CONFIRMED,
    ),
    "c": Spec(
        "2号楼",
        "1F",
        "cam-c",
        EventType.EBIKE_IN_ELEVATOR,
        Severity.HIGH,
        T0 + DAY,
        "resolved",  # by its false alarm
        Verdict.FALSE_ALARM,
    ),
    "d": Spec("2号楼", "1F", "cam-c", EventType.CAMERA_TAMPERED, Severity.INFO, T0 + DAY),
    "e": Spec(
        "1号楼",
        "1F",
        "cam-a",
        EventType.EBIKE_PARKED,
        Severity.HIGH,
        T0 - DAY,
        "resolved",
        Verdict.CONFIRMED,
    ),
}


def add(store: EventStore, name: str, spec: Spec) -> str:
    record = parked_record(name, spec.camera, "stair", spec.alert_ts, spec.type)
    record = replace(record, severity=spec.severity)
    camera = CameraInfo(spec.camera, f"{spec.camera} name", spec.building, spec.floor)
    event_id = store.record_raised(record, camera, tiny_jpeg()).id
    if spec.status == "acknowledged":
        store.acknowledge(event_id, "wang")
    if spec.verdict is Verdict.CONFIRMED:
        store.review(event_id, "wang", ReviewInput(verdict=Verdict.CONFIRMED))
    if spec.verdict is Verdict.FALSE_ALARM:
        reason = FalseAlarmReason.BICYCLE
        store.review(event_id, "wang", ReviewInput(verdict=Verdict.FALSE_ALARM, reason=reason))
    if spec.status == "resolved" and store.get(event_id).status != "resolved":
        store.resolve(event_id, "wang")
    return event_id


@pytest.fixture
def ids(store: EventStore) -> dict[str, str]:
    return {name: add(store, name, spec) for name, spec in SPECS.items()}


@pytest.fixture
def client(store: EventStore, ids: dict[str, str]) -> Iterator[TestClient]:
    settings = DashboardSettings(timezone=SITE_TZ, default_lang="en")
    with TestClient(create_app(store, settings=settings), base_url=LOCAL) as c:
        yield c


def newest_first_names(ids: dict[str, str], names: list[str]) -> list[str]:
    """``names`` as the API orders them: alert time, then id, both descending."""
    return sorted(names, key=lambda n: (SPECS[n].alert_ts, ids[n]), reverse=True)


def listed_names(client: TestClient, ids: dict[str, str], query: str) -> list[str]:
    response = client.get(f"/api/events?{query}")
    assert response.status_code == 200, response.text
    by_id = {v: k for k, v in ids.items()}
    return [by_id[e["id"]] for e in response.json()]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", "abcde"),
        ("building=1号楼", "abe"),
        ("building=2号楼", "cd"),
        ("building=3号楼", ""),
        ("floor=1F", "acde"),
        ("floor=2F", "b"),
        ("camera=cam-c", "cd"),
        ("type=ebike_parked", "ae"),
        ("type=flying_wire", "b"),
        ("severity=critical", "b"),
        ("severity=info", "d"),
        ("severity=high", "ace"),
        ("status=open", "ad"),
        ("status=acknowledged", "b"),
        ("status=resolved", "ce"),
        ("verdict=confirmed", "be"),
        ("verdict=false_alarm", "c"),
        ("verdict=none", "ad"),
        # Dates are days in the site's zone (Asia/Shanghai): a is at 06:13 on the 15th there,
        # still the 14th in UTC.
        ("from=2023-11-15", "abcd"),
        ("to=2023-11-15", "abe"),
        ("from=2023-11-15&to=2023-11-15", "ab"),
        ("from=2023-11-16", "cd"),
        ("to=2023-11-14", "e"),
        ("from=2023-11-15T07:00", "bcd"),
        ("from=2023-11-15T07:00:00%2B08:00", "bcd"),
        ("from=2023-11-14T23:00:00Z&to=2023-11-15T22:00:00Z", "b"),
        ("to=2023-11-15T06:13:20", "e"),  # to is exclusive
        (f"since={T0 + 1}", "bcd"),
        (f"since={T0 + 1}&from=2023-11-16", "cd"),
        # Combinations.
        ("building=1号楼&floor=1F", "ae"),
        ("building=1号楼&verdict=confirmed", "be"),
        ("building=2号楼&type=camera_tampered&severity=info&status=open", "d"),
        ("camera=cam-a&status=open&verdict=none&from=2023-11-15", "a"),
        ("floor=1F&verdict=false_alarm&status=resolved&to=2023-11-16", "c"),
        ("camera=cam-a&building=2号楼", ""),
        ("type=ebike_parked&from=2023-11-16", ""),
        # Empty values are no filter (what an untouched form field sends).
        ("building=&type=&verdict=&from=&to=", "abcde"),
    ],
)
def test_filters(client: TestClient, ids: dict[str, str], query: str, expected: str) -> None:
    assert listed_names(client, ids, query) == newest_first_names(ids, list(expected))


@pytest.mark.parametrize(
    ("query", "field", "value"),
    [
        ("type=bogus", "type", "bogus"),
        ("severity=urgent", "severity", "urgent"),
        ("status=done", "status", "done"),
        ("verdict=maybe", "verdict", "maybe"),
        ("from=yesterday", "from", "yesterday"),
        ("to=2023-13-01", "to", "2023-13-01"),
        ("from=2023-02-30", "from", "2023-02-30"),
        ("to=9999-12-31", "to", "9999-12-31"),
        ("from=2023-11-16&to=2023-11-15", "to", "2023-11-15"),
        ("cursor=not-a-cursor", "cursor", "not-a-cursor"),
        ("cursor=WzEsMl0", "cursor", "WzEsMl0"),  # base64 of [1,2]: the id is no string
        ("since=-1", "since", "-1"),
    ],
)
def test_bad_filters_are_422_naming_field_and_value(
    client: TestClient, query: str, field: str, value: str
) -> None:
    response = client.get(f"/api/events?{query}")
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["query", field]
    assert str(problem["input"]) == value


def test_offset_and_cursor_do_not_mix(client: TestClient) -> None:
    token = Cursor(T0, "x").token()
    response = client.get(f"/api/events?offset=1&cursor={token}")
    assert response.status_code == 422
    assert "offset and cursor" in response.json()["detail"]


@pytest.mark.parametrize("query", ["", "building=1号楼", "floor=1F&verdict=confirmed"])
def test_next_cursor_pages_through_the_filter(
    client: TestClient, ids: dict[str, str], query: str
) -> None:
    everything = listed_names(client, ids, query)
    seen: list[str] = []
    url: str | None = f"/api/events?{query}&limit=2"
    while url is not None:
        response = client.get(url)
        assert response.status_code == 200
        by_id = {v: k for k, v in ids.items()}
        seen += [by_id[e["id"]] for e in response.json()]
        link = response.headers.get("link")
        if link is None:
            assert "x-next-cursor" not in response.headers
            url = None
        else:
            assert response.headers["x-next-cursor"] in link
            url = "/api/events" + re.fullmatch(r'<(\?[^>]*)>; rel="next"', link).group(1)  # type: ignore[union-attr]
    assert seen == everything


# -- keyset paging on both databases --------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'events.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.new_database()
    with EventStore.open(url, tmp_path / "media") as store:
        yield store


def add_burst(store: EventStore, camera: str, alert_ts: float, n: int) -> list[str]:
    """``n`` events of ``camera`` raised at the very same alert time."""
    info = CameraInfo(camera, camera, "1号楼", "1F")
    return [
        store.record_raised(
            parked_record(f"{camera}-{alert_ts}-{i}", camera, "z", alert_ts, EventType.FLYING_WIRE),
            info,
            tiny_jpeg(),
        ).id
        for i in range(n)
    ]


def page_through(store: EventStore, which: EventFilter, limit: int) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = store.find_events(which, limit, cursor)
        seen += [e.id for e in page.events]
        assert len(page.events) <= limit
        if page.next is None:
            return seen
        cursor = Cursor.parse(page.next.token())


@pytest.mark.parametrize("limit", [1, 3, 4, 7, 50])
def test_keyset_pages_have_no_duplicates_or_gaps_at_equal_times(
    any_store: EventStore, limit: int
) -> None:
    for k in range(4):  # bursts of 4 events at one alert time, on two cameras
        add_burst(any_store, "cam-a", T0 + k, 4)
        add_burst(any_store, "cam-b", T0 + k, 2)
    everything = [e.id for e in any_store.find_events(EventFilter(), 500).events]
    assert len(everything) == 24
    assert page_through(any_store, EventFilter(), limit) == everything
    only_a = [e.id for e in any_store.find_events(EventFilter(camera_id="cam-a"), 500).events]
    assert page_through(any_store, EventFilter(camera_id="cam-a"), limit) == only_a


def test_paging_is_stable_while_events_arrive(any_store: EventStore) -> None:
    old = set()
    for k in range(3):
        old |= set(add_burst(any_store, "cam-a", T0 + k, 3))
    first = any_store.find_events(EventFilter(), 4)
    seen = [e.id for e in first.events]
    add_burst(any_store, "cam-a", T0 + 100, 5)  # newer events arrive between the pages
    cursor = first.next
    while cursor is not None:
        page = any_store.find_events(EventFilter(), 4, cursor)
        seen += [e.id for e in page.events]
        cursor = page.next
    assert len(seen) == len(set(seen)) == len(old), "each older event exactly once"
    assert set(seen) == old


# -- the page ---------------------------------------------------------------------------------


def test_the_page_filters_and_its_links_keep_the_filter(
    client: TestClient, ids: dict[str, str]
) -> None:
    html = client.get("/?lang=en&building=1号楼&verdict=confirmed").text
    cards = re.findall(r'<article class="event[^"]*" data-id="([^"]+)"', html)
    assert cards == [ids[n] for n in newest_first_names(ids, ["b", "e"])]
    assert '<option value="confirmed" selected>Confirmed</option>' in html
    assert '<option value="none">Not reviewed</option>' in html
    assert '<option value="1号楼" selected>1号楼</option>' in html
    assert '<option value="cam-c">cam-c name</option>' in html
    # The status links and the other language keep the filter.
    assert (
        'href="?building=1%E5%8F%B7%E6%A5%BC&amp;verdict=confirmed&amp;lang=en&amp;status=open"'
        in html
    )
    assert "lang=zh-CN" in html and "Clear filters" in html


def test_the_page_pages_with_more_and_back_to_newest(
    store: EventStore, ids: dict[str, str]
) -> None:
    settings = DashboardSettings(timezone=SITE_TZ, default_lang="zh-CN", page_size=2)
    with TestClient(create_app(store, settings=settings), base_url=LOCAL) as client:
        first = client.get("/?lang=zh-CN&floor=1F").text
        more = re.search(r'<a class="more" href="([^"]+)" rel="next">更多', first)
        assert more is not None and "回到最新" not in first
        second = client.get("/" + more.group(1).replace("&amp;", "&")).text
        assert "回到最新" in second and "floor=1F" in more.group(1)
    pages = [re.findall(r'data-id="([^"]+)"', html) for html in (first, second)]
    assert pages[0] + pages[1] == [ids[n] for n in newest_first_names(ids, list("acde"))]


def test_the_events_fragment_takes_the_same_filters(
    client: TestClient, ids: dict[str, str]
) -> None:
    html = client.get("/partials/events?lang=en&type=ebike_parked&status=resolved").text
    assert re.findall(r'data-id="([^"]+)"', html) == [ids["e"]]
    assert client.get("/partials/events?verdict=perhaps").status_code == 422


# -- fast on many events: each filter reads its page from an index ---------------------------


@pytest.mark.parametrize(
    "which",
    [
        EventFilter(),
        EventFilter(building="1号楼"),
        EventFilter(floor="3F"),
        EventFilter(camera_id="cam-a"),
        EventFilter(type=EventType.FLYING_WIRE),
        EventFilter(severity=Severity.CRITICAL),
        EventFilter(verdict=None, start=T0, end=T0 + DAY),
        EventFilter(status=None, camera_id="cam-a", start=T0),
    ],
)
@pytest.mark.parametrize("after", [None, Cursor(T0, "m")])
def test_sqlite_reads_filtered_pages_in_index_order(
    store: EventStore, which: EventFilter, after: Cursor | None
) -> None:
    """No full scan and no sort of the matches: the page comes from an index, newest first."""
    query = newest_first(filtered(select(EventRow), which), after).limit(51)
    compiled = query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    with store.engine.connect() as conn:
        plan = " | ".join(
            str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
        )
    assert "USING INDEX ix_events_" in plan or "USING COVERING INDEX" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_filter_choices_come_from_the_stored_events(store: EventStore) -> None:
    for n, floor in enumerate(("10F", "2F", "B1", "2F")):
        camera = CameraInfo(f"cam-{n % 2}", f"name {n}", f"{n % 2 + 1}号楼", floor)
        record = parked_record(f"k{n}", camera.id, "z", T0 + n, EventType.EBIKE_PARKED)
        store.record_raised(record, camera, tiny_jpeg())
    choices = store.filter_choices()
    assert choices.buildings == ["1号楼", "2号楼"]
    assert sorted(choices.floors) == ["10F", "2F", "B1"]
    assert choices.cameras == {"cam-0": "name 2", "cam-1": "name 3"}, "the newest name"
    with TestClient(create_app(store), base_url=LOCAL) as client:
        html = client.get("/?lang=en").text
    floors = re.findall(r'<option value="([^"]*F|B1)">', html)
    assert floors == ["2F", "10F", "B1"], "floors in natural order"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/events?building=1号楼", 200),
        ("/?lang=en&verdict=none", 200),
        ("/api/events?verdict=maybe", 422),
        ("/api/events/nope", 404),
        ("/static/filters.js", 200),
    ],
)
def test_every_answer_carries_the_security_headers(
    client: TestClient, path: str, status: int
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_a_page_as_json_is_the_bytes_its_stored_events_make(any_store: EventStore) -> None:
    """``GET /api/events`` writes its pages straight from the rows; they must read as the
    StoredEvent models do, field for field and byte for byte, on both databases: boxes drawn
    on a review, a note, an assignee, every verdict."""
    store = any_store
    ids = {name: add(store, name, spec) for name, spec in SPECS.items()}
    boxes = (ReviewBox(label="ebike", xyxy=(0.1, 0.2, 0.3, 0.4)),)
    store.review(ids["a"], "li", ReviewInput(verdict=Verdict.CONFIRMED, note="是", boxes=boxes))
    store.assign(ids["d"], "li", "zhang")
    everything = EventFilter()
    page = store.find_events(everything, limit=4)
    as_json = store.find_events_json(everything, limit=4)
    assert as_json.events_json == TypeAdapter(list[StoredEvent]).dump_json(page.events)
    assert as_json.next == page.next is not None
    assert store.find_events_json(EventFilter(building="9号楼")).events_json == b"[]"
