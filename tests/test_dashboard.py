"""The dashboard over a real store: JSON API, snapshots, actions, the HTML page in two languages."""

from __future__ import annotations

from datetime import datetime

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from alerts.events import Box, EventType
from alerts.snapshot import LabelledBox, render_snapshot
from alerts.store import EventStore
from alerts.stored import CameraInfo
from dashboard.app import create_app
from dashboard.i18n import Texts, pick_lang
from dashboard.schemas import CameraState, CameraStatus, DashboardSettings
from tests.records import parked_record
from tests.web import LOCAL

T0 = 1_700_000_000.0
SECRET = "hunter2"


class FixedCameras:
    """A CameraStatusProvider with canned statuses, one of them carrying a credentialed URL."""

    def camera_statuses(self) -> list[CameraStatus]:
        return [
            CameraStatus(
                id="cam-3f",
                name="3F 楼梯间",
                building="3号楼",
                floor="3F",
                state=CameraState.ONLINE,
                fps=2.0,
            ),
            CameraStatus(
                id="cam-lift",
                name="Lift 2",
                state=CameraState.OFFLINE,
                last_frame_age_s=90,
                last_error=f"cannot open rtsp://admin:{SECRET}@10.0.0.9/ch1",
            ),
        ]


def snapshot_jpeg(title: str) -> bytes:
    image = np.full((360, 640, 3), 80, np.uint8)
    return render_snapshot(image, None, [LabelledBox(Box(0.3, 0.3, 0.6, 0.9), "ebike", 0.9)], title)


def add_event(store: EventStore, camera_id: str, alert_ts: float, type_: EventType) -> str:
    record = parked_record(f"{camera_id}-{alert_ts}", camera_id, "stair", alert_ts, type_)
    info = CameraInfo(camera_id, f"{camera_id} name", "3号楼", "3F")
    return store.record_raised(record, info, snapshot_jpeg(camera_id)).id


@pytest.fixture
def ids(store: EventStore) -> dict[str, str]:
    """older: parked on cam-3f; newer: e-bike in the lift; newest: flying wire on cam-3f."""
    return {
        "older": add_event(store, "cam-3f", T0, EventType.EBIKE_PARKED),
        "newest": add_event(store, "cam-3f", T0 + 200, EventType.FLYING_WIRE),
        "newer": add_event(store, "cam-lift", T0 + 100, EventType.EBIKE_IN_ELEVATOR),
    }


@pytest.fixture
def client(store: EventStore, ids: dict[str, str]):
    with TestClient(create_app(store, FixedCameras()), base_url=LOCAL) as c:
        yield c


# -- JSON API ------------------------------------------------------------------------------


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "events_open": 3, "cameras": 2}


def test_events_are_json_newest_first(client: TestClient, ids: dict[str, str]) -> None:
    response = client.get("/api/events")
    assert response.status_code == 200
    events = response.json()
    assert [e["id"] for e in events] == [ids["newest"], ids["newer"], ids["older"]]
    first = events[0]
    assert first["type"] == "flying_wire"
    assert first["box"] == {"x1": 0.3, "y1": 0.3, "x2": 0.6, "y2": 0.9}
    assert first["status"] == "open"
    assert first["ongoing"] is True


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("limit=1", ["newest"]),
        ("limit=2&offset=1", ["newer", "older"]),
        ("camera=cam-3f", ["newest", "older"]),
        ("camera=nowhere", []),
        ("type=ebike_in_elevator", ["newer"]),
        ("status=resolved", []),
        ("status=open&camera=cam-lift", ["newer"]),
        (f"since={T0 + 100}", ["newest", "newer"]),
    ],
)
def test_event_filters(
    client: TestClient, ids: dict[str, str], query: str, expected: list[str]
) -> None:
    response = client.get(f"/api/events?{query}")
    assert response.status_code == 200
    assert [e["id"] for e in response.json()] == [ids[n] for n in expected]


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=501", "offset=-1", "type=bogus", "status=done", "since=-1"]
)
def test_bad_event_filters_are_422(client: TestClient, query: str) -> None:
    assert client.get(f"/api/events?{query}").status_code == 422


