"""The service in-process against a real GStreamer RTSP server (tests/rtsp_server.py), a tiny real
ONNX model, a real SQLite store and the dashboard's HTTP API (FastAPI's in-process client).

RTSP tests skip when Debian's /usr/bin/python3 has no GstRtspServer; the file-camera tests run
anywhere. Deadlines are generous upper bounds for waiting on a state, never speed assertions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from numpy.typing import NDArray

from alerts.events import ChangeKind, EventType
from alerts.rules import camera_offline
from alerts.store import EventStore
from dashboard.app import create_app
from stairwatch.config import Settings
from stairwatch.pipeline import CameraPipeline, PipelineStep
from stairwatch.runtime.health import CameraHealth, CameraState
from stairwatch.runtime.offline import OfflineWatch
from stairwatch.runtime.pending import PendingFrames
from stairwatch.runtime.service import Service
from stairwatch.runtime.status import ServiceCameraStatuses
from stairwatch.runtime.worker import CameraLane, Detector, InferenceWorker
from streams.frame import Frame
from tests.media_helpers import write_static_clip
from tests.onnx_models import ultralytics_constant_model
from tests.rtsp_server import ServerProcess, free_port, unavailable_reason
from tests.web import LOCAL
from vision.detections import Detections
from vision.detector import load_detector
from vision.errors import DetectorError
from vision.kinds import KindMapper

DEADLINE_S = 20.0
NAMES = ["ebike", "person"]
MAIN_WIDTH = 320  # the test server's main stream; its sub-stream is half as wide
LANDING = {"name": "landing", "kind": "no_parking", "polygon": [[0, 0.4], [1, 0.4], [1, 1], [0, 1]]}
FAST_RULES = {"ebike_parked": {"dwell_s": 1.0, "clear_after_s": 1.0}}
FAST_STREAM = {"open_timeout_s": 2, "read_timeout_s": 2, "stall_after_s": 2, "offline_after_s": 2}


@pytest.fixture(scope="module")
def gstreamer() -> None:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"no RTSP test server: {reason}")


@pytest.fixture
def server(gstreamer: None) -> Iterator[ServerProcess]:
    with ServerProcess(free_port(), fps=10, keyint=5) as process:
        yield process


@pytest.fixture
def ebike_model(tmp_path: Path) -> Path:
    """Sees an e-bike on the landing in every frame (320x320 input; the box's lower part is in
    the lower 60 % of any 4:3 frame)."""
    return ultralytics_constant_model(
        tmp_path / "ebike.onnx", [(120, 200, 200, 270)], [0], [0.9], NAMES
    )


@pytest.fixture
def empty_model(tmp_path: Path) -> Path:
    return ultralytics_constant_model(tmp_path / "empty.onnx", [], [], [], NAMES)


def settings_for(tmp_path: Path, model: Path, camera: dict[str, Any], **top: Any) -> Settings:
    camera = {"id": "stairs", "detect_fps": 4, "zones": [LANDING], **camera}
    data = {
        "cameras": [camera],
        "model": {"path": str(model)},
        "rules": FAST_RULES,
        "storage": {"data_dir": str(tmp_path / "data")},
        **top,
    }
    return Settings.model_validate(data)


@contextmanager
def running(settings: Settings, detector: Detector | None = None) -> Iterator[TestClient]:
    """The service and its dashboard; yields the dashboard's in-process HTTP client."""
    model = load_detector(settings.model.path)
    store = EventStore.open(
        settings.storage.resolved_database_url(), settings.storage.data_dir / "media"
    )
    service = Service(settings, detector or model, model.class_names, store)
    cameras = ServiceCameraStatuses(service)
    app = create_app(
        store, cameras, metrics=service.metrics.exposition, pictures=cameras, zones=cameras
    )
    service.start()
    try:
        with TestClient(app, base_url=LOCAL) as client:
            yield client
    finally:
        service.stop()
        store.close()


def wait_for(what: str, probe: Callable[[], Any], deadline_s: float = DEADLINE_S) -> Any:
    """Polls ``probe`` until it returns something truthy."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not {what} within {deadline_s} s")


def camera(client: TestClient) -> dict[str, Any]:
    (status,) = client.get("/api/cameras").json()
    return dict(status)


def live_width(client: TestClient) -> int | None:
    """Width of the dashboard's live picture of the camera (None: none yet)."""
    live = client.get("/api/cameras/stairs/latest.jpg")
    if live.status_code != 200:
        return None
    assert live.headers["cache-control"] == "no-store"
    picture = cv2.imdecode(np.frombuffer(live.content, np.uint8), cv2.IMREAD_COLOR)
    return int(picture.shape[1])


