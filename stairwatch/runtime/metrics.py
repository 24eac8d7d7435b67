"""Prometheus metrics of one running service, on its own registry (never the global one).

Per-camera health is read at scrape time by a custom collector; the inference worker feeds the
histograms as it goes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from alerts.events import EventChange
from stairwatch.runtime.capacity import CameraRate
from stairwatch.runtime.health import CameraState, HealthSnapshot
from stairwatch.runtime.recorder import RecorderStats
from stairwatch.runtime.threads import Supervised

BATCH_BUCKETS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64)
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0)
AGE_BUCKETS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)

# (metric suffix, help, HealthSnapshot field) of the per-camera counters.
_CAMERA_COUNTERS = (
    ("frames", "frames sampled into the pipeline at detect_fps", "frames_in"),
    ("frames_dropped", "sampled frames dropped because the worker was behind", "frames_dropped"),
    ("reconnects", "reconnect attempts", "reconnects"),
    ("detections_due", "sampled frames the motion gate sent to the detector", "detections_due"),
    ("detections_run", "frames the detector looked at", "detections_run"),
    ("detections_skipped", "frames the motion gate kept from the detector", "detections_skipped"),
    ("detector_errors", "failed detector calls on this camera's frames", "detector_errors"),
    ("frames_stepped", "frames through tracking and the rules", "frames_stepped"),
    ("pipeline_errors", "frames whose tracking or rules raised", "pipeline_errors"),
)


class CameraCollector(Collector):
    """Per-camera gauges and counters from the service's health at scrape time."""

    def __init__(
        self,
        health: Callable[[], list[HealthSnapshot]],
        rates: Callable[[], dict[str, CameraRate]] | None = None,
    ):
        self._health = health
        self._rates = rates

    def collect(self) -> Iterator[Metric]:
        snapshots = self._health()
        up = GaugeMetricFamily("stairwatch_camera_up", "1 while frames arrive", labels=["camera"])
        state = GaugeMetricFamily(
            "stairwatch_camera_state",
            "1 for the camera's current state",
            labels=["camera", "state"],
        )
        fps = GaugeMetricFamily(
            "stairwatch_camera_input_fps",
            "frames per second the source delivers",
            labels=["camera"],
        )
        age = GaugeMetricFamily(
            "stairwatch_camera_last_frame_age_seconds",
            "seconds since the last frame",
            labels=["camera"],
        )
        for h in snapshots:
            up.add_metric([h.camera_id], float(h.state is CameraState.ONLINE))
            for value in CameraState:
                state.add_metric([h.camera_id, value.value], float(h.state is value))
            fps.add_metric([h.camera_id], h.input_fps)
            if h.last_frame_age_s is not None:
                age.add_metric([h.camera_id], h.last_frame_age_s)
        yield from (up, state, fps, age)
        if self._rates is not None:
            yield from _rate_gauges(self._rates())
        for suffix, doc, field in _CAMERA_COUNTERS:
            counter = CounterMetricFamily(f"stairwatch_camera_{suffix}", doc, labels=["camera"])
            for h in snapshots:
                counter.add_metric([h.camera_id], float(getattr(h, field)))
            yield counter


def _rate_gauges(rates: dict[str, CameraRate]) -> Iterator[Metric]:
    rate = GaugeMetricFamily(
        "stairwatch_camera_detection_rate",
        "detections run per second, over the last minute",
        labels=["camera"],
    )
    share = GaugeMetricFamily(
        "stairwatch_camera_due_share",
        "share of the due detections that ran, over the last minute",
        labels=["camera"],
    )
    for camera, r in rates.items():
        rate.add_metric([camera], r.detections_per_s)
        if r.due_share is not None:
            share.add_metric([camera], r.due_share)
    yield from (rate, share)


class ServiceCollector(Collector):
    """The recorder's counters and the supervised threads' restarts, at scrape time."""

    def __init__(
        self,
        recorder: Callable[[], RecorderStats],
        threads: Callable[[], Sequence[Supervised]],
    ):
        self._recorder = recorder
        self._threads = threads

    def collect(self) -> Iterator[Metric]:
        stats = self._recorder()
        yield GaugeMetricFamily(
            "stairwatch_recorder_queued", "event changes waiting for the store", stats.queued
        )
        for name, doc, value in (
            ("dropped", "event changes refused: the recorder queue was full", stats.dropped),
            ("written", "event changes written to the store", stats.written),
            ("failed", "event changes the store refused or that were given up", stats.failed),
        ):
            yield CounterMetricFamily(f"stairwatch_recorder_{name}", doc, value)
        restarts = CounterMetricFamily(
            "stairwatch_thread_restarts", "supervised threads restarted", labels=["thread"]
        )
        for thread in self._threads():
            restarts.add_metric([thread.name], float(thread.health().restarts))
        yield restarts


class RuntimeMetrics:
    """The service's registry; :meth:`exposition` is the body of ``GET /metrics``."""

    def __init__(
        self,
        health: Callable[[], list[HealthSnapshot]],
        recorder: Callable[[], RecorderStats] | None = None,
        threads: Callable[[], Sequence[Supervised]] | None = None,
        rates: Callable[[], dict[str, CameraRate]] | None = None,
    ):
        self.registry = CollectorRegistry(auto_describe=False)
        self._batch_size = Histogram(
            "stairwatch_inference_batch_size",
            "frames per detector call",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self._latency = Histogram(
            "stairwatch_detector_latency_seconds",
            "seconds per detector call (whole batch)",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._frame_age = Histogram(
            "stairwatch_frame_age_seconds",
            "capture to detection done, seconds",
            buckets=AGE_BUCKETS,
            registry=self.registry,
        )
        self._events = Counter(
            "stairwatch_events_raised", "events raised, by type", ["type"], registry=self.registry
        )
        self.registry.register(CameraCollector(health, rates))
        if recorder is not None and threads is not None:
            self.registry.register(ServiceCollector(recorder, threads))

    def batch_done(self, size: int, latency_s: float) -> None:
        self._batch_size.observe(size)
        self._latency.observe(latency_s)

    def frame_detected(self, age_s: float) -> None:
        self._frame_age.observe(age_s)

    def event_raised(self, change: EventChange) -> None:
        self._events.labels(type=change.event.type.value).inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)
