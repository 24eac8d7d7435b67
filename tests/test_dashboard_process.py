"""The dashboard in its own process (``server.process: own``): a real ``stairwatch run`` on a
generated clip with a tiny real ONNX model that always sees an e-bike in an elevator, whose
dashboard answers from a child process: events, the live feed, camera health, the live picture;
a killed child comes back and the health report says so. Then the parts on their own: the run
directory as the child reads it, and the child's supervision."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from dashboard.schemas import CameraState, CameraStatus, ServiceHealth
from stairwatch.config import CameraConfig
from stairwatch.run_view import STALE_S, RunView
from stairwatch.runtime.dashboard_process import DashboardChild
from stairwatch.runtime.run_dir import RunDir, StatusPublisher
from tests.test_service import _free_port, _lift_site, demo_clips  # noqa: F401 (a fixture)

SESSION_SECRET = "session-secret-never-on-a-command-line"
JPEG = b"\xff\xd8 a picture \xff\xd9"


def _children(pid: int) -> set[int]:
    """The processes ``pid``'s threads started (Linux)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(p) for p in (task / "children").read_text().split()}
    return found


def _wait_for(check: Callable[[], Any], timeout_s: float) -> Any:
    """``check()``'s first truthy answer within ``timeout_s`` (None: none); HTTP errors count
    as no answer yet (the dashboard process starts)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if result := check():
                return result
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return None


def _first_streamed_event(base: str, after: str) -> dict[str, Any]:
    """The first event the live feed sends after the change mark ``after``."""
    url = f"{base}/api/events/stream"
    with httpx.stream("GET", url, params={"after": after}, timeout=10) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: {") and line != "data: {}":
                return dict(json.loads(line.removeprefix("data: ")))
    raise AssertionError("the live feed ended without an event")


def _restarts(base: str) -> int:
    """The dashboard processes' restarts, together."""
    health = httpx.get(f"{base}/api/health", timeout=5).json()
    restarts = health["thread_restarts"]
    return sum(int(n) for name, n in restarts.items() if name.startswith("dashboard process"))


