"""A fleet on the dashboard's page: the nodes panel beside the cameras and the site/node
filter of the event list (kept in the page's URL and its links), in zh-CN and en; a single
box shows neither."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from alerts.fleet import Fence, FleetStore, camera_lease
from alerts.store import EventStore
from alerts.stored import CameraInfo
from dashboard.app import create_app
from tests.test_store import jpeg, record
from tests.web import LOCAL

NOW = 1_700_000_000.0


def raise_on(store: EventStore, camera_id: str, holder: str, at: float) -> None:
    fleet = FleetStore(store.engine)
    fleet.ensure([camera_lease(camera_id)], 0.0)
    token = fleet.take(camera_lease(camera_id), holder, 0.0, 1e12)
    assert token is not None
    fence = Fence(camera_lease(camera_id), holder, token)
    store.record_raised(record(camera_id=camera_id, alert_ts=at), CameraInfo(camera_id, camera_id),
                        jpeg(), fence)  # fmt: skip


@pytest.fixture
def fleet_client(store: EventStore):
    fleet = FleetStore(store.engine)
    fleet.register("n1", "north", "1.2", NOW)
    fleet.register("n2", "south", "1.2", NOW)
    raise_on(store, "lift-1", "n1", NOW - 100)
    raise_on(store, "lift-2", "n2", NOW - 50)
    with TestClient(create_app(store), base_url=LOCAL) as c:
        yield c


def listed(html: str) -> list[str]:
    """The cameras of the event cards, in order."""
    cards = re.findall(r'<article class="event.*?</article>', html, re.S)
    return [c for card in cards for c in ("lift-1", "lift-2") if c in card]


@pytest.mark.parametrize(
    ("query", "events"),
    [
        ("", ["lift-2", "lift-1"]),
        ("&node=n1", ["lift-1"]),
        ("&site=south", ["lift-2"]),
        ("&site=north&node=n2", []),
    ],
)
def test_the_event_list_by_site_and_node(
    fleet_client: TestClient, query: str, events: list[str]
) -> None:
    page = fleet_client.get(f"/?lang=en{query}").text
    assert listed(page) == events
    assert listed(fleet_client.get(f"/partials/events?lang=en{query}").text) == events
    links = re.findall(r'class="filters">(.*?)</nav>', page, re.S)[0]
    for kept in [p for p in query.split("&") if p] or ["site="]:
        assert links.count(kept) == (4 if query else 0)  # the status links keep the filter


@pytest.mark.parametrize(
    ("lang", "label", "held"),
    [("en", ">Nodes<", "Cameras run 1"), ("zh-CN", ">节点<", "运行的摄像头 1")],
)
def test_the_nodes_panel(fleet_client: TestClient, lang: str, label: str, held: str) -> None:
    cameras = fleet_client.get(f"/partials/cameras?lang={lang}").text
    assert label in cameras and held in cameras
    assert 'data-node="n1"' in cameras and 'data-node="n2"' in cameras
    page = fleet_client.get(f"/?lang={lang}&site=north").text
    assert '<option value="north" selected>' in page and '<option value="n2">' in page
    assert 'data-site="north"' in page


def test_a_single_box_shows_no_fleet(store: EventStore) -> None:
    with TestClient(create_app(store), base_url=LOCAL) as client:
        page = client.get("/?lang=en").text
    assert "fleet-filter" not in page and "data-node=" not in page.replace('data-node=""', "")


def test_a_filter_longer_than_any_id_is_refused(fleet_client: TestClient) -> None:
    assert fleet_client.get("/?node=" + "x" * 201).status_code == 422
