"""``/metrics`` of the clip encoder: clips filed by how they were made, failed and waiting."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from stairwatch.media.clips import ClipStats


class ClipCollector(Collector):
    """Read from :meth:`ClipRecorder.stats` at scrape time."""

    def __init__(self, stats: Callable[[], ClipStats]):
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        stats = self._stats()
        filed = CounterMetricFamily(
            "stairwatch_clips_filed",
            "event clips stored: the camera's own H.264 copied (remux) or decoded and encoded "
            "again (reencode: privacy masks, other codecs)",
            labels=["path"],
        )
        filed.add_metric(["remux"], float(stats.remuxed))
        filed.add_metric(["reencode"], float(stats.filed - stats.remuxed))
        yield filed
        yield CounterMetricFamily("stairwatch_clips_failed", "event clips not kept", stats.failed)
        yield GaugeMetricFamily(
            "stairwatch_clips_waiting", "event clips waiting for the encoder", stats.waiting
        )
