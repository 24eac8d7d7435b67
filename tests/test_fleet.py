"""A fleet on real processes: one PostgreSQL, three ``stairwatch run`` nodes on a looped clip
as three elevator cameras (a tiny real ONNX model that always sees an e-bike), and a fourth,
dashboard-only ``stairwatch serve`` process as the control room.

A node is killed (SIGKILL), then another is cut from the database (a TCP proxy between it and
PostgreSQL is closed), then it comes back. After each step every camera is run by a live node
again within 30 s; each camera's one stay stays one event, alerted once (its single
notification row delivered; repeats only under the same idempotency key); the control room
shows every event and its snapshot (kept in PostgreSQL), and every camera online with the node
running it (as that node published it with its heartbeat)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from dashboard.app import NODE_OFFLINE_AFTER_S
from stairwatch.tools.fleet_run import Fleet, Process, api, fleet_config, holders, wait_until
from stairwatch.tools.webhook_receiver import WebhookReceiver
from tests.delivery_servers import PostgresServer, free_port, postgres_server  # noqa: F401
from tests.media_helpers import write_static_clip
from tests.onnx_models import ultralytics_constant_model
from tests.tcp_proxy import TcpProxy

CAMERAS = ("lift-1", "lift-2", "lift-3")
LEASE_S = 3.0
FAILOVER_LIMIT_S = 30.0
NODE = {"site": "north", "lease_s": LEASE_S, "offline_after_s": 4.0}
STAY = "ebike_in_elevator"


@dataclass
class Site:
    """The fleet under test: its processes, its database and the patrol's webhook."""

    nodes: Fleet
    url: str
    receiver: WebhookReceiver


@pytest.fixture
def site(tmp_path: Path, postgres_server: PostgresServer) -> Iterator[Site]:  # noqa: F811
    clip = write_static_clip(tmp_path / "lift.mp4", seconds=6.0)
    model = ultralytics_constant_model(
        tmp_path / "always_ebike.onnx", [(120, 160, 200, 245)], [0], [0.9], ["ebike", "person"]
    )
    url = postgres_server.new_database()
    with WebhookReceiver() as receiver:
        shared = fleet_config(clip, model, url, receiver.url(), len(CAMERAS))
        fleet = Fleet(tmp_path / "fleet", shared)
        try:
            yield Site(fleet, url, receiver)
        finally:
            fleet.close()


def _owner_set(control: Process, live: set[str]) -> bool:
    owners = holders(control)
    return set(owners) == set(CAMERAS) and set(owners.values()) <= live


def test_kill_cut_and_return(site: Site, postgres_server: PostgresServer) -> None:  # noqa: F811
    nodes, url, receiver = site.nodes, site.url, site.receiver
    proxy = TcpProxy(postgres_server.port)
    cut_url = url.replace(f":{postgres_server.port}/", f":{proxy.port}/")
    n1 = nodes.start("run", "n1", free_port(), node={"id": "n1", **NODE})
    n2 = nodes.start("run", "n2", free_port(), node={"id": "n2", **NODE})
    n3 = nodes.start(
        "run", "n3", free_port(), node={"id": "n3", **NODE},
        storage={"database_url": cut_url},
    )  # fmt: skip
    control = nodes.start("serve", "control", free_port())

    def balanced() -> bool:
        owners = holders(control)
        return set(owners) == set(CAMERAS) and len(set(owners.values())) == 3

    def one_event_each() -> bool:
        return sorted(e["camera_id"] for e in _events(control, STAY)) == list(CAMERAS)

    assert wait_until(balanced, 90) is not None, nodes.tails()
    assert wait_until(one_event_each, 30) is not None, nodes.tails()

    n1.kill()
    took = wait_until(lambda: _owner_set(control, {"n2", "n3"}), FAILOVER_LIMIT_S)
    assert took is not None, f"n1's camera not taken over\n{nodes.tails()}"

    proxy.cut()
    took = wait_until(lambda: _owner_set(control, {"n2"}), FAILOVER_LIMIT_S)
    assert took is not None, f"n3's cameras not taken over\n{nodes.tails()}"

    proxy.restore()
    back = wait_until(
        lambda: _owner_set(control, {"n2", "n3"}) and "n3" in holders(control).values(),
        FAILOVER_LIMIT_S,
    )
    assert back is not None, f"n3 did not come back\n{nodes.tails()}"
    _every_camera_online(n2, n3, nodes)
    _the_control_room_sees_every_camera_and_the_dead_node(control, nodes)
    metrics = httpx.get(f"{n3.base}/metrics", timeout=5).text
    assert 'stairwatch_node_info{node="n3",site="north"' in metrics
    _one_event_and_one_alert_per_stay(control, url, receiver, nodes)
    raiser = _events(control, STAY)[0]["node_id"]  # the node that raised it (it may have moved)
    by_node = [e["node_id"] for e in _events(control, f"{STAY}&node={raiser}")]
    assert by_node and set(by_node) == {raiser}  # the control room filters by node ...
    assert len(_events(control, f"{STAY}&site=north")) == len(CAMERAS)  # ... and by site
    outages = {e["camera_id"]: e for e in _events(control, "node_offline")}
    assert outages["node:n1"]["end_ts"] is None  # killed for good: one outage, still open
    assert set(outages) <= {"node:n1", "node:n3"}
    assert len(_events(control, "node_offline")) == len(outages)  # one event per outage