def test_run_serves_the_dashboard_from_a_supervised_child(
    tmp_path: Path,
    demo_clips: Path,  # noqa: F811 (the fixture imported above)
) -> None:
    port = _free_port()
    config = _lift_site(tmp_path, demo_clips, port)
    config["server"]["session_secret"] = SESSION_SECRET
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(config))
    started = time.time()
    cmd = [sys.executable, "-m", "stairwatch", "run", "--config", str(path), "--duration", "120"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        cameras = _wait_for(lambda: httpx.get(f"{base}/api/cameras", timeout=5).json(), 60)
        assert cameras and cameras[0]["id"] == "lift-1"
        assert _wait_for(lambda: httpx.get(f"{base}/api/cameras", timeout=5).json()[0]["state"]
                         == CameraState.ONLINE, 30)  # fmt: skip
        first, child = sorted(_children(proc.pid))  # server.workers: 2 by default
        for pid in (first, child):
            assert SESSION_SECRET not in Path(f"/proc/{pid}/cmdline").read_text()
            assert SESSION_SECRET.encode() not in Path(f"/proc/{pid}/environ").read_bytes()

        event = _first_streamed_event(base, after=f"{started!r}_")
        assert (event["camera_id"], event["type"]) == ("lift-1", "ebike_in_elevator")
        picture = httpx.get(f"{base}/api/cameras/lift-1/latest.jpg", timeout=10)
        assert picture.status_code == 200 and picture.content[:2] == b"\xff\xd8"
        assert _restarts(base) == 0

        os.kill(child, signal.SIGKILL)  # the supervisor starts another within a second or two
        assert _wait_for(lambda: _restarts(base) == 1, 60), "the dashboard did not come back"
        problems = httpx.get(f"{base}/api/health", timeout=5).json()["problems"]
        assert any(p["subject"].startswith("thread dashboard process") for p in problems)
        (second,) = _children(proc.pid) - {first}
        assert second != child
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, output
    assert not Path(f"/proc/{second}").exists() or "zombie" in _state(second)
    assert f"http://127.0.0.1:{port}/" in output
    assert "killed by signal 9; starting it again" in output
    assert not (tmp_path / "data" / "run" / "status.json").exists()


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/status").read_text()


class FakeService:
    """The publisher's source: one camera, a picture once it has one."""

    def __init__(self, picture: bytes | None = JPEG) -> None:
        self.picture = picture
        self.asked = 0

    def camera_statuses(self) -> list[CameraStatus]:
        return [CameraStatus(id="cam1", name="Cam 1", state=CameraState.ONLINE, fps=2.0)]

    def service_health(self) -> ServiceHealth:
        return ServiceHealth(status="ok", problems=[], thread_restarts={"recorder": 0},
                             recorder_queued=0, recorder_dropped=0)  # fmt: skip

    def latest_picture(self, camera_id: str) -> bytes | None:
        self.asked += 1
        return self.picture


CAMERAS = [
    CameraConfig.model_validate({"id": "cam1", "source": "a.mp4"}),
    CameraConfig.model_validate({"id": "cam2", "name": "Back door", "source": "b.mp4"}),
]


@pytest.mark.parametrize(
    ("age_s", "states", "problem"),
    [
        (0.0, ["online"], None),  # fresh: as published
        (STALE_S + 1, ["offline", "offline"], "not heard from for 6 s"),  # every configured one
        (None, ["offline", "offline"], "not running (no status in the run directory)"),
    ],
)
def test_the_child_shows_what_the_service_published_or_that_it_is_gone(
    tmp_path: Path, age_s: float | None, states: list[str], problem: str | None
) -> None:
    run_dir = RunDir(tmp_path / "run")
    published_at = 1000.0
    if age_s is not None:
        publisher = StatusPublisher(
            run_dir, FakeService(), lambda: b"metric 1\n", clock=lambda: published_at
        )
        publisher.publish_once()
    now = published_at + (age_s or 0.0)
    view = RunView(run_dir, CAMERAS, clock=lambda: now)
    assert [s.state.value for s in view.camera_statuses()] == states
    health = view.service_health()
    assert [p.message for p in health.problems] == ([problem] if problem else [])
    assert view.metrics() == (b"metric 1\n" if age_s is not None else b"")
    assert view.camera_zones("cam2") == [] and view.camera_zones("cam9") is None


def test_pictures_are_encoded_only_while_a_dashboard_asks_for_them(tmp_path: Path) -> None:
    run_dir = RunDir(tmp_path / "run")
    service = FakeService()
    publisher = StatusPublisher(run_dir, service, lambda: b"")
    publisher.publish_once()
    assert service.asked == 0 and not run_dir.picture_path("cam1").exists()
    # The child asks (touching live/wanted) and waits; the service's next pass writes it.
    view = RunView(run_dir, CAMERAS, sleep=lambda _s: publisher.publish_once())
    assert view.latest_picture("cam1") == JPEG
    assert service.asked == 1
    service.picture = None  # a camera with no picture yet: no file, an empty answer
    assert view.latest_picture("cam2") is None


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("raise SystemExit(3)", "exited with code 3"),
        ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "was killed by signal 9"),
    ],
)
def test_a_child_that_dies_is_started_again_and_one_that_is_stopped_is_not(
    tmp_path: Path, code: str, said: str
) -> None:
    """The stand-in dies at its first start only, then says it is ready and serves until its
    input closes."""
    first = (
        "import os, pathlib, sys; p = pathlib.Path(sys.argv[1]); again = p.exists(); p.touch()\n"
    )
    ready = "pathlib.Path(sys.argv[2]).write_text(str(os.getpid()))\n"
    marker, ready_path = tmp_path / "started", tmp_path / "ready"
    script = first + f"if not again:\n    {code}\n" + ready + "sys.stdin.read()"
    child = DashboardChild([sys.executable, "-c", script, str(marker), str(ready_path)], ready_path)
    try:
        child.start()
        assert not child.wait_ready(10)  # it died first
        assert _wait_for(lambda: child.dead, 10)
        child.restart()
        health = child.health()
        assert (health.restarts, health.last_crash) == (1, said)
        assert child.wait_ready(10) and child.health().alive
        assert not child.dead
        child.stop()  # closes its input: it exits, and stays down
        assert not child.health().alive and not child.dead
    finally:
        child.stop()
