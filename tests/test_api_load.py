"""The load script (issue 19) end to end at tiny sizes: a filled store, the service on a generated
clip with a tiny real ONNX model, the dashboard and a client in its own process. This checks the
report, not the speed (the figure comes from the script itself, see the README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alerts.event_query import EventFilter
from alerts.models import EventRow
from alerts.store import EventStore
from dashboard.app import create_app
from stairwatch.tools.api_load import fill_events, filter_queries, main
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


def test_the_load_script_reports_latency_and_detection(
    tmp_path: Path,
    clips: Path,  # noqa: F811 (the fixture imported above)
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = ultralytics_constant_model(tmp_path / "empty.onnx", [], [], [], ["ebike", "person"])
    out = tmp_path / "load.json"
    argv = "--events 300 --rate 20 --seconds 2 --warmup 0.5 --cameras 2 --width 160 --height 120"
    argv += f" --fps 10 --no-progress --model {model} --clips {clips} --json {out}"
    assert main(argv.split()) == 0
    report = json.loads(out.read_text())
    assert report["events"] == 300
    assert report["requests"] == 40 and report["errors"] == 0
    assert 0 < report["latency_p50_ms"] <= report["latency_p95_ms"] <= report["latency_max_ms"]
    assert report["due_detections_ratio"] is not None
    assert "latency p50" in capsys.readouterr().out
