"""Several inference threads on one detector: the slots' in-flight claims keep each camera's
frames one at a time and in capture order; worker and thread counts follow the cores."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from stairwatch.config import InferenceConfig, Settings
from stairwatch.pipeline import CameraPipeline, PipelineStep
from stairwatch.runtime.health import CameraHealth
from stairwatch.runtime.pending import PendingFrame, PendingFrames
from stairwatch.runtime.worker import CameraLane, InferenceWorker
from streams.frame import Frame
from vision.benchmark import measure_fps
from vision.detections import Detections
from vision.kinds import KindMapper

NAMES = ("ebike", "person")


def frame(camera_id: str, t: float) -> Frame:
    return Frame(camera_id, np.zeros((8, 8, 3), np.uint8), t, t, round(t * 10))


def cameras(items: list[PendingFrame]) -> list[str]:
    return [item.frame.camera_id for item in items]


def test_a_camera_in_flight_waits_until_released() -> None:
    pending = PendingFrames()
    pending.put(frame("a", 1.0), True)
    pending.put(frame("b", 1.0), True)
    first = pending.take(1, 0.0, 0.0)
    assert cameras(first) == ["a"]
    pending.put(frame("a", 2.0), True)  # a's next frame, while a is in flight
    assert cameras(pending.take(4, 0.0, 0.0)) == ["b"]
    assert pending.take(4, 0.0, 0.0) == []  # only a's frame is left, and a is in flight
    pending.release(first)
    (again,) = pending.take(4, 0.0, 0.0)
    assert again.frame.timestamp == 2.0


def test_release_wakes_a_waiting_taker() -> None:
    pending = PendingFrames()
    pending.put(frame("a", 1.0), True)
    first = pending.take(1, 0.0, 0.0)
    pending.put(frame("a", 2.0), True)
    threading.Timer(0.2, pending.release, args=(first,)).start()
    started = time.monotonic()
    (taken,) = pending.take(1, 0.0, timeout_s=5.0)
    assert taken.frame.timestamp == 2.0
    assert time.monotonic() - started < 4.0


class JitteryDetector:
    """Returns nothing after a random pause, so the threads finish out of order."""

    def __init__(self, seed: int):
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def detect(self, frames: Sequence[NDArray[np.uint8]]) -> list[Detections]:
        with self._lock:
            pause = self._random.uniform(0.0, 0.01)
        time.sleep(pause)
        return [Detections.empty(NAMES) for _ in frames]


class OrderCheckingSink:
    """Records each camera's frame times and whether two threads ever stepped it at once."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.overlaps = 0
        self.threads: set[str] = set()
        self._busy = threading.Lock()

    def handle(self, frame: Frame, step: PipelineStep) -> None:
        if not self._busy.acquire(blocking=False):
            self.overlaps += 1
            return
        try:
            self.threads.add(threading.current_thread().name)
            self.times.append(frame.timestamp)
            time.sleep(0.001)
        finally:
            self._busy.release()

    def finish(self, changes: list[Any]) -> None:
        pass


def lane(camera_id: str, sink: OrderCheckingSink) -> CameraLane:
    settings = Settings.model_validate({"cameras": [{"id": camera_id, "source": "x.mp4"}]})
    pipeline = CameraPipeline(camera_id, [], settings.rules, KindMapper(NAMES, {}))
    return CameraLane(pipeline=pipeline, sink=sink, health=CameraHealth(camera_id))


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_threads_step_each_camera_alone_and_in_capture_order(threads: int) -> None:
    pending = PendingFrames()
    sinks = {f"cam{i}": OrderCheckingSink() for i in range(3)}
    worker = InferenceWorker(
        JitteryDetector(seed=threads),
        {camera_id: lane(camera_id, sink) for camera_id, sink in sinks.items()},
        pending,
        batch_size=2,
        max_wait_s=0.0,
        threads=threads,
    )
    worker.start()
    try:
        for tick in range(150):
            for camera_id in sinks:
                pending.put(frame(camera_id, tick / 10), detect=True)
            time.sleep(0.002)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(
            not s.times or s.times[-1] < 14.9 for s in sinks.values()
        ):
            time.sleep(0.05)
    finally:
        worker.stop()
    for sink in sinks.values():
        assert sink.overlaps == 0
        assert sink.times == sorted(set(sink.times))  # in order, none twice
        assert sink.times[-1] == pytest.approx(14.9)  # the newest frame is never lost
    used = set().union(*(s.threads for s in sinks.values()))
    assert used <= {f"inference-{i + 1}" for i in range(threads)}


def test_a_worker_needs_a_thread() -> None:
    with pytest.raises(ValueError, match="at least one thread"):
        InferenceWorker(JitteryDetector(0), {}, PendingFrames(), threads=0)


@pytest.mark.parametrize(
    ("workers", "threads", "cores", "cameras", "expected_workers", "expected_threads"),
    [
        (None, None, 1, 8, 1, 1),
        (None, None, 2, 8, 2, 1),  # this project's machine: two single-threaded calls
        (None, None, 16, 8, 4, 4),  # at most 4 workers by default; the cores shared among them
        (None, None, 2, 1, 1, 2),  # one camera is detected one frame at a time: one call
        (None, None, 16, 3, 3, 5),
        (1, None, 8, 8, 1, 8),  # one call spread over every core, as before workers existed
        (3, None, 8, 1, 3, 2),  # set: taken as it is
        (2, 3, 8, 8, 2, 3),
        (8, None, 2, 8, 8, 1),  # more workers than cores still get one thread each
    ],
)
def test_workers_and_threads_follow_the_cores(
    workers: int | None,
    threads: int | None,
    cores: int,
    cameras: int,
    expected_workers: int,
    expected_threads: int,
) -> None:
    config = InferenceConfig(workers=workers, threads=threads)
    assert config.worker_count(cores, cameras) == expected_workers
    assert config.threads_per_call(cores, cameras) == expected_threads


@pytest.mark.parametrize("callers", [1, 3])
def test_measure_fps_counts_every_callers_frames(callers: int) -> None:
    calls: list[int] = []

    class Counting:
        def detect(self, frames: Sequence[NDArray[np.uint8]]) -> list[Detections]:
            calls.append(len(frames))
            time.sleep(0.005)
            return [Detections.empty(NAMES) for _ in frames]

    fps = measure_fps(Counting(), np.zeros((8, 8, 3), np.uint8), 2, 0.2, callers=callers)
    assert all(n == 2 for n in calls)
    assert len(calls) >= 1 + callers  # the warm-up, then at least one call each
    assert fps > 0


@pytest.mark.parametrize(("batch", "callers"), [(0, 1), (1, 0)])
def test_measure_fps_refuses_nothing_to_measure(batch: int, callers: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        measure_fps(JitteryDetector(0), np.zeros((8, 8, 3), np.uint8), batch, 0.1, callers)
