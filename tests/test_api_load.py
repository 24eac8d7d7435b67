"""The load script (issue 19) end to end at tiny sizes: a filled store, the service on a generated
clip with a tiny real ONNX model, the dashboard and a client in its own process. This checks the
report, not the speed (the figure comes from the script itself, see the README)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alerts.event_query import EventFilter
from alerts.models import EventRow
from alerts.store import EventStore
from dashboard.app import create_app
from stairwatch.tools.api_load import fill_events, filter_queries, main
from stairwatch.tools.load_client import Connections
from tests.onnx_models import ultralytics_constant_model
from tests.test_bench import clips  # noqa: F401 (a fixture)
from tests.web import LOCAL

T0 = 1_700_000_000.0


def test_fill_events_stores_every_kind_and_pages(store: EventStore) -> None:
    fill_events(store.engine, 1200, cameras=3, now=T0)
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(EventRow)) == 1200
        cameras = set(conn.scalars(select(EventRow.camera_id).distinct()))
        verdicts = set(conn.scalars(select(EventRow.review_verdict).distinct()))
    assert cameras == {"cam01", "cam02", "cam03"}
    assert verdicts == {"confirmed", "false_alarm", None}
    page = store.find_events(EventFilter(camera_id="cam02"), 50)
    assert len(page.events) == 50 and page.next is not None


def test_the_client_asks_for_valid_filters(store: EventStore) -> None:
    with TestClient(create_app(store), base_url=LOCAL) as client:
        for query in filter_queries(T0):
            assert client.get(f"/api/events?{query}").status_code == 200, query


@pytest.mark.parametrize(
    ("flag", "dashboard", "said"),
    [
        ([], "own", "dashboard in 2 processes of its own"),  # as `stairwatch run` serves it
        (["--dashboard", "inline"], "inline", "dashboard in the service's"),
    ],
)
def test_the_load_script_reports_latency_and_detection(
    tmp_path: Path,
    clips: Path,  # noqa: F811 (the fixture imported above)
    capsys: pytest.CaptureFixture[str],
    flag: list[str],
    dashboard: str,
    said: str,
) -> None:
    model = ultralytics_constant_model(tmp_path / "empty.onnx", [], [], [], ["ebike", "person"])
    out = tmp_path / "load.json"
    argv = "--events 300 --rate 20 --seconds 2 --warmup 0.5 --cameras 2 --width 160 --height 120"
    argv += f" --fps 10 --no-progress --model {model} --clips {clips} --json {out}"
    assert main([*argv.split(), *flag]) == 0
    report = json.loads(out.read_text())
    assert report["dashboard"] == dashboard
    assert report["workers"] == (2 if dashboard == "own" else 0)
    assert ("dashboard process" in (report["cores_by_thread"] or {})) == (dashboard == "own")
    assert report["events"] == 300
    assert report["requests"] == 40
    assert (report["errors"], report["errors_by_kind"]) == (0, {})
    assert 0 < report["latency_p50_ms"] <= report["latency_p95_ms"] <= report["latency_max_ms"]
    assert report["due_detections_ratio"] is not None
    printed = capsys.readouterr().out
    assert "latency p50" in printed and said in printed


def test_the_client_reconnects_when_the_server_closed_a_kept_alive_connection(
    store: EventStore,
) -> None:
    config = uvicorn.Config(
        create_app(store), host="127.0.0.1", port=0, log_level="warning", timeout_keep_alive=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]

    async def twice() -> list[int]:
        connections = Connections(f"http://127.0.0.1:{port}")
        first = await connections.get("/api/events?building=1号楼")
        await asyncio.sleep(1.5)  # the server closes the idle connection meanwhile
        second = await connections.get("/api/events?building=1号楼")
        connections.close()
        return [first.status, second.status]

    try:
        assert asyncio.run(twice()) == [200, 200]
    finally:
        server.should_exit = True
        thread.join(10)
