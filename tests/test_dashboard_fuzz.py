"""A bounded fuzz run of the dashboard's whole API from its OpenAPI schema (schemathesis over
hypothesis), signed in as an admin so every route is reached past its gate: no input may
answer a server error, and each answer must match the schema's status codes and shapes."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import SecretStr

from alerts.events import EventType
from alerts.store import EventStore
from alerts.stored import CameraInfo
from dashboard.app import create_app
from dashboard.auth import Role, hash_password
from dashboard.schemas import DashboardSettings, DashboardUser
from tests.camera_fakes import Cameras
from tests.records import parked_record

EXAMPLES_PER_OPERATION = 25  # about 20 s for the whole API on a busy 2-core machine
ADMIN = ("ada", "admin-pass")
AUTH = {
    "Authorization": "Basic " + base64.b64encode(":".join(ADMIN).encode()).decode(),
    "Host": "localhost",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    root = tmp_path_factory.mktemp("fuzz")
    store = EventStore.open(f"sqlite:///{root / 'events.db'}", root / "media")
    record = parked_record("k1", "cam-3f", "landing", time.time(), EventType.EBIKE_PARKED)
    store.record_raised(record, CameraInfo("cam-3f", "3F", "", ""), b"\xff\xd8\xff\xd9")
    admin = DashboardUser(
        name=ADMIN[0], role=Role.ADMIN, password_hash=SecretStr(hash_password(ADMIN[1], 1000))
    )
    settings_ = DashboardSettings(users=(admin,), session_secret=SecretStr("s" * 32))
    cameras = Cameras()
    yield create_app(store, cameras, settings_, metrics=lambda: b"", pictures=cameras)
    store.close()


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(scope="module")
def api_schema(app: object) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", app, headers={"Host": "localhost"})


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_makes_a_server_error(case: schemathesis.Case) -> None:
    response = case.call(headers=AUTH)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
