"""A fleet's health for the control room: what a node publishes with its heartbeat (on SQLite
and PostgreSQL), how a reader shows it (current, or offline once its node is silent or its
report old) and the view a node or a dashboard-only process answers ``/api/cameras`` and
``/api/health`` with."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine

from alerts.fleet import FleetStore, NodeInfo
from alerts.fleet_health import (
    CameraReport,
    FleetHealthStore,
    NodeReport,
    ProblemReport,
    PublishedCamera,
    PublishedProblem,
)
from alerts.store import EventStore
from dashboard.fleet_view import FleetView, LocalNode, fleet_problems, published_status
from dashboard.schemas import CameraState, CameraStatus
from stairwatch.config import CameraConfig, NodeConfig
from stairwatch.runtime.fleet import FleetNode
from stairwatch.runtime.fleet_publish import HealthPublisher, camera_report
from tests.delivery_servers import postgres_server  # noqa: F401
from tests.test_leases import FakeCameras, shared_store  # noqa: F401

NOW = 1_700_000_000.0
AFTER_S = 30.0


def report(camera_id: str, state: str = "online", age: float | None = 0.5) -> CameraReport:
    return CameraReport(
        camera_id=camera_id, name=f"Lift {camera_id}", building="B1", floor="", state=state,
        fps=4.0, last_frame_age_s=age, frames_dropped=2, reconnects=1, detections_run=40,
        detections_skipped=7, detector_errors=0, detections_per_s=2.0, due_share=1.0,
        last_error=None,
    )  # fmt: skip


def node(node_id: str, silent_s: float, site: str = "north") -> NodeInfo:
    return NodeInfo(node_id, site, "t", NOW - 600, NOW - silent_s)


@pytest.mark.parametrize(
    ("node_silent_s", "report_age_s", "frame_age_s", "state", "current", "shown_age_s"),
    [
        (1.0, 3.0, 0.5, CameraState.ONLINE, True, 3.5),  # as published, the frame 3 s older
        (1.0, 3.0, None, CameraState.ONLINE, True, None),  # no frame yet stays none
        (40.0, 3.0, 0.5, CameraState.OFFLINE, False, 3.5),  # the node went silent
        (1.0, 31.0, 0.5, CameraState.OFFLINE, False, 31.5),  # its node no longer runs it
        (None, 3.0, 0.5, CameraState.OFFLINE, False, 3.5),  # a node never registered
    ],
)
def test_a_published_camera_as_shown(
    node_silent_s: float | None,
    report_age_s: float,
    frame_age_s: float | None,
    state: CameraState,
    current: bool,
    shown_age_s: float | None,
) -> None:
    published = PublishedCamera(report("lift-1", age=frame_age_s), "n1", NOW - report_age_s)
    holder = node("n1", node_silent_s) if node_silent_s is not None else None
    status = published_status(published, holder, NOW, AFTER_S)
    assert (status.state, status.node_online, status.node) == (state, current, "n1")
    assert status.site == (holder.site if holder else None)
    assert status.last_frame_age_s == shown_age_s
    assert status.fps == (4.0 if current else 0.0)
    assert status.detections_run == 40  # the counters as last published


@pytest.mark.parametrize(
    ("nodes", "expected"),
    [
        ([], []),
        ([node("n1", 1.0), node("n2", 1.0)], [("camera lift-2", "n1"), ("recorder", "n2")]),
        # n2 silent: its published problems are stale, its silence is the problem
        ([node("n1", 1.0), node("n2", 45.0)], [("camera lift-2", "n1"), ("node n2", "n2")]),
    ],
)
def test_problems_across_the_fleet(nodes: list[NodeInfo], expected: list[tuple[str, str]]) -> None:
    published = [
        PublishedProblem("n1", ProblemReport("camera lift-2", "offline"), NOW - 2),
        PublishedProblem("n2", ProblemReport("recorder", "queue full"), NOW - 2),
    ]
    found = fleet_problems(published, nodes, NOW, AFTER_S)
    assert [(p.subject, p.node) for p in found] == expected
    assert all(p.message == "no heartbeat for 45 s" for p in found if p.subject == "node n2")


def test_the_camera_s_current_node_overwrites_and_problems_are_replaced(
    shared_store: EventStore,  # noqa: F811
) -> None:
    health = FleetHealthStore(shared_store.engine)
    first = NodeReport((report("lift-1"), report("lift-2")), (ProblemReport("camera x", "a"),))
    health.publish("n1", first, NOW)
    moved = replace(report("lift-2", state="connecting", age=None), last_error="no stream")
    health.publish("n2", NodeReport((moved,), ()), NOW + 5)  # lift-2 moved to n2
    health.publish("n1", NodeReport((report("lift-1"),), (ProblemReport("camera y", "b"),)),
                   NOW + 6)  # fmt: skip
    cameras = {p.report.camera_id: p for p in health.cameras()}
    assert {c: (p.node_id, p.updated_at) for c, p in cameras.items()} == {
        "lift-1": ("n1", NOW + 6),
        "lift-2": ("n2", NOW + 5),
    }
    assert cameras["lift-2"].report == moved
    assert [(p.node_id, p.problem.subject) for p in health.problems()] == [("n1", "camera y")]


def test_a_node_publishes_at_the_end_of_each_lease_pass(store: EventStore) -> None:
    now = [NOW]
    runner = FakeCameras()
    health = FleetHealthStore(store.engine)

    def running() -> NodeReport:
        return NodeReport(tuple(report(c) for c in sorted(runner.running)), ())

    config = NodeConfig(id="n1", site="north")
    cameras = [CameraConfig(id="lift-1", source=SecretStr("x.mp4"))]
    publisher = HealthPublisher("n1", health, running)
    fleet_node = FleetNode(config, cameras, FleetStore(store.engine), runner, "t", store,
                           clock=lambda: now[0], publish=publisher.publish)  # fmt: skip
    fleet_node.register()
    fleet_node.run_once()  # took lift-1, then published it
    assert [(p.report.camera_id, p.node_id, p.updated_at) for p in health.cameras()] == [
        ("lift-1", "n1", NOW)
    ]


def test_a_failed_publish_is_logged_not_raised(tmp_path: Path) -> None:
    broken = create_engine(f"sqlite:///{tmp_path / 'no-tables.db'}")  # never migrated
    publisher = HealthPublisher("n1", FleetHealthStore(broken), lambda: NodeReport((), ()))
    publisher.publish(NOW)  # a database error: logged, the lease thread carries on


class OwnCameras:
    def __init__(self, *ids: str) -> None:
        self.ids = ids

    def camera_statuses(self) -> list[CameraStatus]:
        return [CameraStatus(id=i, name=i, state=CameraState.ONLINE, fps=5.0) for i in self.ids]


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        # the control room: every published camera with its node
        (
            None,
            [("lift-1", "n1", "online"), ("lift-2", "n1", "online"), ("lift-3", "n2", "offline")],
        ),
        # node n2 runs lift-3 again: its own status, live; the others as n1 published them
        (
            LocalNode("n2", "north", OwnCameras("lift-3")),
            [("lift-3", "n2", "online"), ("lift-1", "n1", "online"), ("lift-2", "n1", "online")],
        ),
    ],
)
def test_the_fleet_view_of_cameras(
    store: EventStore, local: LocalNode | None, expected: list[tuple[str, str, str]]
) -> None:
    fleet, health = FleetStore(store.engine), FleetHealthStore(store.engine)
    fleet.register("n1", "north", "t", NOW - 60)
    fleet.register("n2", "north", "t", NOW - 60)
    fleet.heartbeat("n1", NOW - 1)  # n2 silent for 60 s (unless it is this process)
    health.publish("n1", NodeReport((report("lift-1"), report("lift-2")), ()), NOW - 1)
    health.publish("n2", NodeReport((report("lift-3"),), ()), NOW - 60)
    view = FleetView(fleet, health, AFTER_S, local, clock=lambda: NOW)
    assert [(s.id, s.node, s.state.value) for s in view.camera_statuses()] == expected
    assert {s.site for s in view.camera_statuses()} == {"north"}


def test_a_node_shows_its_own_cameras_without_the_database(tmp_path: Path) -> None:
    broken = create_engine(f"sqlite:///{tmp_path / 'no-tables.db'}")
    local = LocalNode("n1", "north", OwnCameras("lift-1"))
    view = FleetView(FleetStore(broken), FleetHealthStore(broken), AFTER_S, local)
    assert [(s.id, s.node, s.node_online) for s in view.camera_statuses()] == [
        ("lift-1", "n1", True)
    ]


def test_the_published_report_is_the_dashboard_s_status() -> None:
    status = CameraStatus(id="lift-1", name="Lift", state=CameraState.OFFLINE,
                          last_error="rtsp://admin:pw@10.0.0.5/ch1 refused")  # fmt: skip
    published = camera_report(status)
    assert published.state == "offline"
    assert published.last_error == "rtsp://***@10.0.0.5/ch1 refused"  # scrubbed before publish