def events_of(client: TestClient, type_: EventType) -> list[dict[str, Any]]:
    return list(client.get("/api/events", params={"type": type_.value}).json())


def metric(client: TestClient, line_start: str) -> float | None:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_rtsp_camera_online_events_offline_and_back(
    tmp_path: Path, server: ServerProcess, ebike_model: Path
) -> None:
    source = {"source": server.url, "substream": server.sub_url, "stream": FAST_STREAM}
    with running(settings_for(tmp_path, ebike_model, source)) as client:
        wait_for("online", lambda: camera(client)["state"] == "online")
        wait_for("a live picture from the main stream", lambda: live_width(client) == MAIN_WIDTH)
        assert '"name": "landing"' in client.get("/cameras/stairs/zones").text
        assert client.get("/api/cameras/nope/latest.jpg").status_code == 404
        parked = wait_for("an e-bike event", lambda: events_of(client, EventType.EBIKE_PARKED))
        assert parked[0]["zone"] == "landing"
        assert metric(client, 'stairwatch_camera_up{camera="stairs"}') == 1.0
        assert (metric(client, 'stairwatch_camera_detections_run_total{camera="stairs"}') or 0) > 0
        assert (metric(client, "stairwatch_inference_batch_size_count") or 0) > 0
        assert metric(client, 'stairwatch_events_raised_total{type="ebike_parked"}') == 1.0
        copied = 'stairwatch_clips_filed_total{path="remux"}'  # H.264 and no privacy mask
        wait_for("the event's clip copied", lambda: (metric(client, copied) or 0) >= 1)
        assert metric(client, 'stairwatch_clips_filed_total{path="reencode"}') == 0.0

        server.kill()
        offline = wait_for(
            "a camera_offline event", lambda: events_of(client, EventType.CAMERA_OFFLINE)
        )
        status = camera(client)
        assert status["state"] == "offline"
        assert status["last_error"]
        assert offline[0]["severity"] == "high" and offline[0]["end_ts"] is None
        snapshot = client.get(f"/api/events/{offline[0]['id']}/snapshot.jpg")
        assert snapshot.content[:2] == b"\xff\xd8"
        assert metric(client, 'stairwatch_camera_state{camera="stairs",state="offline"}') == 1.0

        server.start()
        wait_for("online again", lambda: camera(client)["state"] == "online")
        ended = wait_for(
            "the offline event ended",
            lambda: [e for e in events_of(client, EventType.CAMERA_OFFLINE) if e["end_ts"]],
        )
        assert len(ended) == 1
        assert camera(client)["reconnects"] >= 1


class SlowDetector:
    """The real detector, slower than the camera: frames pile up behind it."""

    def __init__(self, inner: Detector, delay_s: float):
        self._inner = inner
        self._delay_s = delay_s

    def detect(self, frames: Sequence[NDArray[np.uint8]]) -> list[Detections]:
        time.sleep(self._delay_s)
        return self._inner.detect(frames)


def test_back_pressure_drops_the_oldest_frame_and_counts_it(
    tmp_path: Path, server: ServerProcess, empty_model: Path
) -> None:
    source = {
        "source": server.url,
        "detect_fps": 10,
        "stream": FAST_STREAM,
        "motion": {"enabled": False},
    }
    settings = settings_for(tmp_path, empty_model, source, inference={"batch_size": 1})
    slow = SlowDetector(load_detector(empty_model), delay_s=0.5)
    with running(settings, slow) as client:
        status = wait_for("frames dropped", lambda: (s := camera(client))["frames_dropped"] and s)
        sampled = metric(client, 'stairwatch_camera_frames_total{camera="stairs"}')
        assert status["detections_run"] < (sampled or 0)  # the dropped frames never ran
        assert metric(client, 'stairwatch_camera_frames_dropped_total{camera="stairs"}')


def test_motion_gate_skips_the_detector_on_a_static_clip(tmp_path: Path, empty_model: Path) -> None:
    clip = write_static_clip(tmp_path / "still.mp4", height=240)
    camera_cfg = {"source": str(clip), "loop": True, "detect_fps": 5}
    with running(settings_for(tmp_path, empty_model, camera_cfg)) as client:
        status = wait_for(
            "15 frames", lambda: (s := camera(client))["detections_skipped"] >= 12 and s
        )
    # The first frame builds the background; nothing moves afterwards and nothing is tracked.
    assert status["detections_run"] <= 2
    assert status["detections_skipped"] >= 12


class FailingDetector:
    """Raises like onnxruntime does when the model cannot run."""

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, frames: Sequence[NDArray[np.uint8]]) -> list[Detections]:
        self.calls += 1
        raise DetectorError("inference with broken.onnx failed: out of memory")


