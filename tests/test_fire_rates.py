"""The fire check's extra frames: which sampled frames are full and which feed the fire check
alone (:mod:`stairwatch.cadence`), how the slots, the worker, the file reader and ``stairwatch
eval`` carry them, and the check deciding over time the same way at 2, 4 and 6 frames a second."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from alerts.params import RuleParams, SmokeFireParams
from alerts.rules import smoke_fire
from stairwatch.cadence import FrameCadence
from stairwatch.evaluation.runner import EvalOptions, evaluate
from stairwatch.evaluation.sidecar import find_clips
from stairwatch.pipeline import CameraPipeline, PipelineStep
from stairwatch.runtime.health import CameraHealth
from stairwatch.runtime.pending import PendingFrames
from stairwatch.runtime.readers import FileReader, FrameIntake
from stairwatch.runtime.worker import CameraLane, InferenceWorker
from streams.frame import Frame
from tests.test_smoke_fire import FPS, _watch, flickering_flame, growing_flame, rising_smoke
from vision.detections import Detections
from vision.fire import FireKind
from vision.kinds import KindMapper
from vision.zones import Zone, ZoneKind

NAMES = ("ebike", "person")
SHED = Zone("spots", ZoneKind.SHED, ((0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)))
HALLWAY = Zone("hall", ZoneKind.NO_PARKING, ((0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)))


@pytest.mark.parametrize(
    ("detect_fps", "check_fps", "positions", "full"),
    [
        (2.0, None, [0.0, 0.5, 1.0], [True] * 3),
        (2.0, 4.0, [0.0, 0.25, 0.5, 0.75, 1.0], [True, False, True, False, True]),
        (2.0, 4.0, [0.0, 0.25, 0.4999, 0.75, 1.0001], [True, False, True, False, True]),  # PTS
        (2.0, 6.0, [k / 6 for k in range(7)], [True, False, False] * 2 + [True]),
        (2.0, 1.0, [0.0, 0.5, 1.0], [True] * 3),  # slower than detection: no extra frames
        (3.0, 8.0, [k / 8 for k in range(9)], [1, 0, 0, 1, 0, 1, 0, 0, 1]),  # due within 1/16 s
    ],
)
def test_frames_due_for_detection_are_full_the_rest_feed_the_fire_check(
    detect_fps: float, check_fps: float | None, positions: list[float], full: list[bool]
) -> None:
    cadence = FrameCadence(detect_fps, check_fps)
    assert cadence.sample_fps == max(detect_fps, check_fps or 0.0)
    assert [cadence.full(p) for p in positions] == [bool(f) for f in full]


@pytest.mark.parametrize(
    ("zones", "check_fps", "detect_fps", "wanted"),
    [
        ([SHED], 4.0, 2.0, 4.0),
        ([HALLWAY, SHED], 6.0, 2.0, 6.0),
        ([HALLWAY], 4.0, 2.0, None),  # no shed zone: the check does not run
        ([], 4.0, 2.0, None),
        ([SHED], 4.0, 5.0, None),  # detection is already faster
    ],
)
def test_only_cameras_with_a_shed_zone_get_extra_frames(
    zones: list[Zone], check_fps: float, detect_fps: float, wanted: float | None
) -> None:
    params = RuleParams(smoke_fire=SmokeFireParams(check_fps=check_fps))
    assert smoke_fire.check_fps(zones, params, detect_fps) == wanted


def frame(t: float, camera_id: str = "cam") -> Frame:
    return Frame(camera_id, np.zeros((36, 64, 3), np.uint8), t, t, round(t * 8))


@pytest.mark.parametrize(
    ("first", "second", "detect", "check_only", "dropped"),
    [
        ((True, False), (False, True), True, False, 1),  # a detection's turn is never lost
        ((False, True), (True, False), True, False, 0),  # a check frame gives way, uncounted
        ((False, True), (False, True), False, True, 0),
        ((False, False), (False, True), False, False, 1),  # a gated full frame stays full
    ],
)
def test_a_newer_frame_in_the_slot_keeps_the_older_ones_work(
    first: tuple[bool, bool],
    second: tuple[bool, bool],
    detect: bool,
    check_only: bool,
    dropped: int,
) -> None:
    pending = PendingFrames()
    pending.put(frame(1.0), first[0], check_only=first[1])
    pending.put(frame(1.25), second[0], check_only=second[1])
    (item,) = pending.take(4, 0.0, 0.0)
    assert (item.frame.timestamp, item.detect, item.check_only) == (1.25, detect, check_only)
    assert pending.dropped("cam") == dropped


class CountingDetector:
    def __init__(self) -> None:
        self.frames = 0

    def detect(self, frames: Sequence[NDArray[np.uint8]]) -> list[Detections]:
        self.frames += len(frames)
        return [Detections.empty(NAMES) for _ in frames]


class StepSink:
    def __init__(self) -> None:
        self.steps: list[tuple[float, bool]] = []

    def handle(self, frame: Frame, step: PipelineStep) -> None:
        self.steps.append((frame.timestamp, step.detected))

    def finish(self, changes: list[Any]) -> None:
        pass


def test_the_worker_steps_check_frames_without_the_detector() -> None:
    detector, sink, health = CountingDetector(), StepSink(), CameraHealth("cam")
    pipeline = CameraPipeline("cam", [SHED], RuleParams(), KindMapper(NAMES, {}))
    pending = PendingFrames()
    worker = InferenceWorker(detector, {"cam": CameraLane(pipeline, sink, health)}, pending)
    for k in range(8):
        pending.put(frame(k / 4), detect=k % 2 == 0, check_only=k % 2 == 1)
        items = pending.take(1, 0.0, 0.0)
        worker.run_batch(items)  # as the worker's thread does, without starting it
        pending.release(items)
    assert detector.frames == 4
    assert [t for t, _ in sink.steps] == [k / 4 for k in range(8)]
    assert health.snapshot(0).frames_stepped == 4  # only full frames count as stepped


@pytest.fixture(scope="module")
def shed_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 s clip at 8 fps of a grey room, with a sidecar naming a shed zone and no event."""
    folder = tmp_path_factory.mktemp("rates")
    path = folder / "shed.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 8, (64, 36))
    for i in range(24):
        writer.write(np.full((36, 64, 3), 100 + i, np.uint8))
    writer.release()
    sidecar = {
        "camera": {"kind": "test"},
        "zones": [{"name": "spots", "kind": "shed", "polygon": [list(p) for p in SHED.polygon]}],
        "events": [],
    }
    (folder / "shed.json").write_text(json.dumps(sidecar))
    return path


