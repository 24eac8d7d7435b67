"""Reader threads on a real file played in real time: packets for the clip tap, frames for
detection."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from stairwatch.runtime.health import CameraHealth
from stairwatch.runtime.pending import PendingFrames
from stairwatch.runtime.readers import FileReader, FrameIntake
from streams.frame import Frame
from streams.packets import StreamPacket, StreamParams

FPS = 15
SECONDS = 2.0


class CountingIntake(FrameIntake):
    def __init__(self) -> None:
        super().__init__(PendingFrames(), CameraHealth("cam"), None, lambda: False)
        self.accepted: list[float] = []

    def accept(self, frame: Frame, full: bool = True) -> None:
        self.accepted.append(frame.position_s)


class RecordingTap:
    def __init__(self) -> None:
        self.seen: list[float] = []
        self.streams: list[StreamParams] = []
        self.packets: list[StreamPacket] = []

    def observe(self, frame: Frame) -> None:
        self.seen.append(frame.position_s)

    def stream_started(self, params: StreamParams) -> None:
        self.streams.append(params)

    def observe_packet(self, packet: StreamPacket) -> None:
        self.packets.append(packet)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("readers") / "cam.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), FPS, (64, 48))
    for i in range(round(SECONDS * FPS)):
        writer.write(np.full((48, 64, 3), 4 * i, np.uint8))
    writer.release()
    return path


@pytest.mark.parametrize(
    ("detect_fps", "tapped", "detected"),
    [
        (2.0, False, 4),  # no tap: only the detection rate is converted
        (2.0, True, 4),  # the tap takes packets: still only the detected frames are converted
        (5.0, True, 10),
    ],
)
def test_file_reader_feeds_packets_to_the_tap_and_frames_to_detection(
    clip: Path, detect_fps: float, tapped: bool, detected: int
) -> None:
    intake, tap, health = CountingIntake(), RecordingTap(), CameraHealth("cam")
    reader = FileReader("cam", clip, detect_fps, False, intake, health, tap if tapped else None)
    reader.start()
    deadline = time.monotonic() + SECONDS + 5
    while health.snapshot(0).last_error != "end of file" and time.monotonic() < deadline:
        time.sleep(0.1)
    reader.stop()
    assert len(intake.accepted) == detected
    assert tap.seen == []  # never a decoded frame: the clip is made from the packets
    assert len(tap.packets) == (round(SECONDS * FPS) if tapped else 0)
    assert len(tap.streams) == (1 if tapped else 0)
    assert all(p.keyframe for p in tap.packets[:1])
