"""Shed occupancy end to end below the browser: sampling (pure), the samples table (real SQLite
through the migrations), the service's sink writing them, ``GET /api/sheds``, the residents'
public page (no sign-in, counts only, rate limited) and the shed configuration."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from pydantic import SecretStr

from alerts.models import Base
from alerts.observation import Observation
from alerts.occupancy import SAMPLE_EVERY_S, ShedPlace, due_samples
from alerts.rules.shed_spots import ShedOccupancy, SpotState
from alerts.store import EventStore
from alerts.stored import CameraInfo
from dashboard.app import create_app
from dashboard.auth import Role, hash_password
from dashboard.schemas import DashboardSettings, DashboardUser
from dashboard.sheds import PUBLIC_BURST, Throttle
from stairwatch.config import ConfigError, parse_settings
from stairwatch.pipeline import PipelineStep
from stairwatch.runtime.recorder import write_at_once
from stairwatch.runtime.sink import StoreSink
from streams.frame import Frame
from tests.web import LOCAL
from vision.detections import Detections
from vision.kinds import KIND_NAMES, ObjectKind

EBIKE, BICYCLE = ObjectKind.EBIKE, ObjectKind.BICYCLE
PLACE = ShedPlace("cam-shed", "Shed camera", "3")
PASSWORD = "viewer-pass"


def shed(name: str = "north", *occupants: ObjectKind | None) -> ShedOccupancy:
    occupants = occupants or (EBIKE, None, BICYCLE)
    return ShedOccupancy(name, tuple(SpotState(f"A{i + 1}", o) for i, o in enumerate(occupants)))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EventStore]:
    with EventStore.open(f"sqlite:///{tmp_path / 'events.db'}", tmp_path / "media") as s:
        yield s


# -- sampling --------------------------------------------------------------------------------

LAST = {"north": (1000.0, shed())}


@pytest.mark.parametrize(
    ("last", "now_shed", "now", "due"),
    [
        ({}, shed(), 1000.0, True),  # never sampled
        (LAST, shed(), 1010.0, False),  # same spots, within the minute
        (LAST, shed("north", EBIKE, EBIKE, BICYCLE), 1010.0, True),  # a spot taken
        (LAST, shed(), 1000.0 + SAMPLE_EVERY_S, True),  # a minute on
        (LAST, shed("south"), 1010.0, True),  # another shed
    ],
    ids=["first", "unchanged", "changed", "every minute", "other shed"],
)
def test_due_samples(last: dict, now_shed: ShedOccupancy, now: float, due: bool) -> None:
    assert due_samples(last, [now_shed], now) == ([now_shed] if due else [])


# -- the table -------------------------------------------------------------------------------


def test_samples_table_matches_its_migration(store: EventStore) -> None:
    def include(obj: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
        table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table == "shed_samples"

    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include})
        assert compare_metadata(context, Base.metadata) == []


def test_current_history_and_purge(store: EventStore) -> None:
    store.sheds.record(PLACE, [shed("north"), shed("south", None, None)], 1000.0)
    store.sheds.record(PLACE, [shed("north", None, None, BICYCLE)], 1060.0)
    current = {s.shed: s for s in store.sheds.current()}
    assert (current["north"].at, current["north"].free, current["north"].ebikes) == (1060.0, 2, 0)
    assert (current["south"].free, current["south"].total) == (2, 2)
    assert [(p.name, p.occupant) for p in current["north"].spots] == [
        ("A1", None),
        ("A2", None),
        ("A3", BICYCLE),
    ]
    assert [(s.shed, s.at) for s in store.sheds.history(1000.0, 2000.0)] == [
        ("north", 1000.0),
        ("south", 1000.0),
        ("north", 1060.0),
    ]
    assert [s.at for s in store.sheds.history(1030.0, 2000.0)] == [1060.0]
    assert store.sheds.purge(1030.0) == 2
    assert [s.shed for s in store.sheds.current()] == ["north"]


# -- the service's sink ----------------------------------------------------------------------


def step_at(t: float, sheds: tuple[ShedOccupancy, ...]) -> tuple[Frame, PipelineStep]:
    image = np.zeros((36, 64, 3), np.uint8)
    frame = Frame("cam-shed", image, t, t, 0)
    obs = Observation("cam-shed", t, 64, 36, Detections.empty(KIND_NAMES), image, wall_ts=t)
    return frame, PipelineStep(obs, [], True, sheds)


def test_sink_writes_samples_on_change_and_every_minute(store: EventStore) -> None:
    info = CameraInfo(id=PLACE.camera_id, name=PLACE.camera_name, building=PLACE.building)
    sink = StoreSink(store, write_at_once, info, ())
    for t, sheds in [
        (1000.0, (shed(),)),
        (1010.0, (shed(),)),  # unchanged: not written
        (1020.0, (shed("north", None, None, None),)),  # changed
        (1090.0, (shed("north", None, None, None),)),  # a minute on
        (1095.0, ()),  # a camera without sheds writes nothing
    ]:
        sink.handle(*step_at(t, sheds))
    assert [(s.at, s.free) for s in store.sheds.history(0.0, 2000.0)] == [
        (1000.0, 1),
        (1020.0, 3),
        (1090.0, 3),
    ]
    assert store.sheds.current()[0].camera_name == "Shed camera"


# -- GET /api/sheds and the public page -----------------------------------------------------


def settings_with_users() -> DashboardSettings:
    user = DashboardUser(
        name="vera", role=Role.VIEWER, password_hash=SecretStr(hash_password(PASSWORD, 1000))
    )
    return DashboardSettings(
        default_lang="en", users=(user,), session_secret=SecretStr("a-session-secret-of-length")
    )


@pytest.fixture
def client(store: EventStore) -> Iterator[TestClient]:
    now = time.time()
    store.sheds.record(PLACE, [shed("north")], now - 7200)
    store.sheds.record(PLACE, [shed("north", None, None, BICYCLE)], now - 30)
    store.sheds.record(
        ShedPlace("cam-old", "Old camera", "5"), [shed("east", None)], now - 3600
    )  # its camera went quiet an hour ago
    with TestClient(create_app(store, settings=settings_with_users()), base_url=LOCAL) as c:
        yield c


def basic(name: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_api_sheds_needs_a_viewer(client: TestClient) -> None:
    assert client.get("/api/sheds").status_code == 401
    response = client.get("/api/sheds", headers=basic("vera", PASSWORD))
    assert response.status_code == 200
    data = response.json()
    current = {(s["camera_id"], s["shed"]): s for s in data["current"]}
    north = current[("cam-shed", "north")]
    assert (north["free"], north["total"], north["ebikes"]) == (2, 3, 0)
    assert [p["occupant"] for p in north["spots"]] == [None, None, "bicycle"]
    series = {(s["camera_id"], s["shed"]): s["points"] for s in data["history"]}
    assert [p["free"] for p in series[("cam-shed", "north")]] == [1, 2]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("since=0&until=100", 200),
        ("since=200&until=100", 422),  # backwards
        ("since=0&until=99999999", 422),  # over a month
        ("since=-5", 422),
        ("since=nan", 422),
    ],
)
def test_api_sheds_range(client: TestClient, query: str, status: int) -> None:
    response = client.get(f"/api/sheds?{query}", headers=basic("vera", PASSWORD))
    assert response.status_code == status


@pytest.mark.parametrize(
    ("lang", "title", "north", "east"),
    [
        ("en", "Free charging spots", "Building 3, north", "not known right now"),
        ("zh-CN", "车棚空闲充电位", "3号楼 north", "暂不可知"),
    ],
)
def test_public_page_needs_no_sign_in_and_shows_counts_only(
    client: TestClient, lang: str, title: str, north: str, east: str
) -> None:
    response = client.get(f"/public/sheds?lang={lang}")
    assert response.status_code == 200
    page = response.text
    assert title in page and north in page and east in page
    assert ('data-free="2" data-total="3"') in page
    for private in ("cam-shed", "Shed camera", "A1", "<img", "snapshot", "/api/"):
        assert private not in page


def test_public_page_is_rate_limited(client: TestClient) -> None:
    statuses = [client.get("/public/sheds").status_code for _ in range(int(PUBLIC_BURST) + 10)]
    assert statuses[: int(PUBLIC_BURST)] == [200] * int(PUBLIC_BURST)
    assert 429 in statuses
    refused = client.get("/public/sheds")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


def test_throttle_per_address_refills() -> None:
    now = [0.0]
    throttle = Throttle(lambda: now[0])
    assert all(throttle.wait_s("a") == 0.0 for _ in range(int(PUBLIC_BURST)))
    assert throttle.wait_s("a") > 0
    assert throttle.wait_s("b") == 0.0  # another address is not held back
    now[0] += 2.0
    assert throttle.wait_s("a") == 0.0


# -- configuration ---------------------------------------------------------------------------

SHED_ZONE = {
    "name": "shed",
    "kind": "shed",
    "polygon": [[0, 0], [1, 0], [1, 1]],
    "spots": [{"name": "A1", "polygon": [[0, 0], [0.5, 0], [0.5, 0.5]]}],
    "rules": {"shed_intrusion": {"closed_hours": ["22:00-06:00"], "min_s": 30}},
}


def config_with(zone: dict) -> dict:
    return {"cameras": [{"id": "c1", "source": "clip.mp4", "zones": [zone]}]}


def test_a_shed_with_spots_and_a_schedule_loads() -> None:
    settings = parse_settings(config_with(SHED_ZONE), "test.yaml")
    zone = settings.cameras[0].zones[0]
    assert [s.name for s in zone.to_zone().spots] == ["A1"]
    params = settings.rules_for(settings.cameras[0], zone)
    assert [str(w) for w in params.shed_intrusion.closed_hours] == ["22:00-06:00"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"kind": "exit"}, "only a shed zone has spots"),
        ({"spots": [SHED_ZONE["spots"][0]] * 2}, "spot names must be unique within a shed: A1"),
        ({"spots": [{"name": "A1", "polygon": [[0, 0], [2, 0], [1, 1]]}]}, "outside [0, 1]"),
        ({"spots": [{"name": "A1", "polygon": [[0, 0], [1, 0], [1, 1]], "x": 1}]}, "unknown key"),
        ({"rules": {"shed_intrusion": {"closed_hours": ["25:00-06:00"]}}}, "not a time of day"),
        ({"rules": {"exit_blocked": {"kinds": ["cat"]}}}, "kinds"),
    ],
)
def test_bad_shed_config_is_named(change: dict, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_settings(config_with({**SHED_ZONE, **change}), "test.yaml")
    assert "test.yaml" in str(info.value)
    assert any(problem in p and "cameras[0].zones[0]" in p for p in info.value.problems)
