"""The cameras' due and run detections over a sliding window of the supervisor's passes, for
the capacity watch and the decode budget. Pure bookkeeping on the monotonic clock; not
thread-safe (the supervisor's thread feeds and reads it)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from stairwatch.runtime.health import HealthSnapshot


@dataclass(frozen=True)
class _Sample:
    at: float
    counts: dict[str, tuple[int, int]]  # camera -> (detections due, detections run) so far
    backlog: int  # frames waiting for a worker


class DueWindow:
    """Fed every pass with the cameras' health (cumulative counts); answers what was due and
    what ran over the last ``window_s`` seconds (the oldest sample kept is at most one pass
    older than that)."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._samples: deque[_Sample] = deque()

    def observe(self, cameras: list[HealthSnapshot], now: float, backlog: int = 0) -> None:
        """``backlog``: frames waiting for a worker now."""
        # A failed detector call is not a missing core: the detector has its own problem.
        counts = {
            h.camera_id: (h.detections_due - h.detector_errors, h.detections_run) for h in cameras
        }
        self._samples.append(_Sample(now, counts, backlog))
        while len(self._samples) > 2 and self._samples[1].at <= now - self.window_s:
            self._samples.popleft()

    @property
    def span_s(self) -> float:
        """Seconds between the oldest and the newest sample (0 with fewer than two)."""
        return self._samples[-1].at - self._samples[0].at if self._samples else 0.0

    def counts(self) -> dict[str, tuple[int, int]]:
        """Per camera of the newest sample, (due, run) over the span (a camera new in it: 0);
        empty with fewer than two samples."""
        if len(self._samples) < 2:
            return {}
        first, last = self._samples[0], self._samples[-1]
        deltas = {}
        for camera, (due, run) in last.counts.items():
            due0, run0 = first.counts.get(camera, (due, run))
            deltas[camera] = (due - due0, run - run0)
        return deltas

    def least_backlog(self) -> int:
        """The fewest frames waiting at any pass of the window (a standing queue, not a burst)."""
        return min((s.backlog for s in self._samples), default=0)
