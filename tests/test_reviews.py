"""Verdicts through the API (issue 15): who may give one, what a body may hold, one verdict per
event with every change in the trail, a false alarm closes the event, counts per camera."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alerts.store import EventStore
from tests.test_dashboard_security import PASSWORDS, add_event, basic, make_app
from tests.web import LOCAL

BOX = {"label": "ebike", "xyxy": [0.1, 0.2, 0.5, 0.9]}
CONFIRMED = {"verdict": "confirmed", "boxes": [BOX]}
FALSE_ALARM = {"verdict": "false_alarm", "reason": "bicycle", "note": "a kid's bike"}


@pytest.fixture
def client(store: EventStore) -> Iterator[TestClient]:
    with TestClient(make_app(store), base_url=LOCAL) as client:
        yield client


def review(client: TestClient, event_id: str, body: dict[str, Any], who: str = "otto") -> Any:
    return client.post(f"/api/events/{event_id}/review", json=body, headers=basic(who))


ROLES_X_VERDICTS = [
    ("vera", CONFIRMED, 403, "open"),
    ("vera", FALSE_ALARM, 403, "open"),
    ("otto", CONFIRMED, 200, "open"),
    ("otto", FALSE_ALARM, 200, "resolved"),
    ("ada", CONFIRMED, 200, "open"),
    ("ada", FALSE_ALARM, 200, "resolved"),
]


@pytest.mark.parametrize(("who", "body", "code", "status"), ROLES_X_VERDICTS)
def test_operators_and_admins_give_verdicts(
    client: TestClient, store: EventStore, who: str, body: dict, code: int, status: str
) -> None:
    event_id = add_event(store)
    assert review(client, event_id, {**body, "actor": "mallory"}, who).status_code == code
    shown = client.get(f"/api/events/{event_id}", headers=basic("vera")).json()
    assert shown["status"] == status
    if code == 200:
        assert shown["review"]["verdict"] == body["verdict"]
        assert shown["review"]["by"] == who  # the signed-in user, never the body's
        listed = client.get("/api/events", headers=basic("vera")).json()
        assert [e["review"]["verdict"] for e in listed if e["id"] == event_id] == [body["verdict"]]
    else:
        assert shown["review"] is None


BAD_BODIES = [
    ({"verdict": "maybe"}, "verdict"),
    ({"verdict": "false_alarm"}, "reason is required"),
    ({"verdict": "false_alarm", "reason": "ghost"}, "reason"),
    ({"verdict": "confirmed", "reason": "bicycle"}, "reason is only"),
    ({"verdict": "confirmed", "boxes": [{"label": "car", "xyxy": [0, 0, 1, 1]}]}, "label"),
    ({"verdict": "confirmed", "boxes": [{"label": "ebike", "xyxy": [0.5, 0, 0.4, 1]}]}, "xyxy"),
    ({"verdict": "confirmed", "boxes": [{"label": "ebike", "xyxy": [0, 0.5, 1, 0.5]}]}, "xyxy"),
    ({"verdict": "confirmed", "boxes": [{"label": "ebike", "xyxy": [0, 0, 1, 1.5]}]}, "xyxy"),
    ({"verdict": "confirmed", "boxes": [{"label": "ebike", "xyxy": [0, 0, 1]}]}, "xyxy"),
    ({"verdict": "confirmed", "boxes": [BOX] * 21}, "boxes"),
    ({"verdict": "confirmed", "note": "x" * 2001}, "note"),
    ({"verdict": "confirmed", "by": "mallory"}, "by"),
]


@pytest.mark.parametrize(("body", "named"), BAD_BODIES)
def test_bad_bodies_are_422_naming_the_field(
    client: TestClient, store: EventStore, body: dict, named: str
) -> None:
    event_id = add_event(store)
    response = review(client, event_id, body)
    assert response.status_code == 422
    assert named in json.dumps(response.json()["detail"])
    assert store.get(event_id).review is None


def test_unknown_event_is_404(client: TestClient) -> None:
    assert review(client, "no-such-event", CONFIRMED).status_code == 404


def test_a_later_verdict_replaces_and_the_trail_keeps_both(
    client: TestClient, store: EventStore
) -> None:
    event_id = add_event(store)
    assert review(client, event_id, CONFIRMED, "otto").status_code == 200
    assert review(client, event_id, FALSE_ALARM, "ada").status_code == 200
    assert review(client, event_id, CONFIRMED, "otto").status_code == 200  # stays resolved
    event = client.get(f"/api/events/{event_id}", headers=basic("vera")).json()
    assert (event["review"]["verdict"], event["review"]["reason"]) == ("confirmed", None)
    assert (event["status"], event["resolved_by"]) == ("resolved", "ada")
    trail = client.get(f"/api/events/{event_id}/actions", headers=basic("vera")).json()
    reviews = [(a["actor"], json.loads(a["note"])) for a in trail if a["action"] == "reviewed"]
    assert [(who, r["verdict"], r.get("reason")) for who, r in reviews] == [
        ("otto", "confirmed", None),
        ("ada", "false_alarm", "bicycle"),
        ("otto", "confirmed", None),
    ]
    assert reviews[0][1]["boxes"] == [BOX]
    assert [a["action"] for a in trail].count("resolved") == 1


def test_counts_per_camera_and_reason(client: TestClient, store: EventStore) -> None:
    ids = [add_event(store, "3F stairs") for _ in range(4)]
    add_event(store)  # not reviewed: not counted
    for event_id, body in zip(ids, [CONFIRMED, FALSE_ALARM, FALSE_ALARM, CONFIRMED], strict=True):
        review(client, event_id, body)
    review(client, ids[1], {"verdict": "false_alarm", "reason": "person"})
    summary = client.get("/api/reviews/summary", headers=basic("vera")).json()
    assert [(c["camera_id"], c["verdict"], c["reason"], c["count"]) for c in summary] == [
        ("cam-3f", "confirmed", None, 2),
        ("cam-3f", "false_alarm", "bicycle", 1),
        ("cam-3f", "false_alarm", "person", 1),
    ]


PAGES = [
    # who, lang, shown on the page, not shown
    (
        "vera",
        "en",
        ["Verdicts", "False alarm · Bicycle · otto", "a kid&#39;s bike"],
        ["data-verdict"],
    ),
    ("otto", "en", ["Verdicts", "Bicycle 1", 'data-verdict="false_alarm"', "Stroller"], []),
    ("otto", "zh-CN", ["告警判定", "误报 · 自行车 · otto", "婴儿车或轮椅"], []),
]


@pytest.mark.parametrize(("who", "lang", "shown", "hidden"), PAGES)
def test_the_page_shows_verdicts_and_offers_them_to_operators(
    client: TestClient, store: EventStore, who: str, lang: str, shown: list, hidden: list
) -> None:
    review(client, add_event(store), FALSE_ALARM)
    client.post("/login", data={"name": who, "password": PASSWORDS[who]})
    html = client.get(f"/?lang={lang}").text
    assert [s for s in shown if s not in html] == []
    assert [h for h in hidden if h in html] == []
