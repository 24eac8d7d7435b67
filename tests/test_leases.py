"""Camera leases: the pure plan of one pass, the lease table and fencing on SQLite and
PostgreSQL, and an open event carried on by the camera's next node."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import SecretStr

from alerts.errors import LeaseLost, StoreError
from alerts.events import EventType
from alerts.fleet import Fence, FleetStore, camera_lease
from alerts.lease_plan import CameraSlot, LeasePlan, LeaseView, fair_share, plan_leases
from alerts.models import Base
from alerts.store import EventStore
from alerts.stored import CameraInfo
from stairwatch.config import CameraConfig, ConfigError, NodeConfig, parse_settings
from stairwatch.runtime.adopt import Adoptions
from stairwatch.runtime.fleet import FleetNode
from tests.delivery_servers import PostgresServer, postgres_server  # noqa: F401
from tests.test_store import jpeg, record

NOW = 1_700_000_000.0
LEASE_S = 10.0
ABC = frozenset({"a", "b", "c"})


def slots(n: int, allowed: frozenset[str] = ABC) -> list[CameraSlot]:
    return [CameraSlot(f"cam{i}", allowed) for i in range(n)]


def held_by(holder: str, expires_in: float = 5.0, held_for: float = 60.0) -> LeaseView:
    return LeaseView(holder, 1, NOW + expires_in, NOW - held_for)


@pytest.mark.parametrize(
    ("cameras", "live", "expected"),
    [
        (slots(3), frozenset({"a"}), 3),  # alone: every camera
        (slots(3), ABC, 1),
        (slots(4), ABC, 2),  # rounded up: nobody is left without a node
        (slots(2), frozenset({"a", "b"}), 1),
        ([CameraSlot("x", frozenset({"b"}))], ABC, 0),  # not allowed here
        ([CameraSlot("x", frozenset({"a", "b"})), CameraSlot("y", frozenset({"a"}))], ABC, 2),
    ],
)
def test_fair_share(cameras: list[CameraSlot], live: frozenset[str], expected: int) -> None:
    assert fair_share("a", cameras, live) == expected


@pytest.mark.parametrize(
    ("leases", "live", "expected"),
    [
        # Nothing taken yet, alone: take everything.
        ({}, frozenset({"a"}), LeasePlan(take=("cam0", "cam1", "cam2"))),
        # Three live nodes: take one share only.
        ({}, ABC, LeasePlan(take=("cam0",))),
        # Held: renew.
        (
            {"cam0": held_by("a"), "cam1": held_by("b"), "cam2": held_by("c")},
            ABC,
            LeasePlan(renew=("cam0",)),
        ),
        # b died: its camera ran out; a has room (its share of 3 among a, c is 2).
        (
            {"cam0": held_by("a"), "cam1": held_by("b", expires_in=-1), "cam2": held_by("c")},
            frozenset({"a", "c"}),
            LeasePlan(renew=("cam0",), take=("cam1",)),
        ),
        # Above its share, a gives back one camera it has held for a whole lease.
        (
            {"cam0": held_by("a"), "cam1": held_by("a"), "cam2": held_by("a")},
            ABC,
            LeasePlan(renew=("cam0", "cam1"), give_back=("cam2",)),
        ),
        # ... but not one taken moments ago: cameras move gently.
        (
            {c: held_by("a", held_for=1.0) for c in ("cam0", "cam1", "cam2")},
            ABC,
            LeasePlan(renew=("cam0", "cam1", "cam2")),
        ),
        # Free for a whole lease and nobody took it: take it even beyond the share.
        (
            {"cam0": held_by("a"), "cam1": held_by("b"), "cam2": held_by("c", expires_in=-11)},
            ABC,
            LeasePlan(renew=("cam0",), take=("cam2",)),
        ),
    ],
)
def test_plan_one_pass(
    leases: dict[str, LeaseView], live: frozenset[str], expected: LeasePlan
) -> None:
    assert plan_leases("a", slots(3), leases, live, NOW, LEASE_S) == expected


def test_a_camera_not_allowed_here_is_never_taken() -> None:
    plan = plan_leases("a", [CameraSlot("x", frozenset({"b"}))], {}, frozenset({"a"}), NOW, 1.0)
    assert plan == LeasePlan()


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fleet.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.new_database()
    with EventStore.open(url, tmp_path / "media", clock=lambda: NOW) as store:
        yield store


def test_one_node_takes_a_free_lease_and_the_token_grows(shared_store: EventStore) -> None:
    fleet = FleetStore(shared_store.engine)
    name = camera_lease("cam0")
    fleet.ensure([name], NOW)
    fleet.ensure([name], NOW)  # idempotent
    assert fleet.take(name, "a", NOW, LEASE_S) == 1
    assert fleet.take(name, "b", NOW, LEASE_S) is None  # a holds it
    assert fleet.renew(Fence(name, "a", 1), NOW + 5, LEASE_S)
    assert fleet.take(name, "b", NOW + 14, LEASE_S) is None  # renewed until NOW + 15
    assert fleet.take(name, "b", NOW + 15, LEASE_S) == 2  # ran out: b, with a new token
    assert not fleet.renew(Fence(name, "a", 1), NOW + 16, LEASE_S)
    fleet.give_back(Fence(name, "b", 2), NOW + 16)
    assert fleet.leases([name])[name].free(NOW + 16)


def test_a_write_with_a_stale_token_is_refused(shared_store: EventStore) -> None:
    fleet = FleetStore(shared_store.engine)
    name = camera_lease("cam-3f")
    fleet.ensure([name], NOW - 100)
    token = fleet.take(name, "a", NOW - 100, LEASE_S)  # ran out at NOW - 90
    assert token is not None
    old = Fence(name, "a", token)
    with pytest.raises(LeaseLost):
        shared_store.record_raised(record(), CameraInfo("cam-3f", "x"), jpeg(), old)
    new_token = fleet.take(name, "b", NOW, LEASE_S)
    assert new_token == token + 1
    stored = shared_store.record_raised(
        record(), CameraInfo("cam-3f", "x"), jpeg(), Fence(name, "b", new_token)
    )
    with pytest.raises(LeaseLost):
        shared_store.record_end(stored.id, NOW, fence=old)
    assert shared_store.get(stored.id).end_ts is None


def test_nodes_register_and_beat(shared_store: EventStore) -> None:
    fleet = FleetStore(shared_store.engine)
    fleet.register("n2", "north", "1.0", NOW)
    fleet.register("n1", "south", "1.0", NOW)
    fleet.heartbeat("n1", NOW + 3)
    assert [(n.id, n.site, n.heartbeat_at) for n in fleet.nodes()] == [
        ("n1", "south", NOW + 3),
        ("n2", "north", NOW),
    ]


def test_fleet_tables_match_the_migration(store: EventStore) -> None:
    ours = {"nodes", "leases", "event_media", "camera_health", "node_problems"}

    def include(obj: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
        table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in ours

    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include})
        assert compare_metadata(context, Base.metadata) == []


@pytest.mark.parametrize(
    ("raised_type", "zone", "after_s", "continues"),
    [
        (EventType.EBIKE_PARKED, "stair", 5.0, True),  # the same stay, seen again in time
        (EventType.EBIKE_PARKED, "other", 5.0, False),  # another zone: a new event
        (EventType.FLYING_WIRE, "stair", 5.0, False),  # another type
        (EventType.EBIKE_PARKED, "stair", 50.0, False),  # too late: a new stay
    ],
)
def test_an_adopted_event_continues_only_the_same_stay(
    store: EventStore, raised_type: EventType, zone: str, after_s: float, continues: bool
) -> None:
    stored = store.record_raised(record(), CameraInfo("cam-3f", "x"), jpeg())
    adoptions = Adoptions(store.unended(["cam-3f"]), {EventType.EBIKE_PARKED: 30.0}, 100.0)
    again = record(type_=raised_type, zone=zone)
    assert adoptions.claim(again, 100.0 + after_s) == (stored.id if continues else None)
    assert [a.event_id for a in adoptions.expired(131.0)] == ([] if continues else [stored.id])


def test_one_node_runs_a_scheduled_job_while_it_lives(shared_store: EventStore) -> None:
    fleet = FleetStore(shared_store.engine)
    runs = [
        (node, at, fleet.claim_job("digest:patrol", node, NOW + at, 90.0))
        for node, at in (("a", 0), ("b", 30), ("a", 60), ("b", 100), ("b", 151), ("a", 160))
    ]
    # a runs and keeps the job (each run holds it 90 s more); b takes it once a stops.
    assert [ran for _, _, ran in runs] == [True, False, True, False, True, False]


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({}, None),  # a single box: no new setting needed
        ({"node": {"id": "n1", "site": "north", "lease_s": 3}}, None),
        ({"node": {"id": "n 1"}}, "node.id: String should match pattern"),
        ({"node": {"id": "n1", "lease_s": 0.5}}, "node.lease_s: Input should be greater than"),
        ({"storage": {"media": "s3"}}, "storage.media: Input should be 'files' or 'database'"),
    ],
)
def test_fleet_settings(extra: dict[str, object], problem: str | None) -> None:
    data = {"cameras": [{"id": "c", "source": "c.mp4", "nodes": ["n1"]}], **extra}
    if problem is None:
        settings = parse_settings(data, "site.yaml")
        assert (settings.node is None) == ("node" not in extra)
        return
    with pytest.raises(ConfigError) as info:
        parse_settings(data, "site.yaml")
    assert any(p.startswith(problem) for p in info.value.problems), info.value.problems


@pytest.mark.parametrize(
    ("node", "site", "expected"),
    [
        (None, None, ["a", "b", None]),
        ("a", None, ["a"]),
        (None, "north", ["a"]),
        (None, "south", ["b"]),
        (None, "east", []),
    ],
)
def test_events_by_node_and_site(
    store: EventStore, node: str | None, site: str | None, expected: list[str | None]
) -> None:
    fleet = FleetStore(store.engine)
    fleet.register("a", "north", "1", NOW)
    fleet.register("b", "south", "1", NOW)
    for i, holder in enumerate(["a", "b", None]):
        camera_id = f"cam{i}"
        fence = None
        if holder is not None:
            fleet.ensure([camera_lease(camera_id)], 0.0)
            token = fleet.take(camera_lease(camera_id), holder, 0.0, 1e10)
            assert token is not None
            fence = Fence(camera_lease(camera_id), holder, token)
        event = record(camera_id=camera_id, alert_ts=NOW + i)
        store.record_raised(event, CameraInfo(camera_id, "x"), jpeg(), fence)
    found = store.list_events(node=node, site=site)
    assert sorted(e.node_id or "" for e in found) == sorted(n or "" for n in expected)


class FakeCameras:
    """A node's cameras as the lease manager drives them; ``refuse``: cameras that fail to
    start."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.running: dict[str, int] = {}
        self.refuse = refuse

    def take(self, camera_id: str, fence: Fence) -> None:
        if camera_id in self.refuse:
            raise StoreError("the camera's open events could not be read")
        self.running[camera_id] = fence.token

    def drop(self, camera_id: str) -> None:
        self.running.pop(camera_id, None)