def _events(control: Process, type_: str) -> list[dict[str, Any]]:
    return list(api(control, f"/api/events?type={type_}&limit=500") or [])


def _every_camera_online(n2: Process, n3: Process, nodes: Fleet) -> None:
    def online() -> bool:  # each node's own cameras (it shows the others' as published)
        states = [c for n in (n2, n3) for c in api(n, "/api/cameras") or [] if c["node"] == n.name]
        return sorted(c["id"] for c in states if c["state"] == "online") == list(CAMERAS)

    assert wait_until(online, FAILOVER_LIMIT_S) is not None, nodes.tails()


def _the_control_room_sees_every_camera_and_the_dead_node(control: Process, nodes: Fleet) -> None:
    """``/api/cameras`` of the process without cameras: each online, with the node holding it
    (as ``/api/nodes`` says) and its site; ``/api/health``: n1, killed for good, is silent."""

    def every_camera() -> bool:
        owners = holders(control)
        shown = {
            c["id"]: (c["node"], c["site"], c["node_online"])
            for c in api(control, "/api/cameras") or []
            if c["state"] == "online"
        }
        return shown == {c: (owners.get(c), "north", True) for c in CAMERAS}

    def n1_silent() -> bool:
        health = api(control, "/api/health") or {"problems": []}
        return any(p["subject"] == "node n1" for p in health["problems"])

    assert wait_until(every_camera, FAILOVER_LIMIT_S) is not None, nodes.tails()
    assert wait_until(n1_silent, NODE_OFFLINE_AFTER_S + 5) is not None, nodes.tails()


def _one_event_and_one_alert_per_stay(
    control: Process, url: str, receiver: WebhookReceiver, nodes: Fleet
) -> None:
    events = _events(control, STAY)
    assert sorted(e["camera_id"] for e in events) == list(CAMERAS), nodes.tails()
    assert all(e["end_ts"] is None for e in events), "a stay was ended and raised again"
    for event in events:  # stored by the nodes, shown by the control room (media in PostgreSQL)
        picture = httpx.get(f"{control.base}/api/events/{event['id']}/snapshot.jpg", timeout=5)
        assert picture.content[:2] == b"\xff\xd8"
    ids = [e["id"] for e in events]
    dsn = url.replace("postgresql+psycopg://", "postgresql://")

    def delivered() -> bool:
        with psycopg.connect(dsn) as conn:
            rows = conn.execute("SELECT status FROM outbox").fetchall()
        return bool(rows) and all(status == "delivered" for (status,) in rows)

    assert wait_until(delivered, 30) is not None, nodes.tails()
    with psycopg.connect(dsn) as conn:
        alerts = conn.execute(
            "SELECT event_id, idempotency_key FROM outbox WHERE kind = 'alert'"
        ).fetchall()
    assert sorted(e for e, _ in alerts if e in ids) == sorted(ids)  # one alert per stay
    got = {r.headers.get("Idempotency-Key") for r in receiver.accepted()}
    assert {key for _, key in alerts} <= got
    assert len(got) == len({r.headers.get("Idempotency-Key") for r in receiver.received()})
