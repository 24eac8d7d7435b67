"""The service's self-care, in process: supervised threads, the steady rule clock, the recorder,
a failing pipeline step, the restart policy."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from alerts.errors import StoreError
from alerts.events import ChangeKind, EventChange, EventRecord, EventType
from alerts.params import RuleParams
from alerts.store import EventStore
from stairwatch.media.clips import ClipStats
from stairwatch.pipeline import CameraPipeline, PipelineStep
from stairwatch.runtime.health import CameraHealth
from stairwatch.runtime.pending import PendingFrames
from stairwatch.runtime.problems import DeliveryWatch, RecentRise, clip_problems, scheduler_problem
from stairwatch.runtime.readers import StreamReaderThread
from stairwatch.runtime.recorder import Recorder, RecordJob
from stairwatch.runtime.restart import (
    STARTUP_MARGIN_S,
    EndedAtStart,
    RestartQuiet,
    end_open_events,
)
from stairwatch.runtime.threads import GuardedThread, Supervisor
from stairwatch.runtime.worker import CameraLane, InferenceWorker
from streams.frame import Frame
from streams.live_source import LiveSource
from tests.media_helpers import CAMERA, raise_event
from tests.onnx_models import ultralytics_constant_model
from tests.records import parked_record
from vision.detector import load_detector
from vision.kinds import KindMapper
from vision.zones import Zone, ZoneKind


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


class ChangeSink:
    """Keeps what the worker hands over: every change, stepped or from a reset."""

    def __init__(self) -> None:
        self.changes: list[EventChange] = []

    def handle(self, frame: Frame, step: PipelineStep) -> None:
        self.changes += step.changes

    def finish(self, changes: list[EventChange]) -> None:
        self.changes += changes


def test_a_failing_step_is_counted_resets_its_camera_and_the_camera_goes_on(
    tmp_path: Path,
) -> None:
    """A frame from before the last one (a clock stepped back) makes the rule engine raise: the
    worker counts it, ends the open event at the last good frame and starts that camera's
    tracks and rules afresh; the next frames go through and find the e-bike again."""
    model = ultralytics_constant_model(
        tmp_path / "ebike.onnx", [(120, 160, 200, 245)], [0], [0.9], ["ebike", "person"]
    )
    car = Zone("car", ZoneKind.ELEVATOR, ((0, 0), (1, 0), (1, 1), (0, 1)))
    pipeline = CameraPipeline("lift", [car], RuleParams(), KindMapper(("ebike", "person"), {}))
    sink, health, pending = ChangeSink(), CameraHealth("lift"), PendingFrames()
    lane = CameraLane(pipeline=pipeline, sink=sink, health=health)
    worker = InferenceWorker(load_detector(model), {"lift": lane}, pending)
    image = np.full((180, 320, 3), 90, np.uint8)
    times = [i * 0.2 for i in range(11)] + [1.0] + [3.0 + i * 0.2 for i in range(11)]
    for index, ts in enumerate(times):
        pending.put(Frame("lift", image, ts, ts, index), True)
        items = pending.take(1, 0.0, 0.0)
        worker.run_batch(items)
        pending.release(items)
    kinds = [change.kind for change in sink.changes]
    assert kinds == [ChangeKind.RAISED, ChangeKind.ENDED, ChangeKind.RAISED]
    assert sink.changes[1].event.end_ts == 2.0  # the last good frame
    snapshot = health.snapshot(0)
    assert (snapshot.pipeline_errors, snapshot.frames_stepped) == (1, len(times) - 1)
    assert "time went back" in (snapshot.last_error or "")


def _ended(until: float, zone: str | None = "car") -> EndedAtStart:
    return EndedAtStart("lift", EventType.EBIKE_IN_ELEVATOR, zone, until)


def _found_again(zone: str = "car") -> EventRecord:
    return parked_record("k", "lift", zone, 100.0, EventType.EBIKE_IN_ELEVATOR)


@pytest.mark.parametrize(
    ("ended", "found", "now", "quieted"),
    [
        ([_ended(60.0)], [_found_again()], 30.0, [True]),
        ([_ended(60.0)], [_found_again(), _found_again()], 30.0, [True, False]),  # one for one
        ([_ended(60.0), _ended(60.0)], [_found_again(), _found_again()], 30.0, [True, True]),
        ([_ended(60.0)], [_found_again()], 60.0, [False]),  # the window is over
        ([_ended(60.0)], [_found_again("landing")], 30.0, [False]),  # another zone
        ([], [_found_again()], 30.0, [False]),
    ],
    ids=["within", "only-one", "two-for-two", "after", "other-zone", "nothing-ended"],
)
def test_the_restart_quiet_window(
    ended: list[EndedAtStart], found: list[EventRecord], now: float, quieted: list[bool]
) -> None:
    quiet = RestartQuiet(ended)
    assert [quiet.absorbs(event, now) for event in found] == quieted


def test_open_events_are_ended_at_start_and_quiet_their_type_for_its_window(
    tmp_path: Path,
) -> None:
    with EventStore.open("sqlite://", tmp_path / "media") as store:
        open_event = raise_event(store, 1000.0, type_=EventType.EBIKE_PARKED)
        raise_event(store, 900.0, end_ts=950.0)
        windows = {CAMERA.id: {kind: 20.0 for kind in EventType}}
        quiet = end_open_events(store, windows, now=2000.0)
        ended = store.get(open_event.id)
        assert ended.end_ts == 2000.0 and store.unended([CAMERA.id]) == []
        again = parked_record("k2", CAMERA.id, "landing", 2001.0, EventType.EBIKE_PARKED)
        deadline = time.monotonic() + 20.0 + STARTUP_MARGIN_S
        assert not quiet.absorbs(again, deadline + 1.0)
        assert quiet.absorbs(again, deadline - 1.0)


def test_a_crashed_stream_reader_is_revived_by_the_supervisor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug in a live camera's reader thread ends it; the runtime's supervisor starts it again.
    The crash is injected (monkeypatched read loop): no real input makes the reader raise."""
    calls: list[int] = []
    running = threading.Event()

    def read_once_then_idle(source: LiveSource) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("decoder bug at rtsp://admin:secret@cam/1")
        running.set()
        source._stop.wait()

    monkeypatch.setattr(LiveSource, "_read_until_stopped", read_once_then_idle)
    source = LiveSource("rtsp://admin:secret@cam/1", "lift")
    reader = StreamReaderThread(source, "detect")
    source.start()
    assert _eventually(lambda: reader.dead)
    assert Supervisor(lambda: [reader]).check() == 1 and running.wait(5)
    health = reader.health()
    assert (health.alive, health.restarts) == (True, 1) and not reader.dead
    assert "decoder bug" in (health.last_crash or "") and "secret" not in (health.last_crash or "")
    assert "reader crashed" in (source.health().last_error or "")
    source.stop()
    assert not reader.dead  # stopped, not dead


