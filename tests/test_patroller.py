"""The patroller's page over a real store: one alert opened from a signed link, no account."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from alerts.events import Box, EventStatus, EventType
from alerts.links import sign_link
from alerts.snapshot import LabelledBox, render_snapshot
from alerts.store import EventStore
from alerts.stored import ActionKind, CameraInfo
from dashboard.app import create_app
from dashboard.schemas import DashboardSettings
from tests.records import parked_record
from tests.web import LOCAL

T0 = 1_700_000_000.0
TZ = "Asia/Shanghai"
SECRET = "patrol-link-secret-7f3a9c"
HOUR = 3600.0
# Just an ftyp box: the store checks no more than that, and the route only serves bytes.
FAKE_MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64


def add_event(store: EventStore, camera: CameraInfo, alert_ts: float, type_: EventType) -> str:
    record = parked_record(f"{camera.id}-{alert_ts}", camera.id, "landing", alert_ts, type_)
    image = np.full((360, 640, 3), 80, np.uint8)
    boxes = [LabelledBox(Box(0.3, 0.3, 0.6, 0.9), "ebike", 0.9)]
    snapshot = render_snapshot(image, None, boxes, camera.name)
    return store.record_raised(record, camera, snapshot).id


@pytest.fixture
def ids(store: EventStore) -> dict[str, str]:
    """a: e-bike parked on the 3F stairs; b: e-bike in lift 2 (another building)."""
    stairs = CameraInfo("cam-3f", "3F 楼梯间", "3号楼", "3F")
    lift = CameraInfo("cam-lift", "2号电梯", "5号楼", "B1")
    return {
        "a": add_event(store, stairs, T0, EventType.EBIKE_PARKED),
        "b": add_event(store, lift, T0 + 100, EventType.EBIKE_IN_ELEVATOR),
    }


@pytest.fixture
def client(store: EventStore, ids: dict[str, str]):
    settings = DashboardSettings(timezone=TZ, link_secret=SECRET)
    with TestClient(create_app(store, settings=settings), base_url=LOCAL) as c:
        yield c


def link(event_id: str, expires_in: float = HOUR, secret: str = SECRET) -> str:
    return f"/p/{sign_link(event_id, time.time() + expires_in, secret)}"


def local(ts: float) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(TZ)).strftime("%Y-%m-%d %H:%M:%S")


def post(client: TestClient, url: str, **form: str) -> httpx.Response:
    return client.post(url, data=form, follow_redirects=False)


def actions(store: EventStore, event_id: str) -> list[tuple[ActionKind, str, str | None]]:
    return [(a.action, a.actor, a.note) for a in store.actions(event_id)]


# -- viewing ---------------------------------------------------------------------------------


def test_valid_link_shows_its_event_and_snapshot(
    client: TestClient, store: EventStore, ids: dict[str, str]
) -> None:
    url = link(ids["a"])
    page = client.get(url)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="zh-CN">' in html
    for text in ("电动车违停", "3F 楼梯间", "3号楼 · 3F", "landing", "高", "待处理"):
        assert text in html
    assert local(T0 - 30) in html  # since when: the condition's start
    assert local(T0) in html  # the alert's time
    assert f'src="{url}/snapshot.jpg"' in html
    assert "<video" not in html  # no clip stored
    # Nothing about the other event, and no way into the open API.
    assert ids["b"] not in html and "2号电梯" not in html
    assert "/api/" not in html

    snapshot = client.get(f"{url}/snapshot.jpg")
    assert snapshot.status_code == 200
    assert snapshot.headers["content-type"] == "image/jpeg"
    assert snapshot.content == store.snapshot_path(ids["a"]).read_bytes()
    assert client.get(f"{url}/clip.mp4").status_code == 404


def test_clip_is_shown_and_served_when_stored(
    client: TestClient, store: EventStore, ids: dict[str, str]
) -> None:
    store.record_clip(ids["a"], FAKE_MP4)
    url = link(ids["a"])
    assert f'src="{url}/clip.mp4"' in client.get(url).text
    clip = client.get(f"{url}/clip.mp4")
    assert clip.status_code == 200
    assert clip.headers["content-type"] == "video/mp4"
    assert clip.content == FAKE_MP4


@pytest.mark.parametrize(
    ("query", "accept_language", "lang", "texts"),
    [
        ("", None, "zh-CN", ("电动车违停", "确认", "解决", "您的姓名")),
        ("?lang=en", None, "en", ("E-bike parked", "Acknowledge", "Resolve", "Your name")),
        ("", "en-GB,en;q=0.9", "en", ("E-bike parked", "Open", "Severity")),
        ("?lang=zh-CN", "en", "zh-CN", ("电动车违停", "待处理", "级别")),
    ],
)
def test_page_language(
    client: TestClient,
    ids: dict[str, str],
    query: str,
    accept_language: str | None,
    lang: str,
    texts: tuple[str, ...],
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    html = client.get(link(ids["a"]) + query, headers=headers).text
    assert f'<html lang="{lang}">' in html
    for text in texts:
        assert text in html


def test_page_is_private_and_self_contained(client: TestClient, ids: dict[str, str]) -> None:
    page = client.get(link(ids["a"]))
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"  # the token must not leak onwards
    assert page.headers["cache-control"] == "no-store"
    assert "noindex" in page.headers["x-robots-tag"]
    assert "http://" not in page.text and "https://" not in page.text
    assert "<script>" not in page.text  # only the external, same-origin script
    for asset in ("/static/patrol.css", "/static/patrol.js", "/static/app.css"):
        assert asset in page.text
        assert client.get(asset).status_code == 200


# -- acting ----------------------------------------------------------------------------------


def test_acknowledge_then_resolve_by_form_post(
    client: TestClient, store: EventStore, ids: dict[str, str]
) -> None:
    url = link(ids["a"])
    answer = post(client, f"{url}/acknowledge?lang=zh-CN", name="  王 师傅 ", note="")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{url}?lang=zh-CN&done=acknowledge"
    page = client.get(answer.headers["location"]).text
    assert "已确认，谢谢" in page
    assert "patroller:王 师傅" in page
    assert store.get(ids["a"]).status == EventStatus.ACKNOWLEDGED

    answer = post(client, f"{url}/resolve?lang=en", name="王 师傅", note="moved to the shed")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{url}?lang=en&done=resolve"
    page = client.get(answer.headers["location"]).text
    assert "Marked as resolved" in page
    assert "nothing left to do" in page and "<form" not in page

    event = store.get(ids["a"])
    assert event.status == EventStatus.RESOLVED
    assert event.resolved_by == "patroller:王 师傅"
    assert event.note == "moved to the shed"
    assert actions(store, ids["a"])[1:] == [
        (ActionKind.ACKNOWLEDGED, "patroller:王 师傅", None),
        (ActionKind.RESOLVED, "patroller:王 师傅", "moved to the shed"),
    ]


def test_resolve_straight_from_open(
    client: TestClient, store: EventStore, ids: dict[str, str]
) -> None:
    assert post(client, f"{link(ids['a'])}/resolve", name="Li").status_code == 303
    assert actions(store, ids["a"])[-1] == (ActionKind.RESOLVED, "patroller:Li", None)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"note": "no name"}, "请填写您的姓名"),
        ({"name": "   ", "note": "blank name"}, "请填写您的姓名"),
        ({"name": "x" * 101}, "输入过长"),
        ({"name": "Li", "note": "n" * 2001}, "输入过长"),
    ],
)
def test_bad_forms_are_shown_again_and_change_nothing(
    client: TestClient,
    store: EventStore,
    ids: dict[str, str],
    form: dict[str, str],
    message: str,
) -> None:
    answer = post(client, f"{link(ids['a'])}/acknowledge", **form)
    assert answer.status_code == 422
    assert message in answer.text
    assert '<form id="patrol-form"' in answer.text
    assert store.get(ids["a"]).status == EventStatus.OPEN
    assert len(store.actions(ids["a"])) == 1  # raised only


def test_acting_on_an_event_changed_meanwhile_is_409(
    client: TestClient, store: EventStore, ids: dict[str, str]
) -> None:
    url = link(ids["a"])
    store.resolve(ids["a"], "control room")
    for action in ("acknowledge", "resolve"):
        answer = post(client, f"{url}/{action}?lang=en", name="Li", note="kept")
        assert answer.status_code == 409
        assert "Someone else has dealt with this alert" in answer.text
        assert "Resolved" in answer.text
    assert store.get(ids["a"]).resolved_by == "control room"


def test_names_are_escaped(client: TestClient, store: EventStore, ids: dict[str, str]) -> None:
    url = link(ids["a"])
    post(client, f"{url}/acknowledge", name="<script>x()</script>", note="<b>hi</b>")
    html = client.get(url).text
    assert "<script>x()" not in html and "<b>hi</b>" not in html
    assert "&lt;script&gt;x()&lt;/script&gt;" in html


# -- links that do not open their event ------------------------------------------------------


def tampered(event_ids: dict[str, str]) -> dict[str, str]:
    """Path prefixes of links that must not work, by how they were broken."""
    good = link(event_ids["a"]).removeprefix("/p/")
    payload, mac = good.split(".")
    other_payload = sign_link(event_ids["b"], time.time() + HOUR, SECRET).split(".")[0]
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    return {
        "flipped signature": f"/p/{payload}.{flipped}",
        "other secret": link(event_ids["a"], secret="not-the-secret"),
        "spliced payload": f"/p/{other_payload}.{mac}",
        "no signature": f"/p/{payload}",
        "garbage": "/p/abc",
        "too long": f"/p/{good}{'A' * 600}",
    }


BROKEN = ["flipped signature", "other secret", "spliced payload", "no signature", "garbage"]


@pytest.mark.parametrize("how", [*BROKEN, "too long"])
@pytest.mark.parametrize("suffix", ["", "/snapshot.jpg", "/clip.mp4"])
def test_tampered_links_are_403(
    client: TestClient, ids: dict[str, str], how: str, suffix: str
) -> None:
    answer = client.get(tampered(ids)[how] + suffix)
    assert answer.status_code == 403
    assert "链接无效" in answer.text
    assert ids["a"] not in answer.text and ids["b"] not in answer.text


@pytest.mark.parametrize("how", BROKEN)
@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_tampered_links_cannot_act(
    client: TestClient, store: EventStore, ids: dict[str, str], how: str, action: str
) -> None:
    answer = post(client, f"{tampered(ids)[how]}/{action}", name="Mallory")
    assert answer.status_code == 403
    assert [store.get(i).status for i in ids.values()] == [EventStatus.OPEN] * 2


def test_a_link_reaches_only_its_own_event(
    client: TestClient, store: EventStore, ids: dict[str, str]
) -> None:
    url = link(ids["a"])
    # Extra fields naming the other event are ignored: the id comes from the token alone.
    answer = post(client, f"{url}/resolve", name="Li", event_id=ids["b"], id=ids["b"])
    assert answer.status_code == 303
    assert store.get(ids["a"]).status == EventStatus.RESOLVED
    assert store.get(ids["b"]).status == EventStatus.OPEN
    assert len(store.actions(ids["b"])) == 1
    assert client.get(f"{url}/snapshot.jpg").content != store.snapshot_path(ids["b"]).read_bytes()
    for path in (f"{url}/{ids['b']}", f"{url}/events", f"/p/{ids['b']}"):
        assert client.get(path).status_code in (403, 404)


@pytest.mark.parametrize(
    ("query", "title", "text"),
    [
        ("", "链接已过期", "请联系监控室"),
        ("?lang=en", "Link expired", "Please ask the control room"),
    ],
)
def test_expired_links_are_410(
    client: TestClient, store: EventStore, ids: dict[str, str], query: str, title: str, text: str
) -> None:
    url = link(ids["a"], expires_in=-60)
    for suffix in ("", "/snapshot.jpg", "/clip.mp4"):
        answer = client.get(url + suffix + query)
        assert answer.status_code == 410
        assert title in answer.text and text in answer.text
    for action in ("acknowledge", "resolve"):
        assert post(client, f"{url}/{action}{query}", name="Li").status_code == 410
    assert store.get(ids["a"]).status == EventStatus.OPEN


def test_link_to_a_deleted_event_is_404(client: TestClient) -> None:
    url = link("00000000-0000-0000-0000-000000000000")
    for answer in (client.get(url), client.get(f"{url}/snapshot.jpg")):
        assert answer.status_code == 404
        assert "告警不存在" in answer.text
    assert post(client, f"{url}/resolve", name="Li").status_code == 404


def test_no_link_secret_means_no_patrol_pages(store: EventStore, ids: dict[str, str]) -> None:
    with TestClient(
        create_app(store, settings=DashboardSettings(timezone=TZ)), base_url=LOCAL
    ) as c:
        url = link(ids["a"])
        assert c.get(url).status_code == 404
        assert c.get(f"{url}/snapshot.jpg").status_code == 404
        assert post(c, f"{url}/resolve", name="Li").status_code == 404
    assert store.get(ids["a"]).status == EventStatus.OPEN


# -- the secret ------------------------------------------------------------------------------


def test_secret_never_appears(client: TestClient, store: EventStore, ids: dict[str, str]) -> None:
    settings = DashboardSettings(link_secret=SECRET)
    assert SECRET not in repr(settings) and SECRET not in settings.model_dump_json()
    url = link(ids["a"])
    answers = [
        client.get(url),
        client.get(f"{url}?lang=en"),
        client.get(f"{url}/snapshot.jpg"),
        post(client, f"{url}/acknowledge", name=""),
        post(client, f"{url}/acknowledge", name="Li"),
        client.get(link(ids["a"], expires_in=-1)),
        client.get(tampered(ids)["flipped signature"]),
        client.get("/"),
        client.get("/openapi.json"),
        client.get("/api/events"),
    ]
    for answer in answers:
        assert SECRET.encode() not in answer.content
        assert all(SECRET not in value for value in answer.headers.values())
    assert "/p/" not in client.get("/openapi.json").text