def test_two_nodes_share_take_over_and_rebalance(store: EventStore) -> None:
    """The lease manager's passes on one clock: share, a node dies (its cameras move, a
    node_offline event), it comes back (it drops what it lost; cameras move back gently)."""
    now = [NOW]
    fleet = FleetStore(store.engine)
    cameras = [CameraConfig(id=f"cam{i}", source=SecretStr("x.mp4")) for i in range(4)]
    runners = {n: FakeCameras() for n in "ab"}
    nodes = {
        n: FleetNode(
            NodeConfig(id=n, site="north", lease_s=10.0, offline_after_s=10.0),
            cameras,
            fleet,
            runners[n],
            "t",
            store,
            clock=lambda: now[0],
        )
        for n in "ab"
    }
    for node in nodes.values():
        node.register()
    nodes["a"].run_once()
    nodes["b"].run_once()
    assert (sorted(runners["a"].running), sorted(runners["b"].running)) == (
        ["cam0", "cam1"],
        ["cam2", "cam3"],
    )
    now[0] += 16  # b silent for 16 s: its leases ran out at NOW + 10
    nodes["a"].run_once()
    assert sorted(runners["a"].running) == ["cam0", "cam1", "cam2", "cam3"]
    assert runners["a"].running["cam2"] == 2  # a new fencing token
    outage = store.list_events(type=EventType.NODE_OFFLINE)
    assert [(e.camera_id, e.end_ts) for e in outage] == [("node:b", None)]
    now[0] += 1
    nodes["b"].run_once()  # back: it lost its cameras meanwhile
    assert runners["b"].running == {}
    for _ in range(6):
        now[0] += 4
        nodes["a"].run_once()
        nodes["b"].run_once()
    assert (len(runners["a"].running), len(runners["b"].running)) == (2, 2)
    assert store.get(outage[0].id).end_ts is not None  # b beats again: the outage ended


def test_a_camera_that_fails_to_start_is_given_back(store: EventStore) -> None:
    fleet = FleetStore(store.engine)
    camera = CameraConfig(id="cam0", source=SecretStr("x.mp4"))
    refusing = FakeCameras(frozenset({"cam0"}))
    node = FleetNode(NodeConfig(id="a"), [camera], fleet, refusing, "t", store, clock=lambda: NOW)
    node.register()
    with pytest.raises(StoreError):
        node.run_once()
    assert node.held() == []
    assert fleet.leases([camera_lease("cam0")])[camera_lease("cam0")].free(NOW)