def _eventually(done: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.mark.parametrize(
    ("steps", "now", "expected"),
    [
        ([("start", 0.0)], 59.0, []),
        ([("start", 0.0)], 60.0, ["notify webhook: stuck"]),  # longer than the lease
        ([("start", 0.0), ("done", 1.0, 0, 1)], 299.0, []),
        ([("start", 0.0), ("done", 1.0, 0, 1)], 301.0, ["notify webhook: deliveries failing"]),
        ([("done", 1.0, 0, 1), ("done", 200.0, 1, 0)], 400.0, []),  # one went through
        ([("done", 1.0, 0, 0)], 400.0, []),  # nothing to send is not failing
        ([("done", 1.0, 0, 1), ("done", 250.0, 0, 1)], 849.0, ["notify webhook: deliveries"]),
        ([("done", 1.0, 0, 1), ("done", 250.0, 0, 1)], 851.0, []),  # no failure for 10 min
    ],
    ids=["busy", "stuck", "failing-briefly", "failing", "recovered", "idle", "still", "over"],
)
def test_stuck_and_failing_deliveries_are_problems(
    steps: list[tuple[Any, ...]], now: float, expected: list[str]
) -> None:
    watch = DeliveryWatch(stuck_after_s=60.0, failing_after_s=300.0, over_after_s=600.0)
    for step in steps:
        if step[0] == "start":
            watch.pass_started("webhook", step[1])
        else:
            watch.pass_done("webhook", step[2], step[3], step[1])
    found = [f"{p.subject}: {p.message}" for p in watch.problems(now)]
    assert len(found) == len(expected)
    assert all(f.startswith(e) for f, e in zip(found, expected, strict=True))


@pytest.mark.parametrize(
    ("stats", "failed_lately", "expected"),
    [
        (ClipStats(0, 0.0, 3, 0, None), False, []),
        (ClipStats(2, 119.0, 3, 0, None), False, []),
        (ClipStats(2, 120.0, 3, 0, None), False, ["stuck: 2 clip(s) waiting"]),
        (ClipStats(0, 0.0, 3, 1, "disk full"), True, ["1 clip(s) not kept; last error: disk"]),
        (ClipStats(0, 0.0, 3, 1, "disk full"), False, []),  # an old failure
    ],
)
def test_a_stuck_or_failing_clip_encoder_is_a_problem(
    stats: ClipStats, failed_lately: bool, expected: list[str]
) -> None:
    found = [p.message for p in clip_problems(stats, failed_lately)]
    assert len(found) == len(expected)
    assert all(f.startswith(e) for f, e in zip(found, expected, strict=True))


def test_a_stopped_scheduler_is_a_problem() -> None:
    scheduler = BackgroundScheduler()
    scheduler.start()
    assert scheduler_problem("digests", scheduler) is None
    scheduler.shutdown(wait=True)
    problem = scheduler_problem("digests", scheduler)
    assert problem is not None and "stopped" in problem.message
    assert scheduler_problem("digests", None) is None  # never started: nothing to run


def test_recent_rise_reports_a_counter_rising_within_its_window() -> None:
    rises = RecentRise(window_s=10.0)
    seen = [rises.recent("a", count, now) for count, now in [(5, 0.0), (5, 1.0), (6, 2.0),
                                                               (6, 11.9), (6, 12.0)]]  # fmt: skip
    assert seen == [False, False, True, True, False]
