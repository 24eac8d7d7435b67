"""Live sources read with PyAV: packets for the clips, conversion only of the frames taken, key
frames only for a main stream, hardware decoding with a software fallback."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

import streams.live_source as live_source
from streams.av_open import HwAccel, parse_ffmpeg_options, pick_hwaccel
from streams.camera_streams import CameraStreams
from streams.live_source import LiveSource, LiveSourceConfig, picture_fingerprint
from streams.packets import StreamPacket, StreamParams

FAST = LiveSourceConfig(
    open_timeout_s=2.0, read_timeout_s=2.0, stall_after_s=2.0, backoff_base_s=0.05
)
FPS = 25
KEYINT = 10


class Packets:
    def __init__(self) -> None:
        self.streams: list[StreamParams] = []
        self.packets: list[StreamPacket] = []

    def stream_started(self, params: StreamParams) -> None:
        self.streams.append(params)

    def observe_packet(self, packet: StreamPacket) -> None:
        self.packets.append(packet)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s of H.264 at 25 fps, a key frame every 10 frames, every picture different."""
    path = tmp_path_factory.mktemp("live") / "cam.mp4"
    return write_grey_ramp(path, {"g": str(KEYINT), "bf": "0"})


def received(source: LiveSource, reconnects: int = 1, limit_s: float = 20.0) -> int:
    end = time.monotonic() + limit_s
    while source.health().reconnects < reconnects and time.monotonic() < end:
        time.sleep(0.02)
    return source.health().frames_received


@pytest.mark.parametrize(
    ("keyframes_only", "per_pass"), [(False, 2 * FPS), (True, 2 * FPS // KEYINT)]
)
def test_keyframes_only_decodes_a_picture_per_group(
    clip: Path, keyframes_only: bool, per_pass: int
) -> None:
    with LiveSource(str(clip), "cam", replace(FAST, keyframes_only=keyframes_only)) as source:
        count = received(source)  # one pass over the file done, the next one begun
    assert per_pass <= count < 2 * per_pass


def test_packets_reach_the_tap_and_only_taken_frames_are_converted(
    clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversions = []
    original = live_source.to_bgr
    monkeypatch.setattr(
        live_source, "to_bgr", lambda picture: conversions.append(1) or original(picture)
    )
    tap = Packets()
    with LiveSource(str(clip), "cam", FAST, packet_tap=tap) as source:
        taken = source.wait(5.0)
        received(source)
    assert taken is not None and taken.image.shape == (48, 64, 3)
    assert len(tap.streams) >= 1 and tap.streams[0].codec == "h264"
    assert len(tap.packets) >= 2 * FPS and tap.packets[0].keyframe
    assert len(conversions) == 1  # 50 pictures decoded, one taken and converted


@pytest.fixture(scope="module")
def b_frame_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s of H.264 at 25 fps with two B-frames between reference pictures."""
    path = tmp_path_factory.mktemp("live") / "b.mp4"
    return write_grey_ramp(path, {"g": "50", "bf": "2"})


@pytest.mark.parametrize(("skip", "low", "high"), [(False, 50, 100), (True, 10, 40)])
def test_skipping_non_reference_pictures(
    b_frame_clip: Path, skip: bool, low: int, high: int
) -> None:
    tap = Packets()
    config = replace(FAST, skip_nonref=skip)
    with LiveSource(str(b_frame_clip), "cam", config, packet_tap=tap) as source:
        count = received(source)  # one pass done, the next begun
    assert low <= count < high
    assert len(tap.packets) >= 2 * FPS  # the clips still get every packet


def test_a_main_stream_beside_a_substream_decodes_key_frames_only(clip: Path) -> None:
    tap = Packets()
    streams = CameraStreams("cam", str(clip), str(clip), FAST, packet_tap=tap)
    assert streams.snapshot.config.keyframes_only and not streams.detect.config.keyframes_only
    with streams:
        received(streams.detect)
    assert tap.packets  # the clips get the sub-stream's packets


def test_a_hardware_decoder_that_cannot_open_falls_back_to_software(
    clip: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(live_source, "pick_hwaccel", lambda wanted: "cuda")  # no GPU here
    with LiveSource(str(clip), "cam", replace(FAST, hwaccel=HwAccel.CUDA)) as source:
        count = received(source)  # one pass over the file done, the next one begun
    assert 2 * FPS <= count < 4 * FPS
    assert "trying software decoding" in caplog.text


@pytest.mark.parametrize(
    ("wanted", "devices", "expected"),
    [
        (HwAccel.NONE, {"cuda": True}, None),
        (HwAccel.AUTO, {"cuda": False, "qsv": False}, None),
        (HwAccel.AUTO, {"cuda": True, "qsv": True}, "cuda"),
        (HwAccel.AUTO, {"cuda": False, "qsv": True}, "qsv"),
        (HwAccel.QSV, {"cuda": True, "qsv": False}, None),
    ],
)
def test_pick_hwaccel(wanted: HwAccel, devices: dict[str, bool], expected: str | None) -> None:
    assert pick_hwaccel(wanted, devices) == expected


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ("rtsp_transport;tcp|probesize;32", {"rtsp_transport": "tcp", "probesize": "32"}),
        ("", {}),
        ("stimeout;5000000|", {"stimeout": "5000000"}),
    ],
)  # fmt: skip
def test_parse_ffmpeg_options(options: str, expected: dict[str, str]) -> None:
    assert parse_ffmpeg_options(options) == expected


def test_parse_ffmpeg_options_names_a_bad_item() -> None:
    with pytest.raises(ValueError, match="'rtsp_transport'"):
        parse_ffmpeg_options("rtsp_transport")


def test_picture_fingerprint_tells_pictures_apart_without_converting() -> None:
    dark = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="bgr24")
    light = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 200, np.uint8), format="bgr24")
    dark, light = dark.reformat(format="yuv420p"), light.reformat(format="yuv420p")
    assert picture_fingerprint(dark) == picture_fingerprint(dark)
    assert picture_fingerprint(dark) != picture_fingerprint(light)


def write_grey_ramp(path: Path, x264: dict[str, str]) -> Path:
    """2 s of 64x48 H.264 at :data:`FPS` with libx264 ``x264`` options, picture ``i`` all grey
    ``4 * i`` (so a decoded picture tells its number)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS, options=x264)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(2 * FPS):
            image = np.full((48, 64, 3), 4 * i, np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")))
        out.mux(stream.encode(None))
    return path