def test_one_event_and_its_snapshot(client: TestClient, ids: dict[str, str]) -> None:
    event = client.get(f"/api/events/{ids['older']}")
    assert event.status_code == 200
    assert event.json()["camera_name"] == "cam-3f name"
    snap = client.get(f"/api/events/{ids['older']}/snapshot.jpg")
    assert snap.status_code == 200
    assert snap.headers["content-type"] == "image/jpeg"
    assert snap.content[:3] == b"\xff\xd8\xff"
    image = cv2.imdecode(np.frombuffer(snap.content, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape[1] == 640


@pytest.mark.parametrize(
    "path",
    [
        "/api/events/nope",
        "/api/events/00000000-0000-0000-0000-000000000000",
        "/api/events/nope/snapshot.jpg",
        "/api/events/nope/actions",
    ],
)
def test_unknown_events_are_404_json(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "no event" in response.json()["detail"]


def test_missing_snapshot_file_is_404(
    client: TestClient, store: EventStore, ids: dict[str, str]
) -> None:
    store.snapshot_path(ids["older"]).unlink()
    response = client.get(f"/api/events/{ids['older']}/snapshot.jpg")
    assert response.status_code == 404
    assert "missing" in response.json()["detail"]


def test_acknowledge_assign_resolve_flow(client: TestClient, ids: dict[str, str]) -> None:
    url = f"/api/events/{ids['newer']}"
    acked = client.post(f"{url}/acknowledge", json={"actor": "alice", "note": "on my way"})
    assert acked.status_code == 200
    assert (acked.json()["status"], acked.json()["acknowledged_by"]) == ("acknowledged", "alice")
    again = client.post(f"{url}/acknowledge", json={"actor": "bob"})
    assert again.status_code == 409
    assert "already acknowledged by alice" in again.json()["detail"]
    assigned = client.post(f"{url}/assign", json={"actor": "alice", "assignee": "bob"})
    assert assigned.json()["assigned_to"] == "bob"
    resolved = client.post(f"{url}/resolve", json={"actor": "bob", "note": "moved"})
    assert (resolved.json()["status"], resolved.json()["note"]) == ("resolved", "moved")
    assert client.post(f"{url}/resolve", json={"actor": "bob"}).status_code == 409
    trail = client.get(f"{url}/actions").json()
    assert [a["action"] for a in trail] == ["raised", "acknowledged", "assigned", "resolved"]
    statuses = [e["status"] for e in client.get("/api/events?status=resolved").json()]
    assert statuses == ["resolved"]


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("acknowledge", None),
        ("acknowledge", {}),
        ("acknowledge", {"actor": ""}),
        ("acknowledge", {"actor": "   "}),
        ("acknowledge", {"actor": "x" * 201}),
        ("acknowledge", {"actor": "alice", "extra": 1}),
        ("resolve", {"actor": "alice", "note": "n" * 2001}),
        ("assign", {"actor": "alice"}),
        ("assign", {"actor": "alice", "assignee": ""}),
    ],
)
def test_bad_action_bodies_are_422(
    client: TestClient, ids: dict[str, str], action: str, body: dict[str, object] | None
) -> None:
    response = client.post(f"/api/events/{ids['older']}/{action}", json=body)
    assert response.status_code == 422
    assert client.get(f"/api/events/{ids['older']}").json()["status"] == "open"


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_actions_on_unknown_events_are_404(client: TestClient, action: str) -> None:
    response = client.post(f"/api/events/nope/{action}", json={"actor": "alice"})
    assert response.status_code == 404


def test_cameras_without_provider_is_empty(store: EventStore) -> None:
    with TestClient(create_app(store), base_url=LOCAL) as c:
        assert c.get("/api/cameras").json() == []
        assert c.get("/healthz").json()["cameras"] == 0


def test_cameras_never_show_secrets(client: TestClient) -> None:
    cameras = client.get("/api/cameras").json()
    assert [c["state"] for c in cameras] == ["online", "offline"]
    assert cameras[1]["last_error"] == "cannot open rtsp://***@10.0.0.9/ch1"
    assert all("source" not in c for c in cameras)
    for path in ("/api/cameras", "/?lang=en", "/partials/cameras?lang=zh-CN"):
        assert SECRET not in client.get(path).text


# -- HTML ----------------------------------------------------------------------------------


def card_order(html: str, ids: dict[str, str]) -> list[str]:
    positions = {name: html.find(f'data-id="{event_id}"') for name, event_id in ids.items()}
    assert all(p >= 0 for p in positions.values()), positions
    return sorted(positions, key=positions.__getitem__)


@pytest.mark.parametrize(
    ("lang", "header", "html_lang", "texts"),
    [
        (
            "zh-CN",
            None,
            "zh-CN",
            ["楼道安全监控", "电动车违停", "电动车进电梯", "飞线充电", "待处理", "确认"],
        ),
        (
            "en",
            None,
            "en",
            ["E-bike parked", "E-bike in elevator", "Flying-wire charging", "Acknowledge"],
        ),
        (None, "en-US,en;q=0.9", "en", ["E-bike parked"]),
        (None, "fr-FR, zh-TW;q=0.8, en;q=0.5", "zh-CN", ["电动车违停"]),
        (None, None, "zh-CN", ["电动车违停"]),
        ("xx", "en", "en", ["E-bike parked"]),
    ],
)
def test_page_lists_events_newest_first_in_the_chosen_language(
    client: TestClient,
    ids: dict[str, str],
    lang: str | None,
    header: str | None,
    html_lang: str,
    texts: list[str],
) -> None:
    params = {"lang": lang} if lang else {}
    headers = {"Accept-Language": header} if header else {}
    response = client.get("/", params=params, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert f'<html lang="{html_lang}">' in html
    for text in texts:
        assert text in html
    assert card_order(html, ids) == ["newest", "newer", "older"]
    assert f"/api/events/{ids['older']}/snapshot.jpg" in html
    assert "3号楼 · 3F" in html


def test_page_shows_local_times_and_status(client: TestClient, ids: dict[str, str]) -> None:
    client.post(f"/api/events/{ids['older']}/acknowledge", json={"actor": "alice"})
    html = client.get("/?lang=en").text
    assert datetime.fromtimestamp(T0).strftime("%Y-%m-%d %H:%M:%S") in html
    assert "st-acknowledged" in html and "Acknowledged by" in html and "alice" in html


def test_status_filter_on_the_page(client: TestClient, ids: dict[str, str]) -> None:
    client.post(f"/api/events/{ids['newer']}/resolve", json={"actor": "alice"})
    html = client.get("/?lang=en&status=resolved").text
    assert ids["newer"] in html and ids["older"] not in html
    assert client.get("/?status=nonsense").status_code == 422


def test_partials_and_static_files(client: TestClient, ids: dict[str, str]) -> None:
    fragment = client.get("/partials/events?lang=en").text
    assert "<html" not in fragment
    assert card_order(fragment, ids) == ["newest", "newer", "older"]
    for path, kind in [("/static/app.js", "javascript"), ("/static/app.css", "text/css")]:
        response = client.get(path)
        assert response.status_code == 200 and kind in response.headers["content-type"]


def test_page_uses_no_outside_resources(client: TestClient) -> None:
    response = client.get("/")
    assert "http://" not in response.text and "https://" not in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert client.get("/docs").status_code == 404  # Swagger UI would load from a CDN


def test_empty_store_page(store: EventStore) -> None:
    settings = DashboardSettings(default_lang="en", timezone="Asia/Shanghai")
    with TestClient(create_app(store, settings=settings), base_url=LOCAL) as c:
        html = c.get("/").text
    assert "No events" in html


def test_html_escapes_user_text(client: TestClient, ids: dict[str, str]) -> None:
    client.post(f"/api/events/{ids['older']}/acknowledge", json={"actor": "<script>x</script>"})
    html = client.get("/?lang=en").text
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        ("zh", None, "zh-CN"),
        ("zh_Hans", None, "zh-CN"),
        ("EN-gb", None, "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        (None, "en;q=0.5, zh;q=0.9", "zh-CN"),
        (None, "zh;q=0, en;q=0.1", "en"),
        (None, "de, fr;q=0.8", "zh-CN"),
        (None, "garbage;q=abc", "zh-CN"),
    ],
)
def test_pick_lang(query: str | None, header: str | None, expected: str) -> None:
    assert pick_lang(query, header, "zh-CN") == expected


@pytest.mark.parametrize(
    ("lang", "stored", "shown"),
    [
        ("zh-CN", "cable_reaches_ebike", "电线已接到电动车"),
        ("zh-CN", "cable reaches e-bike", "电线已接到电动车"),  # an event stored before keys
        ("en", "cable_reaches_ebike", "the cable reaches an e-bike"),
        ("zh-CN", "no_picture", "无画面"),
        ("en", "camera_turned_away", "camera turned away"),
        ("zh-CN", "something else", "something else"),  # no key: shown as stored
    ],
)
def test_event_details_follow_the_language(lang: str, stored: str, shown: str) -> None:
    assert Texts(lang).detail(stored) == shown  # type: ignore[arg-type]
