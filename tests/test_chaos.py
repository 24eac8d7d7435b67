"""Chaos tests on the real service: ``python3 -m stairwatch run`` in a subprocess on a generated
clip played as a camera, with a tiny real ONNX model that always sees an e-bike in the elevator
(or nothing), and a real HTTP receiver for the elevator relay's on-site response.

Faults are made from outside the process: SIGKILL; the SQLite database locked by an exclusive
transaction held by the test; the media folder on a full 1 MiB tmpfs (mounted by the test,
which needs root; skipped otherwise); the relay receiver made to hang; a model that returns a
wrong-shaped output on bright pictures, fed a clip that turns bright for a while; the wall clock
of the service stepped back an hour by libfaketime (the pip package's own build: Debian
bookworm's 0.9.10 makes Python 3.11's ``time.sleep`` fail with ``FAKETIME_DONT_FAKE_MONOTONIC``,
wolfcw/libfaketime#426) while its monotonic clock runs on, as NTP does. Each test stays
under 30 s.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from stairwatch.tools.webhook_receiver import Received, WebhookReceiver
from tests.delivery_servers import free_port, wait_for_port
from tests.media_helpers import noise, write_clip, write_static_clip
from tests.onnx_models import ultralytics_constant_model, ultralytics_failing_model
from tests.rtsp_server import ServerProcess, unavailable_reason

WHOLE_FRAME = [[0, 0], [1, 0], [1, 1], [0, 1]]
EBIKE_BOX = (120, 160, 200, 245)  # input pixels of the 320x320 model: on the letterboxed frame


def _model(folder: Path, sees_ebike: bool) -> Path:
    name = "always_ebike.onnx" if sees_ebike else "never.onnx"
    return ultralytics_constant_model(
        folder / name, [EBIKE_BOX], [0], [0.9 if sees_ebike else 0.0], ["ebike", "person"]
    )


def _config(
    tmp: Path, model: Path, relay: WebhookReceiver, clip: Path | None = None, **extra: Any
) -> Path:
    clip = clip or write_static_clip(tmp / "lift.mp4")
    config: dict[str, Any] = {
        "cameras": [
            {
                "id": "lift-1",
                "building": "3",
                "source": str(clip),
                "loop": True,
                "detect_fps": 5,
                "zones": [{"name": "car", "kind": "elevator", "polygon": WHOLE_FRAME}],
            }
        ],
        "model": {"path": str(model)},
        "storage": {"data_dir": str(tmp / "data")},
        "server": {"port": free_port()},
        "inference": {"stall_after_s": 3},
        "clips": {"enabled": False},
        "notifications": {
            "daily_summary_at": None,
            "delivery": {"poll_s": 0.1},
            "responses": [
                {
                    "name": "lift-1-hold",
                    "cameras": ["lift-1"],
                    "start": {"http": {"url": relay.url("/relay/on"), "timeout_s": 2}},
                    "end": {"http": {"url": relay.url("/relay/off"), "timeout_s": 2}},
                }
            ],
        },
    }
    config.update(extra)
    path = tmp / f"site-{model.stem}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@contextmanager
def _service(
    config: Path, env: dict[str, str] | None = None, start_s: float = 20.0
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = yaml.safe_load(config.read_text())["server"]["port"]
    cmd = [sys.executable, "-m", "stairwatch", "run", "--config", str(config)]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=None if env is None else {**os.environ, **env},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        # The port opens before the dashboard's processes answer on it (run binds it for them),
        # and the cameras start once they do.
        assert wait_for_port(port, start_s) and _online(base, start_s), "the service did not start"
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _online(base: str, timeout_s: float) -> bool:
    """Whether every camera is online within ``timeout_s``, as the API tells."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            cameras = httpx.get(f"{base}/api/cameras", timeout=2).json()
            if cameras and all(c["state"] == "online" for c in cameras):
                return True
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    return False


def _paths(received: list[Received], path: str) -> list[Received]:
    return [r for r in received if r.path == path]


def _wait(done: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.2)
    return False


def _health(base: str) -> dict[str, Any]:
    return dict(httpx.get(f"{base}/api/health", timeout=5).json())


def _problems(base: str) -> str:
    return " | ".join(f"{p['subject']}: {p['message']}" for p in _health(base)["problems"])


def _events(base: str) -> list[dict[str, Any]]:
    return list(httpx.get(f"{base}/api/events", timeout=5).json())


