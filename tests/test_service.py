"""The whole service end to end: clip -> detector -> rules -> store -> dashboard API.

Runs ``stairwatch demo`` in a subprocess on a generated clip with a tiny real ONNX model that always
sees an e-bike on the landing, and reads the event back over HTTP.
"""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest
import yaml

from tests.media_helpers import write_static_clip
from tests.onnx_models import ultralytics_constant_model

WHOLE_FRAME = [[0, 0], [1, 0], [1, 1], [0, 1]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def demo_clips(tmp_path: Path) -> Path:
    clips = tmp_path / "clips"
    clips.mkdir()
    write_static_clip(clips / "landing.mp4", seconds=6.0)
    sidecar = {
        "zones": [
            {
                "name": "landing",
                "kind": "no_parking",
                "polygon": [[0, 0.5], [1, 0.5], [1, 1], [0, 1]],
            }
        ],
        "rules": {"ebike_parked": {"dwell_s": 1.5}},
        "events": [{"type": "ebike_parked", "zone": "landing", "start_s": 0.0, "end_s": 6.0}],
    }
    (clips / "landing.json").write_text(json.dumps(sidecar))
    return clips


def _wait_for_events(base: str, proc: subprocess.Popen[str], deadline_s: float) -> list[dict]:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            events = httpx.get(f"{base}/api/events", timeout=2).json()
        except httpx.HTTPError:
            events = []
        if events:
            return list(events)
        time.sleep(0.3)
    return []


def _assert_clip_at_camera_rate(base: str, event_id: str, proc: subprocess.Popen[str]) -> None:
    """The event's clip (5 s before the alert to 5 s after, filed once the 5 s have passed) is
    H.264 from the frames the reader saw at 8 fps, not the 2 fps that were detected."""
    url, deadline = f"{base}/api/events/{event_id}/clip.mp4", time.monotonic() + 15
    response = httpx.get(url, timeout=5)
    while response.status_code == 404 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.5)
        response = httpx.get(url, timeout=5)
    assert response.status_code == 200, "no clip filed for the event"
    with av.open(io.BytesIO(response.content)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        times = [float(f.time) for f in container.decode(stream) if f.time is not None]
    gaps = np.diff(times)
    assert len(times) >= 40 and float(np.median(gaps)) == pytest.approx(1 / 8, abs=0.02)


def test_demo_raises_an_event_with_a_snapshot(tmp_path: Path, demo_clips: Path) -> None:
    # Input 320x320: the 320x180 frame is letterboxed to rows 70..250; the box sits on the landing.
    model = ultralytics_constant_model(
        tmp_path / "always_ebike.onnx", [(120, 160, 200, 245)], [0], [0.9], ["ebike", "person"]
    )
    port = _free_port()
    cmd = [
        sys.executable, "-m", "stairwatch", "demo", "--clips", str(demo_clips),
        "--model", str(model), "--data-dir", str(tmp_path / "data"),
        "--port", str(port), "--duration", "20",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        events = _wait_for_events(base, proc, deadline_s=20)
        assert events, "no event raised"
        event = events[0]
        assert (event["type"], event["zone"], event["camera_id"]) == (
            "ebike_parked",
            "landing",
            "landing",
        )
        snapshot = httpx.get(f"{base}/api/events/{event['id']}/snapshot.jpg", timeout=5)
        assert snapshot.status_code == 200
        assert snapshot.content[:2] == b"\xff\xd8"
        cameras = httpx.get(f"{base}/api/cameras", timeout=5).json()
        assert [c["id"] for c in cameras] == ["landing"]
        assert event["id"] in httpx.get(base + "/", timeout=5).text
        _assert_clip_at_camera_rate(base, event["id"], proc)
    finally:
        output, _ = proc.communicate(timeout=40)
    assert proc.returncode == 0, output
    assert f"http://127.0.0.1:{port}/" in output


def _lift_site(tmp_path: Path, demo_clips: Path, port: int) -> dict[str, Any]:
    """A configuration with one elevator camera on the demo clip and a model that always sees
    an e-bike in it."""
    model = ultralytics_constant_model(
        tmp_path / "always_ebike.onnx", [(120, 160, 200, 245)], [0], [0.9], ["ebike", "person"]
    )
    return {
        "cameras": [
            {
                "id": "lift-1",
                "building": "3",
                "source": str(demo_clips / "landing.mp4"),
                "loop": True,
                "zones": [{"name": "car", "kind": "elevator", "polygon": WHOLE_FRAME}],
            }
        ],
        "model": {"path": str(model)},
        "storage": {"data_dir": str(tmp_path / "data")},
        "server": {"port": port},
    }


def test_run_delivers_a_critical_alert_to_a_webhook(tmp_path: Path, demo_clips: Path) -> None:
    """``stairwatch run``: an e-bike in an elevator is critical, so it goes out at once."""
    from stairwatch.tools.webhook_receiver import WebhookReceiver

    with WebhookReceiver() as receiver:
        config = {
            **_lift_site(tmp_path, demo_clips, _free_port()),
            "notifications": {
                "channels": {
                    "hook": {"type": "webhook", "url": receiver.url(), "secret": "s3cret"}
                },
                "groups": [{"name": "patrol", "buildings": ["*"], "channels": ["hook"]}],
            },
        }
        path = tmp_path / "site.yaml"
        path.write_text(yaml.safe_dump(config))
        proc = subprocess.Popen(
            [sys.executable, "-m", "stairwatch", "run", "--config", str(path), "--duration", "15"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            got = receiver.wait_for(lambda r: len(r) > 0, timeout_s=15)
        finally:
            output, _ = proc.communicate(timeout=40)
    assert proc.returncode == 0, output
    assert got, f"nothing delivered; service output:\n{output}"
    body = got[0].json()
    assert "ebike_in_elevator" in json.dumps(body, ensure_ascii=False)
    assert "s3cret" not in output


@pytest.mark.parametrize(
    ("before", "after", "library_lines"),
    [
        ([], [], False),  # the default: what a person needs
        ([], ["--log-level", "debug"], True),
        (["-v"], [], True),  # the global switch still means debug
    ],
)
def test_run_prints_the_url_cameras_and_events_not_library_chatter(
    tmp_path: Path, demo_clips: Path, before: list[str], after: list[str], library_lines: bool
) -> None:
    """The migration tool's INFO lines show only when asked for with debug logging."""
    port = _free_port()
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(_lift_site(tmp_path, demo_clips, port)))
    cmd = [sys.executable, "-m", "stairwatch", *before, "run", "--config", str(path), *after]
    proc = subprocess.run(
        [*cmd, "--duration", "8"], capture_output=True, text=True, timeout=60, check=False
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert f"http://127.0.0.1:{port}/" in proc.stdout
    assert "camera lift-1 (building 3): car (elevator)" in proc.stdout
    assert "INFO stairwatch.runtime.sink: event " in output  # the alert as it is raised
    assert ("INFO alembic" in output) is library_lines, output
