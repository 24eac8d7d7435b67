"""The service's self-care, in process: supervised threads, the steady rule clock, the recorder."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from alerts.errors import StoreError
from stairwatch.runtime.recorder import Recorder, RecordJob
from stairwatch.runtime.threads import GuardedThread, Supervisor
from streams.frame import Frame


def test_the_supervisor_restarts_a_thread_that_raised_but_not_one_that_finished() -> None:
    runs: list[str] = []

    def crashing() -> None:
        runs.append("crash")
        if len(runs) == 1:
            raise RuntimeError("boom")

    crash, done = GuardedThread("crash", crashing), GuardedThread("done", lambda: None)
    crash.start(), done.start()
    crash.join(1), done.join(1)
    supervisor = Supervisor(lambda: [crash, done])
    assert supervisor.check() == 1
    crash.join(1)
    assert runs == ["crash", "crash"] and supervisor.check() == 0
    assert (crash.health().restarts, done.health().restarts) == (1, 0)
    assert "boom" in (crash.health().last_crash or "")


@pytest.mark.parametrize("step_back_s", [0.0, 3600.0])
def test_a_live_frame_runs_on_its_monotonic_clock(step_back_s: float) -> None:
    image = np.zeros((2, 2, 3), np.uint8)
    frame = Frame("a", image, 1_000_000.0 - step_back_s, 5.0, 1, monotonic_ts=50.0)
    assert frame.steady_ts == 50.0 and frame.wall_offset_s == 999_950.0 - step_back_s


def test_the_recorder_retries_a_store_error_and_counts_drops() -> None:
    attempts: list[float] = []
    stored = threading.Event()

    def flaky() -> None:
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise StoreError("database error: OperationalError: database is locked")
        stored.set()

    recorder = Recorder(capacity=1)
    recorder.start()
    assert recorder.submit(RecordJob(flaky, "raised"))
    assert stored.wait(5)
    recorder.stop()
    stats = recorder.stats()
    assert (stats.written, stats.failed, stats.queued, len(attempts)) == (1, 0, 0, 3)
    assert not recorder.submit(RecordJob(flaky, "late")) and recorder.stats().dropped == 1
