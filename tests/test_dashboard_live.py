"""The live view (the newest picture of each camera, ``/api/cameras/{id}/latest.jpg``, and the
``/live`` page) and the zone drawing page, with a canned camera provider; the running service's
pictures are tested in ``test_service_rtsp.py``, drawing in ``test_dashboard_browser.py``."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from alerts.store import EventStore
from dashboard.app import create_app
from dashboard.auth import Role, hash_password
from dashboard.schemas import DashboardSettings, DashboardUser
from tests.camera_fakes import Cameras
from tests.web import LOCAL
from vision.zones import ZoneKind


@pytest.fixture
def client(store: EventStore) -> Iterator[TestClient]:
    cameras = Cameras()
    settings = DashboardSettings(default_lang="en")
    with TestClient(
        create_app(store, cameras, settings, pictures=cameras, zones=cameras), base_url=LOCAL
    ) as c:
        yield c


@pytest.mark.parametrize(
    ("camera_id", "status", "detail"),
    [
        ("cam-3f", 200, None),
        ("cam-lift", 404, "no picture from camera 'cam-lift' yet"),
        ("cam-9", 404, "no camera 'cam-9'"),
    ],
)
def test_latest_picture(
    client: TestClient, camera_id: str, status: int, detail: str | None
) -> None:
    response = client.get(f"/api/cameras/{camera_id}/latest.jpg")
    assert response.status_code == status
    if detail is not None:
        assert response.json() == {"detail": detail}
        return
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "no-store"
    picture = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
    assert picture.shape == (180, 320, 3)


@pytest.mark.parametrize(("lang", "title"), [("en", "Live view"), ("zh-CN", "实时画面")])
def test_live_page_shows_every_camera_with_its_state(
    client: TestClient, lang: str, title: str
) -> None:
    page = client.get(f"/live?lang={lang}")
    assert page.status_code == 200
    assert f"<h1>{title}</h1>" in page.text
    assert page.text.count('<figure class="tile') == 2
    assert 'class="tile cam-online" data-camera="cam-3f"' in page.text
    assert 'class="tile cam-connecting" data-camera="cam-lift"' in page.text
    assert "/static/live.js" in page.text
    assert f'href="/live?lang={lang}"' in client.get(f"/?lang={lang}").text  # linked from events


def test_without_pictures_there_is_no_live_view(store: EventStore) -> None:
    with TestClient(create_app(store, Cameras()), base_url=LOCAL) as client:
        assert client.get("/live").status_code == 404
        assert client.get("/api/cameras/cam-3f/latest.jpg").status_code == 404
        assert "/live" not in client.get("/").text


def test_live_view_needs_a_signed_in_viewer(store: EventStore) -> None:
    viewer = DashboardUser(
        name="vera", role=Role.VIEWER, password_hash=SecretStr(hash_password("viewer-1", 1000))
    )
    cameras = Cameras()
    settings = DashboardSettings(default_lang="en", users=(viewer,))
    with TestClient(
        create_app(store, cameras, settings, pictures=cameras), base_url=LOCAL
    ) as client:
        assert client.get("/api/cameras/cam-3f/latest.jpg").status_code == 401
        page = client.get("/live", headers={"Accept": "text/html"}, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Flive"
        client.post("/login", data={"name": "vera", "password": "viewer-1"})
        assert client.get("/api/cameras/cam-3f/latest.jpg").status_code == 200
        assert "vera" in client.get("/live").text


def test_zone_page_shows_the_configured_zones(client: TestClient) -> None:
    page = client.get("/cameras/cam-3f/zones?lang=en")
    assert page.status_code == 200
    assert "<h1>Draw zones · cam-3f</h1>" in page.text
    assert '"name": "landing"' in page.text and '"kind": "no_parking"' in page.text
    assert page.text.count("<option ") == len(ZoneKind) + 2  # every zone kind; a zone or a mask
    assert '"name": "door 301"' in page.text  # the camera's privacy mask
    assert "/api/cameras/cam-3f/latest.jpg" in page.text
    assert 'href="/cameras/cam-3f/zones?lang=en"' in client.get("/live?lang=en").text
    assert client.get("/cameras/cam-9/zones").status_code == 404


@pytest.mark.parametrize(("role", "status"), [(Role.OPERATOR, 403), (Role.ADMIN, 200)])
def test_zone_page_is_for_admins(store: EventStore, role: Role, status: int) -> None:
    user = DashboardUser(
        name="ivan", role=role, password_hash=SecretStr(hash_password("install-1", 1000))
    )
    cameras = Cameras()
    settings = DashboardSettings(default_lang="en", users=(user,))
    app = create_app(store, cameras, settings, pictures=cameras, zones=cameras)
    with TestClient(app, base_url=LOCAL) as client:
        client.post("/login", data={"name": "ivan", "password": "install-1"})
        assert client.get("/cameras/cam-3f/zones").status_code == status
        assert ("/zones?" in client.get("/live").text) is (role == Role.ADMIN)
