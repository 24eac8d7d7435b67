"""``stairwatch bench`` end to end on a tiny real ONNX model and a generated clip (short phases:
this checks the report, not the speed)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from alerts.events import ChangeKind, EventChange, EventRecord, EventType, Severity
from alerts.snapshot import render_snapshot
from alerts.store import CameraInfo, EventStore
from stairwatch.bench.handoff import AlertClock
from stairwatch.cli import main
from tests.onnx_models import ultralytics_constant_model
from tests.rtsp_server import unavailable_reason

KEYS = (
    "raw_fps",
    "raw_fps_batch1",
    "pipeline_fps",
    "efficiency",
    "frame_age_p95_s",
    "motion_skip_ratio",
    "motion_skip_ratio_with_objects",
    "alert_latency_p95_s",
    "alert_stored_latency_p95_s",
    "due_detections_ratio",
    "rss_mb",
    "rss_start_mb",
    "rss_end_mb",
    "machine",
)


def write_moving_clip(path: Path, seconds: float = 3.0, fps: int = 10) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (320, 240))
    background = np.random.default_rng(0).integers(60, 200, (240, 320, 3), dtype=np.uint8)
    for i in range(int(seconds * fps)):
        frame = background.copy()
        x = 10 + 8 * i
        frame[100:160, x : x + 40] = 255
        writer.write(frame)
    writer.release()


@pytest.fixture
def clips(tmp_path: Path) -> Path:
    folder = tmp_path / "clips"
    folder.mkdir()
    write_moving_clip(folder / "corridor.mp4")
    return folder


def test_bench_writes_every_key(tmp_path: Path, clips: Path, capsys: pytest.CaptureFixture) -> None:
    model = ultralytics_constant_model(tmp_path / "empty.onnx", [], [], [], ["ebike", "person"])
    out = tmp_path / "bench.json"
    options = "--cameras 2 --seconds 2 --phase-seconds 2 --model-seconds 0.2 --batch 2"
    options += " --width 160 --height 120 --fps 10 --no-progress"
    argv = ["bench", "--model", str(model), "--clips", str(clips), "--json", str(out)]
    argv += options.split()
    assert main(argv) == 0
    result = json.loads(out.read_text())
    assert set(KEYS) <= set(result)
    assert result["alert_latency_note"]
    assert result["machine"]["cores"] >= 1
    assert result["raw_fps"] > 0 and result["pipeline_fps"] > 0
    service, still = result["service"], result["still"]
    assert service["cameras"] == 2 and service["detections_run"] > 0
    assert len(service["rss_timeline_mb"]) >= 2
    assert service["cpu_steal_ratio"] is None or 0.0 <= service["cpu_steal_ratio"] <= 1.0
    assert service["other_cores"] is None or service["other_cores"] >= 0.0
    assert {"reader", "inference"} <= set(service["cores_by_thread"])
    assert result["workers"] >= 1 and result["threads_per_call"] >= 1
    # The still scene is the clip's first frame: nothing moves, nothing is found.
    assert still["detections_skipped"] > 0 and still["cameras_with_objects"] == 0
    assert 0.0 < service["due_ratio_min_camera"] <= service["due_detections_ratio"]
    assert result["due_ratio_min_camera"] == service["due_ratio_min_camera"]
    assert service["reader_cores_per_camera"] >= 0 and service["still_cameras"] == 0
    assert service["status_p95_ms"] > 0
    assert result["source_codec"] == "h264" and service["clips_filed"] >= 0
    assert "model alone" in capsys.readouterr().out


@pytest.mark.parametrize("codec", ["h264", "mpeg4"])
def test_bench_mixes_still_and_moving_cameras(tmp_path: Path, clips: Path, codec: str) -> None:
    model = ultralytics_constant_model(tmp_path / "empty.onnx", [], [], [], ["ebike", "person"])
    out = tmp_path / "bench.json"
    options = "--cameras 4 --still-share 0.75 --phases service --seconds 3 --no-progress"
    options += f" --width 160 --height 120 --fps 10 --codec {codec}"
    argv = ["bench", "--model", str(model), "--clips", str(clips), "--json", str(out)]
    assert main([*argv, *options.split()]) == 0
    result = json.loads(out.read_text())
    assert result["source_codec"] == codec
    service = result["service"]
    assert service["still_cameras"] == 3
    assert service["detections_skipped"] > 0  # the still cameras' frames skip the detector


@pytest.mark.rtsp
def test_bench_reads_live_rtsp_cameras(tmp_path: Path, clips: Path) -> None:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"no RTSP test server: {reason}")
    model = ultralytics_constant_model(tmp_path / "empty.onnx", [], [], [], ["ebike", "person"])
    out = tmp_path / "bench.json"
    options = "--cameras 2 --rtsp --phases service --seconds 3 --width 160 --height 120"
    options += " --fps 10 --no-progress"
    argv = ["bench", "--model", str(model), "--clips", str(clips), "--json", str(out)]
    argv += options.split()
    assert main(argv) == 0
    service = json.loads(out.read_text())["service"]
    assert service["source"] == "rtsp test pattern"
    assert service["frames_in"] > 0


@pytest.mark.parametrize(
    ("start", "end", "ratio"),
    [
        ((10, 1000), (60, 2000), 0.05),
        ((10, 1000), (10, 2000), 0.0),
        (None, (10, 2000), None),  # no /proc/stat
        ((10, 1000), (10, 1000), None),  # no time passed
    ],
)
def test_steal_ratio(
    start: tuple[int, int] | None, end: tuple[int, int] | None, ratio: float | None
) -> None:
    from stairwatch.bench.machine import CpuTicks, steal_ratio

    def ticks(pair: tuple[int, int] | None) -> CpuTicks | None:
        return None if pair is None else CpuTicks(pair[0], 0, pair[1])

    assert steal_ratio(ticks(start), ticks(end)) == ratio


@pytest.mark.parametrize(
    ("busy_ticks", "own_cpu_s", "elapsed_s", "cores"),
    [
        (2.0, 1.0, 1.0, 1.0),  # two cores busy, this process one of them: one core for others
        (1.5, 1.5, 1.0, 0.0),  # all of it ours
        (1.0, 1.2, 1.0, 0.0),  # readings a tick apart: never below nothing
        (3.0, 1.0, 2.0, 1.0),
        (1.0, 0.5, 0.0, None),  # no time passed
    ],
)
def test_other_processes_cores(
    busy_ticks: float, own_cpu_s: float, elapsed_s: float, cores: float | None
) -> None:
    """``busy_ticks`` in seconds of CPU (turned into clock ticks here)."""
    import os

    from stairwatch.bench.machine import CpuTicks, other_cores

    hz = os.sysconf("SC_CLK_TCK")
    start, end = CpuTicks(0, 100, 1000), CpuTicks(0, 100 + round(busy_ticks * hz), 2000)
    assert other_cores(start, end, own_cpu_s, elapsed_s) == cores
    assert other_cores(None, end, own_cpu_s, 1.0) is None


def test_a_real_reading_of_the_machine() -> None:
    from stairwatch.bench.machine import cpu_ticks

    ticks = cpu_ticks()
    if ticks is None:
        pytest.skip("no /proc/stat here")
    assert 0 <= ticks.steal <= ticks.total and 0 <= ticks.busy <= ticks.total


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cameras", "0"], "--cameras must be at least 1"),
        (["--phases", "model,warp"], "unknown phase 'warp'"),
        (["--map", "ebike"], "expected KIND=NAME"),
        (["--workers", "0"], "--workers must be in [1, 64]"),
        (["--still-share", "1.5"], "--still-share must be in [0, 1]"),
    ],
)
def test_bench_rejects_bad_arguments(
    args: list[str], message: str, capsys: pytest.CaptureFixture
) -> None:
    assert main(["bench", *args]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("thread", "group"),
    [
        ("reader-cam03", "reader"),
        ("reader-stairs-2", "reader"),  # the camera id is dropped whatever it is
        ("sampler-lobby", "sampler"),
        ("stairwatch-reader-lobby", "stairwatch-reader"),
        ("inference-2", "inference"),
        ("clip-encoder_0", "clip-encoder"),
        ("ThreadPoolExecutor-0_1", "ThreadPoolExecutor"),
        ("MainThread", "MainThread"),
    ],
)
def test_thread_groups(thread: str, group: str) -> None:
    from stairwatch.bench.threads_cpu import group_name

    assert group_name(thread) == group


def test_cores_by_group_counts_living_native_and_exited_threads() -> None:
    from stairwatch.bench.threads_cpu import CpuReading, cores_by_group

    start = CpuReading(10.0, {1: 1.0, 2: 2.0, 3: 0.5}, {1: "MainThread", 2: "reader"})
    end = CpuReading(16.0, {1: 1.5, 2: 4.0, 3: 1.5, 4: 1.0}, {1: "MainThread", 2: "reader"})
    # Threads 3 and 4 are native (unknown to Python; 4 started during the run). Of the 6 s the
    # process used, the living threads account for 4.5 s: 1.5 s went to threads that ended.
    cores = cores_by_group(start, end, 2.0)
    assert cores == {"native": 1.0, "reader": 1.0, "exited": 0.75, "MainThread": 0.25}
    assert list(cores.values()) == sorted(cores.values(), reverse=True)


def test_alert_clock_times_the_hand_off_through_the_real_outbox(tmp_path: Path) -> None:
    store = EventStore.open(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "media")
    clock = AlertClock(store)
    clock.start()
    try:
        event = EventRecord(
            key="k1",
            camera_id="cam01",
            zone=None,
            type=EventType.EBIKE_PARKED,
            severity=Severity.HIGH,
            track_id=1,
            confidence=0.9,
            start_ts=time.time() - 2,
            alert_ts=time.time() - 1,
        )
        camera = CameraInfo(id="cam01", name="cam 1", building="", floor="")
        store.record_raised(
            event, camera, render_snapshot(np.zeros((90, 160, 3), np.uint8), None, [], "t")
        )
        clock.stored(EventChange(ChangeKind.RAISED, event))
        deadline = time.monotonic() + 15
        while not clock.channel.latencies() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        clock.stop()
        store.close()
    (handed,) = clock.channel.latencies()
    (stored,) = clock.stored_latencies()
    assert handed >= stored >= 1.0  # alert_ts was a second ago


def test_bench_names_a_missing_model(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["bench", "--model", str(tmp_path / "nope.onnx")]) == 2
    assert "nope.onnx" in capsys.readouterr().err
