"""Reader threads on a real file played in real time: frames for the clip tap and for detection."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from stairwatch.runtime.health import CameraHealth
from stairwatch.runtime.pending import PendingFrames
from stairwatch.runtime.readers import FileReader, FrameIntake, TapConfig
from streams.frame import Frame

FPS = 15
SECONDS = 2.0


class CountingIntake(FrameIntake):
    def __init__(self) -> None:
        super().__init__(PendingFrames(), CameraHealth("cam"), None, lambda: False)
        self.accepted: list[float] = []

    def accept(self, frame: Frame, shown: Frame | None = None) -> None:
        self.accepted.append(frame.position_s)


class RecordingTap:
    def __init__(self) -> None:
        self.seen: list[float] = []

    def observe(self, frame: Frame) -> None:
        self.seen.append(frame.position_s)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("readers") / "cam.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), FPS, (64, 48))
    for i in range(round(SECONDS * FPS)):
        writer.write(np.full((48, 64, 3), 4 * i, np.uint8))
    writer.release()
    return path


@pytest.mark.parametrize(
    ("detect_fps", "tap_fps", "detected", "tapped"),
    [
        (2.0, None, 4, 0),  # no tap: only the detection rate is decoded and converted
        (2.0, 8.0, 4, 16),  # the tap at 8 fps, detection still at 2
        (5.0, 3.0, 10, 10),  # a tap slower than detection gets the detected frames
    ],
)
def test_file_reader_feeds_tap_and_detection_at_their_rates(
    clip: Path, detect_fps: float, tap_fps: float | None, detected: int, tapped: int
) -> None:
    intake, tap, health = CountingIntake(), RecordingTap(), CameraHealth("cam")
    config = TapConfig(tap, tap_fps) if tap_fps is not None else None
    reader = FileReader("cam", clip, detect_fps, False, intake, health, config)
    reader.start()
    deadline = time.monotonic() + SECONDS + 5
    while health.snapshot(0).last_error != "end of file" and time.monotonic() < deadline:
        time.sleep(0.1)
    reader.stop()
    assert len(intake.accepted) == detected
    assert len(tap.seen) == tapped
    assert set(intake.accepted) <= set(tap.seen) or tap_fps is None
