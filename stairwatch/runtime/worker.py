"""The inference workers: batch pending frames across cameras on one shared detector."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from alerts.events import EventChange
from stairwatch.pipeline import CameraPipeline, PipelineStep
from stairwatch.runtime.health import CameraHealth
from stairwatch.runtime.pending import PendingFrame, PendingFrames
from stairwatch.runtime.threads import GuardedThread
from streams.frame import Frame
from vision.detections import Detections
from vision.errors import DetectorError

log = logging.getLogger(__name__)


class Detector(Protocol):
    def detect(self, frames: Sequence[NDArray[np.uint8]]) -> list[Detections]: ...


class WorkerMetrics(Protocol):
    def batch_done(self, size: int, latency_s: float) -> None: ...

    def frame_detected(self, age_s: float) -> None: ...


class EventSink(Protocol):
    """Where a camera's pipeline output goes (the store and notifiers, or an evaluation)."""

    def handle(self, frame: Frame, step: PipelineStep) -> None: ...

    def finish(self, changes: list[EventChange]) -> None: ...


@dataclass
class CameraLane:
    """Everything the worker needs for one camera."""

    pipeline: CameraPipeline
    sink: EventSink
    health: CameraHealth


class InferenceWorker:
    """``threads`` threads; each round of each takes up to ``batch_size`` frames and runs the
    detector once. The detector must allow concurrent calls (an onnxruntime session does).

    Several threads with one onnxruntime thread each keep a small model's CPU cores busier than
    one call spread over all of them (measured on 2 cores: 85 against 63 frames/s at batch 4).
    :class:`PendingFrames` keeps each camera's frames in order across the threads.

    Frame ages (capture to detection done, seconds) of the last ``age_window`` frames are kept
    for the benchmark and metrics.
    """

    def __init__(
        self,
        detector: Detector,
        lanes: Mapping[str, CameraLane],
        pending: PendingFrames,
        batch_size: int = 4,
        max_wait_s: float = 0.05,
        age_window: int = 2000,
        metrics: WorkerMetrics | None = None,
        threads: int = 1,
    ):
        self._detector = detector
        self._lanes = lanes
        self._pending = pending
        self._batch_size = batch_size
        self._max_wait_s = max_wait_s
        self._metrics = metrics
        self._stop = threading.Event()
        if threads < 1:
            raise ValueError(f"an inference worker needs at least one thread, got {threads}")
        self.threads = [GuardedThread(f"inference-{i + 1}", self._run) for i in range(threads)]
        self.frame_ages_s: deque[float] = deque(maxlen=age_window)
        self._count_lock = threading.Lock()
        self.batches = 0

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._pending.close()
        deadline = time.monotonic() + timeout_s
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _run(self) -> None:
        while not self._stop.is_set():
            items = self._pending.take(self._batch_size, self._max_wait_s, timeout_s=0.5)
            if items:
                try:
                    self.run_batch(items)
                finally:
                    self._pending.release(items)

    def run_batch(self, items: list[PendingFrame]) -> None:
        """Detect on the frames that need it, then step every camera's pipeline in frame order.

        When the detector fails, its frames are not stepped at all: unknown is not empty.
        """
        to_detect = [item for item in items if item.detect]
        results: dict[int, Detections] = {}
        if to_detect:
            found = self._detect(to_detect)
            if found is None:
                items = [item for item in items if not item.detect]
            else:
                results = {id(item): dets for item, dets in zip(to_detect, found, strict=True)}
        done = time.time()
        for item in items:
            self._step(item, results.get(id(item)), done)

    def _detect(self, items: list[PendingFrame]) -> list[Detections] | None:
        started = time.perf_counter()
        try:
            found = self._detector.detect([item.frame.image for item in items])
        except DetectorError as exc:
            self._detector_failed(items, str(exc))
            return None
        except Exception as exc:  # a bug in a detector must not kill the worker thread
            log.exception("detector raised an unexpected error")
            self._detector_failed(items, f"{type(exc).__name__}: {exc}")
            return None
        if len(found) != len(items):
            self._detector_failed(items, f"{len(found)} results for {len(items)} frames")
            return None
        with self._count_lock:
            self.batches += 1
        if self._metrics is not None:
            self._metrics.batch_done(len(items), time.perf_counter() - started)
        return found

    def _step(self, item: PendingFrame, detections: Detections | None, done: float) -> None:
        lane = self._lanes[item.frame.camera_id]
        try:
            if item.check_only:
                step = lane.pipeline.check_fire(item.frame)
            else:
                step = lane.pipeline.process(item.frame, detections)
        except Exception as exc:  # a failing step resets its camera, never kills the thread
            self._pipeline_failed(lane, item.frame.camera_id, exc)
            return
        if not item.check_only:
            lane.health.frame_stepped()
        if step.detected:
            lane.health.detection_ran()
            age = done - item.frame.timestamp
            self.frame_ages_s.append(age)
            if self._metrics is not None:
                self._metrics.frame_detected(age)
        try:
            lane.sink.handle(item.frame, step)
        except Exception:  # a sink failure must not stop the other cameras
            log.exception("event sink failed for camera %s", item.frame.camera_id)

    def _pipeline_failed(self, lane: CameraLane, camera_id: str, exc: Exception) -> None:
        log.exception(
            "camera %s: pipeline step failed; its tracks and rules start afresh", camera_id
        )
        lane.health.pipeline_failed(f"pipeline step failed: {type(exc).__name__}: {exc}")
        try:
            lane.sink.finish(lane.pipeline.reset())
        except Exception:
            log.exception("camera %s: could not end its open events on reset", camera_id)

    def _detector_failed(self, items: list[PendingFrame], message: str) -> None:
        # Unknown is not empty: these frames are not fed to the rules at all.
        log.error("detector failed on %d frame(s): %s", len(items), message)
        for item in items:
            self._lanes[item.frame.camera_id].health.detector_failed(message)
