"""Health problems: what is wrong with the running service right now, in words, for the
dashboard's ``/api/health`` and the metrics. Pure functions over counters, plus one small piece
of state (:class:`StallWatch`) fed on the monotonic clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from apscheduler.schedulers.base import STATE_RUNNING, BaseScheduler

from stairwatch.media.clips import ClipStats
from stairwatch.runtime.health import CameraState, HealthSnapshot
from stairwatch.runtime.recorder import RecorderStats
from stairwatch.runtime.threads import ThreadHealth

RECENT_CRASH_S = 300.0  # a thread restarted this recently is still reported
ENCODER_STUCK_S = 120.0  # a clip waiting this long for the encoder: it is stuck
DELIVERY_FAILING_S = 300.0  # a channel with no delivery through for this long, only failures


@dataclass(frozen=True)
class HealthProblem:
    """``subject`` (``camera lift-1``, ``thread inference-1``, ``recorder``) and what is wrong."""

    subject: str
    message: str


class StallWatch:
    """Notices online cameras whose frames stop going through the pipeline (a dead or stuck
    worker, a failing detector): detections no longer rising while frames still arrive."""

    def __init__(self, stall_after_s: float):
        self.stall_after_s = stall_after_s
        self._last_rise: dict[str, tuple[int, float]] = {}

    def stalled_for(self, health: HealthSnapshot, now: float) -> float | None:
        """Seconds the camera has been online with no frame stepped, once past
        ``stall_after_s``; else None. Call it every so often with ``time.monotonic()``."""
        count, since = self._last_rise.get(health.camera_id, (-1, now))
        if health.state is not CameraState.ONLINE or health.frames_stepped != count:
            self._last_rise[health.camera_id] = (health.frames_stepped, now)
            return None
        return now - since if now - since >= self.stall_after_s else None


class RecentRise:
    """When each counter (by key) last rose, on the monotonic clock: a failure counter that rose
    within the last ``window_s`` means the failure is still going on."""

    def __init__(self, window_s: float):
        self.window_s = window_s
        self._seen: dict[str, tuple[int, float | None]] = {}

    def recent(self, key: str, count: int, now: float) -> bool:
        """Record ``count`` at ``now``; whether it rose in the last ``window_s`` seconds. The
        first sighting of a counter sets its baseline (it is not a rise)."""
        seen, rose_at = self._seen.get(key, (count, None))
        if count > seen:
            rose_at = now
        self._seen[key] = (count, rose_at)
        return rose_at is not None and now - rose_at < self.window_s


def failing_steps(
    cameras: list[HealthSnapshot], rises: RecentRise, now: float
) -> list[HealthProblem]:
    """Cameras whose detector calls or pipeline steps failed within ``rises.window_s``."""
    found = []
    for h in cameras:
        for key, count, what in (
            ("detector", h.detector_errors, "the detector failed"),
            ("pipeline", h.pipeline_errors, "the pipeline step failed (tracks and rules reset)"),
        ):
            if rises.recent(f"{h.camera_id}:{key}", count, now):
                found.append(
                    HealthProblem(
                        f"camera {h.camera_id}",
                        f"{what} {count} time(s) so far, lately too; last error: {h.last_error}",
                    )
                )
    return found


def find_problems(
    cameras: list[HealthSnapshot],
    stalled: dict[str, float],
    threads: list[ThreadHealth],
    recorder: RecorderStats,
    now: float,
) -> list[HealthProblem]:
    """Every current problem; ``stalled`` maps camera ids to seconds stalled, ``now`` is
    ``time.monotonic()``."""
    found = [p for h in cameras if (p := _camera_problem(h, stalled.get(h.camera_id)))]
    found += [
        HealthProblem(
            f"thread {t.name}",
            f"died and was restarted ({t.restarts} restart(s)); last error: {t.last_crash}",
        )
        for t in threads
        if t.crashed_at is not None and now - t.crashed_at < RECENT_CRASH_S
    ]
    return found + _recorder_problems(recorder)


def _camera_problem(health: HealthSnapshot, stalled_s: float | None) -> HealthProblem | None:
    subject = f"camera {health.camera_id}"
    why = f" (last error: {health.last_error})" if health.last_error else ""
    if health.state is CameraState.OFFLINE:
        return HealthProblem(subject, f"offline{why}")
    if stalled_s is not None:
        return HealthProblem(
            subject, f"online, but no frame went through detection for {stalled_s:.0f} s{why}"
        )
    return None


def _recorder_problems(stats: RecorderStats) -> list[HealthProblem]:
    found = []
    if stats.retrying_s > 0:
        found.append(
            HealthProblem(
                "recorder",
                f"cannot write to the store for {stats.retrying_s:.0f} s "
                f"({stats.queued} change(s) waiting): {stats.last_error}",
            )
        )
    if stats.dropped:
        found.append(
            HealthProblem("recorder", f"{stats.dropped} event change(s) dropped: queue full")
        )
    if stats.failed:
        found.append(
            HealthProblem(
                "recorder", f"{stats.failed} event change(s) not stored: {stats.last_error}"
            )
        )
    return found


def clip_problems(stats: ClipStats, failed_lately: bool) -> list[HealthProblem]:
    """The clip encoder stuck (a clip waiting over :data:`ENCODER_STUCK_S`) or failing."""
    found = []
    if stats.oldest_wait_s >= ENCODER_STUCK_S:
        found.append(
            HealthProblem(
                "clip encoder",
                f"stuck: {stats.waiting} clip(s) waiting, the oldest for "
                f"{stats.oldest_wait_s:.0f} s",
            )
        )
    if failed_lately:
        found.append(
            HealthProblem(
                "clip encoder", f"{stats.failed} clip(s) not kept; last error: {stats.last_error}"
            )
        )
    return found


def scheduler_problem(subject: str, scheduler: BaseScheduler | None) -> HealthProblem | None:
    """A started APScheduler scheduler that is no longer running (shut down, or its thread
    died): its jobs (digests, escalations, summaries, retention) no longer run."""
    if scheduler is None:
        return None
    thread = getattr(scheduler, "_thread", None)  # BackgroundScheduler's; others have none
    thread_dead = thread is not None and not thread.is_alive()
    if scheduler.state == STATE_RUNNING and not thread_dead:
        return None
    return HealthProblem(subject, "scheduler stopped: its jobs no longer run")


class DeliveryWatch:
    """Per notification channel: since when its dispatcher has been busy in one pass, and since
    when it has only failed (no delivery through): a problem after ``failing_after_s``, until a
    delivery goes through or no attempt has failed for ``over_after_s`` (longer than the retry
    backoff's cap). Monotonic clock; thread-safe (each channel's dispatcher writes, the
    supervisor reads)."""

    def __init__(
        self,
        stuck_after_s: float,
        failing_after_s: float = DELIVERY_FAILING_S,
        over_after_s: float = 2 * DELIVERY_FAILING_S,
    ):
        self.stuck_after_s = stuck_after_s
        self.failing_after_s = failing_after_s
        self.over_after_s = over_after_s
        self._lock = threading.Lock()
        self._busy_since: dict[str, float] = {}
        self._failing: dict[str, tuple[float, float]] = {}  # first and last failure

    def pass_started(self, channel: str, now: float) -> None:
        with self._lock:
            self._busy_since[channel] = now

    def pass_done(self, channel: str, delivered: int, failed: int, now: float) -> None:
        """``failed``: attempts that failed (to be retried, or given up)."""
        with self._lock:
            self._busy_since.pop(channel, None)
            if delivered:
                self._failing.pop(channel, None)
            elif failed:
                first, _ = self._failing.get(channel, (now, now))
                self._failing[channel] = (first, now)

    def problems(self, now: float) -> list[HealthProblem]:
        with self._lock:
            busy, failing = dict(self._busy_since), dict(self._failing)
        found = [
            HealthProblem(
                f"notify {channel}",
                f"stuck: one delivery pass has been running for {now - since:.0f} s, longer "
                "than its timeouts allow",
            )
            for channel, since in sorted(busy.items())
            if now - since >= self.stuck_after_s
        ]
        found += [
            HealthProblem(
                f"notify {channel}",
                f"deliveries failing for {(now - first) / 60:.0f} min, none went through",
            )
            for channel, (first, last) in sorted(failing.items())
            if now - first >= self.failing_after_s and now - last < self.over_after_s
        ]
        return found
