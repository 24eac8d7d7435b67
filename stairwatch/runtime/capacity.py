"""Is the box keeping up? Each camera's effective detection rate and share of its due
detections over a sliding window, and one ``capacity`` problem while the box cannot run what
is due (instead of thousands of silent drops). Pure bookkeeping on the monotonic clock."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from stairwatch.runtime.due_window import DueWindow
from stairwatch.runtime.health import HealthSnapshot
from stairwatch.runtime.problems import HealthProblem

log = logging.getLogger(__name__)

CAPACITY_WINDOW_S = 60.0
CAPACITY_MIN_SHARE = 0.95  # below this share of due detections run, the box is over capacity
CAPACITY_MIN_DUE = 20  # fewer due detections in the window than this: too few to judge
CAPACITY_MIN_SPAN_S = 30.0  # judged over at least this long: not on the start's first batches


@dataclass(frozen=True)
class CameraRate:
    """Over the last window: detections run per second, and the share of the due ones that
    ran (None when none was due)."""

    camera_id: str
    detections_per_s: float
    due_share: float | None


class CapacityWatch:
    """Fed every second or so with the cameras' health; answers per-camera rates and whether
    the box is over capacity. Not thread-safe (the supervisor's thread feeds and reads it)."""

    def __init__(
        self,
        window_s: float = CAPACITY_WINDOW_S,
        min_share: float = CAPACITY_MIN_SHARE,
        min_due: int = CAPACITY_MIN_DUE,
        min_span_s: float = CAPACITY_MIN_SPAN_S,
    ):
        self.window_s = window_s
        self.min_share = min_share
        self.min_due = min_due
        self.min_span_s = min(min_span_s, window_s)
        self._window = DueWindow(window_s)
        self._over = False

    def observe(self, cameras: list[HealthSnapshot], now: float) -> None:
        self._window.observe(cameras, now)
        over = self._over_capacity()
        if over != self._over:
            self._over = over
            if over:
                log.warning("over capacity: %s", self._message())
            else:
                log.info("capacity: every due detection runs again")

    def rates(self) -> dict[str, CameraRate]:
        span = self._window.span_s
        return {
            camera: CameraRate(
                camera,
                round(run / span, 3) if span > 0 else 0.0,
                round(min(1.0, run / due), 4) if due > 0 else None,
            )
            for camera, (due, run) in self._window.counts().items()
        }

    def problem(self) -> HealthProblem | None:
        return HealthProblem("capacity", self._message()) if self._over else None

    def _totals(self) -> tuple[int, int]:
        counts = self._window.counts().values()
        return sum(due for due, _ in counts), sum(run for _, run in counts)

    def _over_capacity(self) -> bool:
        if self._window.span_s < self.min_span_s:
            return False
        due, run = self._totals()
        return due >= self.min_due and run < self.min_share * due

    def _message(self) -> str:
        due, run = self._totals()
        shares = [r.due_share for r in self.rates().values() if r.due_share is not None]
        worst = min(shares, default=1.0)
        return (
            f"the box ran {run} of {due} due detections ({run / max(due, 1):.0%}) in the last "
            f"{self.window_s:.0f} s; the worst camera got {worst:.0%} of its own: fewer "
            "cameras, a lower detect_fps, or a faster model"
        )
