"""Even degradation under overload: when more detections are due than the box runs, each
camera's reader decodes only an even share of its due frames (a :class:`DecodePlan`), so the
cores its decoding frees go to inference instead of to frames dropped later, unevenly.

Pure bookkeeping on the monotonic clock, fed every supervisor pass (about a second) with the
cameras' health over a short window, much shorter than the capacity problem's minute: the plans
must follow the load within seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from stairwatch.runtime.due_window import DueWindow
from stairwatch.runtime.health import HealthSnapshot
from streams.decode_plan import FULL_PLAN, DecodePlan

BUDGET_WINDOW_S = 5.0
BUDGET_MIN_SPAN_S = 3.0  # judged over at least this long
BUDGET_MIN_DUE = 10  # fewer due detections in the window than this: too few to judge
# Frames handed to inference per detection it ran: more than it can run keeps it busy and lets
# the plans grow when decoding less freed cores for it (at 1.15 the plans and the detections
# run fed each other down: 64 moving cameras ran 41 % of their due detections against 67 %
# with no plan, the cores half idle; at 1.5, 73 %); but while a standing queue of more than
# BACKLOG_MAX frames waits for the workers (the fewest waiting at any pass of the window: not
# a burst of key frames), exactly what it runs, so the queue stops growing (frame age).
# Plans only while the box runs under a quarter of what is due, where the readers take the
# cores from inference (quiet machine, 128 moving cameras: 6 % of the due detections run with
# no plan, 20 % with one). Above that a plan lost more detections than the decoding it saved
# (64 moving cameras: 67 % with no plan, 64 % with; with the rectangular model 89 % against
# 64 %), and at half it once held itself engaged: a plan's share keeps what runs under it.
PLAN_BELOW = 0.25
OVERSUBSCRIBE = 1.5
UNDERSUBSCRIBE = 1.0
BACKLOG_MAX = 8  # two batches of four


@dataclass(frozen=True)
class CameraDemand:
    """Over the window: detections due (those a plan left out included) and run, per second."""

    camera_id: str
    due_per_s: float
    run_per_s: float


def decode_plans(demands: list[CameraDemand], backlog: int = 0) -> dict[str, DecodePlan]:
    """Every camera's plan: all decode in full while the box runs what is due, or a quarter
    of it at least (:data:`PLAN_BELOW`); else the cameras with something due (motion or
    tracked objects) share what it runs, evenly, and the quiet ones decode key frames alone
    (the motion gate still sees a picture a group).
    ``backlog``: frames waiting for a worker all along the window."""
    due = sum(d.due_per_s for d in demands)
    ran = sum(d.run_per_s for d in demands)
    budget = (OVERSUBSCRIBE if backlog <= BACKLOG_MAX else UNDERSUBSCRIBE) * ran
    if due <= budget or ran >= PLAN_BELOW * due:
        return {d.camera_id: FULL_PLAN for d in demands}
    share = round(budget / due, 3)
    return {d.camera_id: DecodePlan(share if d.due_per_s > 0 else 0.0) for d in demands}


class DecodeBudget:
    """Fed with the cameras' health every pass; answers each camera's :class:`DecodePlan`.
    Not thread-safe (the supervisor's thread feeds and reads it)."""

    def __init__(
        self,
        window_s: float = BUDGET_WINDOW_S,
        min_span_s: float = BUDGET_MIN_SPAN_S,
        min_due: int = BUDGET_MIN_DUE,
    ):
        self.window_s = window_s
        self.min_span_s = min(min_span_s, window_s)
        self.min_due = min_due
        self._window = DueWindow(window_s)

    def observe(
        self, cameras: list[HealthSnapshot], now: float, backlog: int = 0
    ) -> dict[str, DecodePlan]:
        """Each camera's plan from now on; ``backlog``: frames waiting for a worker now."""
        self._window.observe(cameras, now, backlog)
        demands = self._demands()
        if demands is None:
            return {h.camera_id: FULL_PLAN for h in cameras}
        return decode_plans(demands, self._window.least_backlog())

    def _demands(self) -> list[CameraDemand] | None:
        span = self._window.span_s
        if span < self.min_span_s:
            return None
        demands = [
            CameraDemand(camera, due / span, run / span)
            for camera, (due, run) in self._window.counts().items()
        ]
        if sum(d.due_per_s for d in demands) * span < self.min_due:
            return None
        return demands