def test_sigkill_during_an_elevator_event_releases_the_relay_after_restart(
    tmp_path: Path,
) -> None:
    """Killed while the relay holds the doors: at the restart the event is ended ("service
    restarted"), the relay's end call goes out, and the e-bike still there is not alerted
    (nor the relay held) a second time."""
    with WebhookReceiver() as relay:
        config = _config(tmp_path, _model(tmp_path, sees_ebike=True), relay)
        with _service(config) as (base, proc):
            assert relay.wait_for(lambda r: bool(_paths(r, "/relay/on")), timeout_s=15)
            proc.send_signal(signal.SIGKILL)
            proc.wait(5)
        assert _paths(relay.received(), "/relay/off") == []
        with _service(config) as (base, _proc):
            assert relay.wait_for(lambda r: bool(_paths(r, "/relay/off")), timeout_s=10)
            (event,) = _events(base)
            assert event["end_ts"] is not None
            actions = httpx.get(f"{base}/api/events/{event['id']}/actions", timeout=5).json()
            assert actions[-1]["note"] == "service restarted"
            time.sleep(3)  # the e-bike is still in the car: found again, quietly
            assert len(_events(base)) == 1
    assert len(_paths(relay.received(), "/relay/on")) == 1


@contextmanager
def _locked(database: Path) -> Iterator[None]:
    """An exclusive SQLite transaction: nobody else reads or writes until it ends."""
    connection = sqlite3.connect(database, timeout=10, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        yield
        connection.execute("COMMIT")
    finally:
        connection.close()


def test_a_locked_database_stalls_neither_detection_nor_loses_the_event(tmp_path: Path) -> None:
    """The database is locked for 30 s while an e-bike enters the elevator: detection keeps
    running, health names the recorder's trouble, and the event is stored once the lock is
    gone."""
    with WebhookReceiver() as relay:
        config = _config(tmp_path, _model(tmp_path, sees_ebike=True), relay)
        database = tmp_path / "data" / "stairwatch.db"
        with _service(config) as (base, _proc):
            with _locked(database):
                locked_at = time.monotonic()
                before = _camera(base)["detections_run"]
                assert _wait(lambda: "cannot write to the store" in _problems(base), 20)
                time.sleep(max(0.0, 30 - (time.monotonic() - locked_at)))
                assert _camera(base)["detections_run"] > before
            assert _wait(lambda: bool(_events(base)), 10)
            assert relay.wait_for(lambda r: bool(_paths(r, "/relay/on")), timeout_s=5)
            assert _wait(lambda: "cannot write" not in _problems(base), 5)


def _camera(base: str) -> dict[str, Any]:
    (camera,) = httpx.get(f"{base}/api/cameras", timeout=5).json()
    return dict(camera)


@contextmanager
def _full_disk(folder: Path) -> Iterator[Path]:
    """``folder`` on a 1 MiB tmpfs filled up; yields the filler file (delete it to make room)."""
    folder.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {mounted.stderr.decode().strip()}")
    try:
        filler = folder / "filler"
        with filler.open("wb") as f, contextlib.suppress(OSError):
            f.write(b"\0" * (2 << 20))
        yield filler
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_a_full_media_disk_is_a_health_problem_and_loses_nothing(tmp_path: Path) -> None:
    with WebhookReceiver() as relay:
        config = _config(tmp_path, _model(tmp_path, sees_ebike=True), relay)
        with _full_disk(tmp_path / "data" / "media") as filler, _service(config) as (base, _p):
            assert _wait(lambda: "cannot write" in _problems(base), 15), _problems(base)
            count = _camera(base)["detections_run"]
            assert _wait(lambda: _camera(base)["detections_run"] > count + 3, 5)
            filler.unlink()  # room again: the waiting event goes in
            assert _wait(lambda: bool(_events(base)), 10)
            assert relay.wait_for(lambda r: bool(_paths(r, "/relay/on")), timeout_s=5)


def test_a_hanging_relay_does_not_stop_detection(tmp_path: Path) -> None:
    with WebhookReceiver() as relay:
        relay.reply.delay_s = 30.0
        config = _config(tmp_path, _model(tmp_path, sees_ebike=True), relay)
        with _service(config) as (base, _proc):
            assert _wait(lambda: bool(_events(base)), 15)  # its relay call now hangs 30 s
            count = _camera(base)["detections_run"]
            assert _wait(lambda: _camera(base)["detections_run"] > count + 3, 5)


def _lights(tmp: Path, phases: list[tuple[float, int]], fps: int = 10) -> Path:
    """A clip of (seconds, grey level) phases: a still, noisy view (not a blocked one) that
    brightens and darkens, nothing else."""
    images = [
        noise(low=level - 20, high=level + 20)
        for seconds, level in phases
        for _ in range(int(seconds * fps))
    ]
    return write_clip(tmp / "lights.mp4", images, fps)


def test_a_failing_detector_is_a_health_problem_and_detection_resumes(tmp_path: Path) -> None:
    """The detector breaks for 6 s (the model returns a wrong shape on bright pictures) while an
    e-bike is in the elevator: the service keeps running, health names the detector's errors
    and the stall, and detection resumes. The outage is shorter than the rule's
    ``clear_after_s``, so the event is kept (not ended, not raised twice): the rules saw nothing
    during the outage, neither the e-bike nor its absence."""
    model = ultralytics_failing_model(
        tmp_path / "fails_bright.onnx", [EBIKE_BOX], [0], [0.9], ["ebike", "person"], 0.5
    )
    clip = _lights(tmp_path, [(5.0, 40), (6.0, 230), (14.0, 40)])
    with WebhookReceiver() as relay:
        rules = {
            "ebike_in_elevator": {"clear_after_s": 10.0},
            "camera_tampered": {"after_s": 600.0},  # a featureless view reads as blurred
        }
        config = _config(tmp_path, model, relay, clip=clip, rules=rules)
        with _service(config) as (base, proc):
            assert relay.wait_for(lambda r: bool(_paths(r, "/relay/on")), timeout_s=15)
            assert _wait(lambda: "the detector failed" in _problems(base), 12), _problems(base)
            assert _wait(lambda: "no frame went through detection" in _problems(base), 6)
            failed = _camera(base)
            assert failed["detector_errors"] > 0 and proc.poll() is None
            assert _wait(lambda: _camera(base)["detections_run"] > failed["detections_run"], 10)
            assert _wait(lambda: _health(base)["status"] == "ok", 8), _problems(base)
            events = _events(base)
            assert [(e["type"], e["end_ts"]) for e in events] == [("ebike_in_elevator", None)]
    assert len(_paths(relay.received(), "/relay/on")) == 1


def _faketime(timestamp_file: Path) -> dict[str, str]:
    """The environment that lets the test step the service's wall clock by rewriting
    ``timestamp_file`` (an offset such as ``+0`` or ``-1h``); the monotonic clock is left alone.
    Skips the test when libfaketime is missing or does not work here."""
    libfaketime = pytest.importorskip("libfaketime")
    library = Path(libfaketime.__file__).parent / "vendor/libfaketime/src/libfaketime.so.1"
    timestamp_file.write_text("+0\n")
    env = {
        "LD_PRELOAD": str(library),
        "FAKETIME_TIMESTAMP_FILE": str(timestamp_file),
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "DONT_FAKE_MONOTONIC": "1",
    }
    probe = subprocess.run(
        [sys.executable, "-c", "import time; time.sleep(0.01)"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        pytest.skip(f"libfaketime does not work here: {probe.stderr.strip()[-200:]}")
    return env


def test_the_wall_clock_stepping_back_an_hour_mid_event_changes_nothing(tmp_path: Path) -> None:
    """A live camera (RTSP) sees an e-bike in the elevator; while the event is open, the
    service's wall clock steps back one hour. Rules run on the monotonic clock: nothing crashes,
    no thread restarts, detection goes on, and the event is neither raised again nor ended."""
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"no RTSP test server: {reason}")
    clock = tmp_path / "faketime"
    env = _faketime(clock)
    with ServerProcess(free_port(), fps=10, keyint=5) as camera, WebhookReceiver() as relay:
        # The test pattern is a small ball on black: a view that reads as blocked after 10 s.
        rules = {"camera_tampered": {"after_s": 600.0}}
        config = _config(tmp_path, _model(tmp_path, sees_ebike=True), relay, rules=rules)
        site = yaml.safe_load(config.read_text())
        site["cameras"][0]["source"] = camera.url
        config.write_text(yaml.safe_dump(site))
        with _service(config, env, start_s=60) as (base, proc):  # every clock read opens a file
            assert relay.wait_for(lambda r: bool(_paths(r, "/relay/on")), timeout_s=20)
            before = _camera(base)
            clock.write_text("-1h\n")
            assert _wait(
                lambda: _camera(base)["detections_run"] > before["detections_run"] + 10, 10
            )
            time.sleep(2)  # frames stamped an hour earlier keep going through the rules
            served_at = parsedate_to_datetime(
                httpx.get(f"{base}/healthz", timeout=5).headers["date"]
            )
            assert served_at.timestamp() == pytest.approx(time.time() - 3600, abs=60)  # stepped
            after, health = _camera(base), _health(base)
            assert proc.poll() is None and after["state"] == "online"
            assert not any(health["thread_restarts"].values())
            metrics = httpx.get(f"{base}/metrics", timeout=5).text
            assert 'stairwatch_camera_pipeline_errors_total{camera="lift-1"} 0.0' in metrics
            assert health["status"] == "ok", _problems(base)
            (event,) = _events(base)
            assert event["end_ts"] is None
    assert len(_paths(relay.received(), "/relay/on")) == 1