class CountingIntake(FrameIntake):
    def __init__(self) -> None:
        super().__init__(PendingFrames(), CameraHealth("cam"), None, lambda: False)
        self.accepted: list[tuple[float, bool]] = []

    def accept(self, frame: Frame, full: bool = True) -> None:
        self.accepted.append((frame.position_s, full))


@pytest.mark.parametrize(("check_fps", "full", "checks"), [(None, 6, 0), (4.0, 6, 6)])
def test_the_file_reader_adds_check_frames_between_detections(
    shed_clip: Path, check_fps: float | None, full: int, checks: int
) -> None:
    intake, health = CountingIntake(), CameraHealth("cam")
    reader = FileReader("cam", shed_clip, 2.0, False, intake, health, None, check_fps)
    reader.start()
    deadline = time.monotonic() + 8
    while health.snapshot(0).last_error != "end of file" and time.monotonic() < deadline:
        time.sleep(0.1)
    reader.stop()
    assert sum(f for _, f in intake.accepted) == full
    assert sum(not f for _, f in intake.accepted) == checks


@pytest.mark.parametrize(("check_fps", "checks"), [(4.0, 6), (6.0, 12), (2.0, 0)])
def test_eval_delivers_the_check_frames_the_service_reads(
    shed_clip: Path, monkeypatch: pytest.MonkeyPatch, check_fps: float, checks: int
) -> None:
    seen: list[float] = []
    real = CameraPipeline.check_fire

    def spy(self: CameraPipeline, frame: Frame) -> PipelineStep:
        seen.append(frame.position_s)
        return real(self, frame)

    monkeypatch.setattr(CameraPipeline, "check_fire", spy)
    detector = CountingDetector()
    detector.class_names = NAMES  # type: ignore[attr-defined]
    rules = RuleParams(smoke_fire=SmokeFireParams(check_fps=check_fps))
    options = EvalOptions(model_name="counting", rules=rules, progress=False, motion_gate=False)
    run = evaluate(find_clips(shed_clip.parent), detector, options)  # type: ignore[arg-type]
    assert (detector.frames, len(seen)) == (6, checks)
    assert run.result.overall.fp == 0


@pytest.mark.parametrize(
    ("draw", "fps", "kind", "earliest", "latest"),
    [
        (flickering_flame, 2.0, FireKind.FLAME, 0.95, 2.0),
        (flickering_flame, 4.0, FireKind.FLAME, 0.95, 2.0),
        (flickering_flame, 6.0, FireKind.FLAME, 0.95, 2.0),
        (growing_flame, 2.0, FireKind.FLAME, 0.95, 2.0),
        (growing_flame, 4.0, FireKind.FLAME, 0.95, 2.0),
        (rising_smoke, 2.0, FireKind.SMOKE, 4.5, 5.0),  # haze held 0.5 s: two frames at 2/s
        (rising_smoke, 4.0, FireKind.SMOKE, 4.5, 5.0),  # ... three at 4/s
        (rising_smoke, 6.0, FireKind.SMOKE, 4.5, 5.0),
    ],
)
def test_the_check_takes_the_same_time_at_any_rate(
    draw: Any, fps: float, kind: FireKind, earliest: float, latest: float
) -> None:
    """Lit over ``min_lit_s`` (1 s), haze held for ``smoke_confirm_s``: seconds, not frames."""
    first = next(t for t, k in _watch(draw, 7.0, fps=fps) if k is kind)
    assert earliest <= first <= latest
    assert FPS == 2.0  # the drawings' own frame numbering
