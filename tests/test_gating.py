"""The motion gate as the service and ``stairwatch eval`` put it in front of the detector: a real
tiny ONNX model on onnxruntime, generated clips, the real evaluator."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from stairwatch.config import MotionConfig
from stairwatch.evaluation.runner import EvalOptions, evaluate
from stairwatch.evaluation.sidecar import find_clips
from stairwatch.gating import motion_gate, should_detect
from streams.frame import Frame
from tests.onnx_models import ultralytics_constant_model
from vision.detections import Detections
from vision.detector import OnnxDetector, load_detector

NAMES = ["ebike", "person"]


class CountingDetector:
    """The real detector, counting the frames it is asked about."""

    def __init__(self, inner: OnnxDetector):
        self._inner = inner
        self.frames = 0

    @property
    def class_names(self) -> tuple[str, ...]:
        return self._inner.class_names

    def detect(self, frames: Sequence[NDArray[np.uint8]]) -> list[Detections]:
        self.frames += len(frames)
        return self._inner.detect(frames)


def write_clip(path: Path, moving: bool, seconds: float = 8.0, fps: int = 10) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (320, 240))
    background = np.random.default_rng(0).integers(60, 200, (240, 320, 3), dtype=np.uint8)
    for i in range(int(seconds * fps)):
        frame = background.copy()
        if moving:
            x = (12 * i) % 260
            frame[80:160, x : x + 50] = 255
        writer.write(frame)
    writer.release()


@pytest.fixture
def clips(tmp_path: Path) -> Path:
    folder = tmp_path / "clips"
    folder.mkdir()
    for name, moving in (("still", False), ("moving", True)):
        write_clip(folder / f"{name}.mp4", moving)
        (folder / f"{name}.json").write_text(json.dumps({"events": []}))
    return folder


@pytest.fixture
def empty_detector(tmp_path: Path) -> OnnxDetector:
    return load_detector(ultralytics_constant_model(tmp_path / "m.onnx", [], [], [], NAMES))


@pytest.mark.parametrize(
    ("clip", "gate", "expect_fewer"),
    [("still", True, True), ("still", False, False), ("moving", True, False)],
)
def test_eval_skips_the_detector_only_on_still_clips_with_the_gate(
    clips: Path, empty_detector: OnnxDetector, clip: str, gate: bool, expect_fewer: bool
) -> None:
    (labeled,) = [c for c in find_clips(clips) if c.video.stem == clip]
    counting = CountingDetector(empty_detector)
    options = EvalOptions(model_name="m", detect_fps=2.0, progress=False, motion_gate=gate)
    outcome = evaluate([labeled], counting, options)
    frames = outcome.result.speed.frames
    assert frames >= 14
    assert (counting.frames < frames / 2) is expect_fewer


@pytest.mark.parametrize(
    ("config", "live_tracks", "expected"),
    [
        (MotionConfig(enabled=False), False, [True, True, True]),
        (MotionConfig(), False, [True, False, False]),  # first frame, then nothing moves
        (MotionConfig(), True, [True, True, True]),  # tracked objects stay under watch
        (MotionConfig(mask=[[(0, 0), (1, 0), (1, 1), (0, 1)]]), False, [True, False, False]),
    ],
    ids=["off", "still", "live-tracks", "masked"],
)
def test_should_detect(config: MotionConfig, live_tracks: bool, expected: list[bool]) -> None:
    gate = motion_gate(config)
    image = np.full((120, 160, 3), 90, np.uint8)
    frames = [Frame("c", image, float(t), float(t), t) for t in range(3)]
    assert [should_detect(gate, f, live_tracks) for f in frames] == expected


@pytest.mark.parametrize(
    ("scores", "live"),
    [
        ([0.2], False),  # faint and new: not an object yet, the gate may skip
        ([0.5], True),
        ([0.5, 0.2], True),  # a faint box extends the track
        ([0.5, 0.05], False),  # below the tracker's floor: lost
        ([], False),
    ],
)
def test_only_tracked_objects_hold_the_gate_open(scores: list[float], live: bool) -> None:
    from alerts.params import RuleParams
    from stairwatch.pipeline import CameraPipeline
    from vision.bytetrack import ByteTrackConfig
    from vision.kinds import KindMapper

    pipeline = CameraPipeline(
        "cam",
        [],
        RuleParams(),
        KindMapper(tuple(NAMES), {}),
        tracking=ByteTrackConfig.following(0.35, 2.0, low_confidence=0.15),
    )
    image = np.zeros((90, 160, 3), np.uint8)
    for i, score in enumerate(scores):
        found = Detections(
            xyxy=np.array([[40, 20, 90, 80]], np.float32),
            confidence=np.array([score], np.float32),
            class_id=np.array([0], np.int32),
            class_names=tuple(NAMES),
        )
        pipeline.process(Frame("cam", image, i * 0.5, i * 0.5, i), found)
    assert pipeline.has_live_tracks is live