def test_detector_failure_shows_in_health(tmp_path: Path, empty_model: Path) -> None:
    clip = write_static_clip(tmp_path / "still.mp4", height=240)
    camera_cfg = {"source": str(clip), "loop": True, "motion": {"enabled": False}}
    with running(settings_for(tmp_path, empty_model, camera_cfg), FailingDetector()) as client:
        status = wait_for("detector errors", lambda: (s := camera(client))["detector_errors"] and s)
        assert "out of memory" in status["last_error"]
        assert status["detections_run"] == 0
        assert metric(client, 'stairwatch_camera_detector_errors_total{camera="stairs"}')


class RecordingSink:
    def __init__(self) -> None:
        self.steps: list[PipelineStep] = []

    def handle(self, frame: Frame, step: PipelineStep) -> None:
        self.steps.append(step)

    def finish(self, changes: list[Any]) -> None:
        pass


@pytest.mark.parametrize("detect", [True, False], ids=["detect", "motion-skipped"])
def test_worker_feeds_nothing_to_the_rules_when_the_detector_fails(detect: bool) -> None:
    """A failed detector call is unknown, not empty: frames that needed it are not stepped;
    frames the motion gate skipped still are (as an unchanged scene)."""
    mapper = KindMapper(tuple(NAMES), {})
    pipeline = CameraPipeline(
        "stairs",
        [],
        Settings.model_validate({"cameras": [{"id": "stairs", "source": "x.mp4"}]}).rules,
        mapper,
    )
    sink, health, pending = RecordingSink(), CameraHealth("stairs"), PendingFrames()
    lanes = {"stairs": CameraLane(pipeline=pipeline, sink=sink, health=health)}
    detector = FailingDetector()
    worker = InferenceWorker(detector, lanes, pending)
    pending.put(Frame("stairs", np.zeros((120, 160, 3), np.uint8), time.time(), 0.0, 0), detect)
    worker.run_batch(pending.take(4, 0.0, 0.0))
    snapshot = health.snapshot(0)
    assert (detector.calls, snapshot.detector_errors) == ((1, 1) if detect else (0, 0))
    assert [s.detected for s in sink.steps] == ([] if detect else [False])


def test_pending_slot_keeps_the_newest_frame_and_counts_the_dropped_one() -> None:
    pending = PendingFrames()
    frames = [Frame("a", np.zeros((2, 2, 3), np.uint8), float(i), float(i), i) for i in range(3)]
    pending.put(frames[0], True)
    pending.put(frames[1], False)
    pending.put(frames[2], False)
    (taken,) = pending.take(4, 0.0, 0.0)
    assert taken.frame is frames[2] and taken.detect  # an earlier frame needed the detector
    assert pending.dropped("a") == 2


OFFLINE_STEPS = [
    # (state, offline_since, now, expected change)
    ("online", None, 100.0, None),
    ("offline", 100.0, 101.0, None),
    ("offline", 100.0, 102.5, ChangeKind.RAISED),
    ("offline", 100.0, 110.0, None),  # raised once per outage
    ("connecting", 100.0, 111.0, None),
    ("online", None, 112.0, ChangeKind.ENDED),
    ("online", None, 113.0, None),
    ("offline", 120.0, 121.0, None),
    ("offline", 120.0, 122.0, ChangeKind.RAISED),  # a new outage, a new event
]


def test_the_offline_rule_raises_after_the_delay_and_ends_when_back() -> None:
    state, changes = camera_offline.OfflineState(), []
    for name, since, now, _ in OFFLINE_STEPS:
        offline_for = now - since if name == "offline" and since is not None else None
        state, found = camera_offline.step(state, "stairs", name == "online", offline_for, now, 2.0)
        changes.append(found[0] if found else None)
    assert [c and c.kind for c in changes] == [expected for *_, expected in OFFLINE_STEPS]
    raised = [c.event for c in changes if c is not None and c.kind is ChangeKind.RAISED]
    assert [e.type for e in raised] == [EventType.CAMERA_OFFLINE] * 2
    assert [e.key for e in raised] == ["stairs:camera_offline:-:1", "stairs:camera_offline:-:2"]
    assert raised[0].start_ts == 100.0


def test_the_offline_watch_hands_out_wall_clock_times() -> None:
    watch = OfflineWatch("stairs", offline_after_s=2.0)
    (raised,) = watch.step(CameraState.OFFLINE, time.time() - 5.0)
    assert raised.event.start_ts == pytest.approx(time.time() - 5.0, abs=1.0)
    assert raised.event.alert_ts == pytest.approx(time.time(), abs=1.0)
