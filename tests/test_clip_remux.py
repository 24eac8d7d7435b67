"""Event clips copied from the camera's own H.264 (remux): where they are copied, where they are
still decoded and encoded (privacy masks, other codecs, profiles browsers do not play), the
bytes of H.264 they rest on, and the recorder's counts in ``/metrics``. Sources are real
libx264 / mp4v files read by the real file source."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest
from numpy.typing import NDArray

from alerts.store import EventStore
from stairwatch.media.clips import CameraClips, ClipRecorder
from stairwatch.media.h264 import H264Error, annexb_units, avc_config, length_prefixed_units
from stairwatch.media.packet_clip import mp4_from_packets
from stairwatch.media.packet_ring import PacketRun
from stairwatch.media.recording import FinishedClip
from stairwatch.media.remux import RemuxUnsupported, remux_mp4_bytes
from stairwatch.media.settings import ClipSettings
from stairwatch.runtime.clip_metrics import ClipCollector
from streams.file_source import FileSource
from streams.live_source import LiveSource, LiveSourceConfig
from tests.clip_sources import frame_number, recorded_clip, write_h264_clip
from tests.media_helpers import raise_event, write_clip
from tests.rtsp_server import ServerProcess, free_port, unavailable_reason

FPS = 10
LIVE = LiveSourceConfig(open_timeout_s=5.0, read_timeout_s=5.0, ffmpeg_options="rtsp_transport;tcp")
T0 = 1_765_000_000.0  # the recorder test's camera starts then (Unix seconds)


def decoded(data: bytes) -> tuple[str, str | None, list[av.VideoFrame]]:
    """(codec, profile, pictures) of MP4 bytes."""
    with av.open(io.BytesIO(data)) as container:
        context = container.streams.video[0].codec_context
        pictures = list(container.decode(video=0))
        return context.name, context.profile, pictures


def masked_corner(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A privacy mask: the top left quarter blacked out."""
    out = image.copy()
    out[: image.shape[0] // 2, : image.shape[1] // 2] = 0
    return out


@pytest.mark.parametrize(
    ("gop", "bframes", "alert_ts", "pre_s", "post_s", "first", "last"),
    [
        (10, 0, 3.5, 1.0, 1.0, 20, 45),  # from the key frame at 2.0 s, before the start (2.5)
        (10, 2, 3.5, 1.0, 1.0, 20, 43),  # B-frames shown after the end's P-frame are left out
        (20, 0, 5.5, 1.0, 1.0, 40, 5),  # 2 s groups; on into the file's next loop
        (20, 2, 5.5, 1.0, 1.0, 40, 3),
        (10, 0, 1.0, 5.0, 2.0, 0, 30),  # the ring holds less than pre_s: from the first frame
    ],
)
def test_a_clip_is_the_cameras_packets_from_a_key_frame(
    tmp_path: Path,
    gop: int,
    bframes: int,
    alert_ts: float,
    pre_s: float,
    post_s: float,
    first: int,
    last: int,
) -> None:
    source = write_h264_clip(tmp_path / "cam.mp4", fps=FPS, gop=gop, bframes=bframes)
    settings = ClipSettings(pre_s=pre_s, post_s=post_s)
    clip = recorded_clip(source, alert_ts, settings)
    made = mp4_from_packets(clip.runs, clip.start_ts, clip.end_ts, settings)
    assert made.remuxed
    assert made.data[4:8] == b"ftyp" and made.data.find(b"moov") < made.data.find(b"mdat")
    codec, profile, pictures = decoded(made.data)
    assert (codec, profile) == ("h264", "High")
    numbers = [frame_number(p) for p in pictures]
    assert (numbers[0], numbers[-1]) == (first, last)
    assert len(pictures) == made.frames
    assert pictures[0].key_frame and pictures[0].time == 0.0
    times = [p.time for p in pictures]
    assert times == pytest.approx([i / FPS for i in range(len(pictures))], abs=1e-3)


def remuxed_duration(data: bytes) -> float:
    with av.open(io.BytesIO(data)) as container:
        assert container.duration is not None
        return container.duration / av.time_base


def test_the_clip_lasts_as_long_as_its_pictures(tmp_path: Path) -> None:
    source = write_h264_clip(tmp_path / "cam.mp4", fps=FPS, gop=10)
    clip = recorded_clip(source, 3.5, ClipSettings(pre_s=1.0, post_s=1.0))
    remuxed = remux_mp4_bytes(clip.runs, clip.end_ts)
    assert remuxed.frames == 26
    assert remuxed.duration_s == pytest.approx(2.6)
    assert remuxed_duration(remuxed.data) == pytest.approx(2.6, abs=0.01)


def test_a_key_frame_without_a_time_is_skipped_to_the_next(tmp_path: Path) -> None:
    """An RTSP session's very first packet has no presentation time: the clip starts at the
    next key frame instead of falling back to encoding."""
    source = write_h264_clip(tmp_path / "cam.mp4", fps=FPS, gop=10)
    clip = recorded_clip(source, 3.5, ClipSettings(pre_s=1.0, post_s=1.0))
    run = clip.runs[0]
    untimed = replace(run.packets[0], pts=None, dts=None)
    runs = [PacketRun(run.params, [untimed, *run.packets[1:]]), *clip.runs[1:]]
    remuxed = remux_mp4_bytes(runs, clip.end_ts)
    _, _, pictures = decoded(remuxed.data)
    assert [frame_number(p) for p in pictures] == list(range(30, 46))
    assert pictures[0].key_frame and pictures[0].time == 0.0


def h264(tmp_path: Path) -> Path:
    return write_h264_clip(tmp_path / "cam.mp4", fps=FPS, gop=10)


def high_444(tmp_path: Path) -> Path:
    return write_h264_clip(tmp_path / "cam.mp4", fps=FPS, gop=10, pix_fmt="yuv444p")


def mpeg4(tmp_path: Path) -> Path:
    pictures = (np.full((96, 160, 3), 16 + 4 * i, np.uint8) for i in range(60))
    return write_clip(tmp_path / "cam.mp4", pictures, fps=FPS)


@pytest.mark.parametrize(
    ("write", "masked", "remux", "why"),
    [
        (h264, True, True, "privacy mask"),
        (mpeg4, False, True, "mpeg4 is not copied"),
        (high_444, False, True, "profile 244"),
        (h264, False, False, "clips.remux off"),
    ],
)
def test_clips_are_encoded_where_they_cannot_be_copied(
    tmp_path: Path, write: Callable[[Path], Path], masked: bool, remux: bool, why: str
) -> None:
    settings = ClipSettings(pre_s=1.0, post_s=1.0, fps=5.0, remux=remux)
    hide = masked_corner if masked else None
    clip = recorded_clip(write(tmp_path), 3.5, settings, hide)
    if not masked and remux:
        with pytest.raises(RemuxUnsupported, match=why):
            remux_mp4_bytes(clip.runs, clip.end_ts)
    made = mp4_from_packets(clip.runs, clip.start_ts, clip.end_ts, settings, hide)
    assert not made.remuxed
    codec, _, pictures = decoded(made.data)
    assert codec == "h264" and len(pictures) == made.frames == 11  # 2.5 to 4.5 s at 5 fps
    assert abs(frame_number(pictures[0]) - 25) <= 1  # colour conversions on the way
    corner = pictures[0].to_ndarray(format="gray")[:48, :80]
    assert float(corner.max()) <= 20 if masked else float(corner.min()) > 100


def test_the_recorder_copies_unmasked_clips_and_counts_both(tmp_path: Path) -> None:
    store = EventStore.open(f"sqlite:///{tmp_path / 'events.db'}", tmp_path / "media")
    recorder = ClipRecorder(store, ClipSettings(pre_s=1.0, post_s=1.0))
    source = h264(tmp_path)
    try:
        for i, hide in enumerate((None, masked_corner)):
            event = raise_event(store, T0 + 3.5 + i)
            clips = recorder.for_camera(f"cam-{i}", hide)
            with FileSource(source, clips.camera_id, start_time=T0, packet_tap=clips) as reader:
                frames = iter(reader)
                for frame in frames:
                    if frame.timestamp >= T0 + 3.5:
                        clips.event_raised(event.id, T0 + 3.5)
                        break
                for _ in frames:  # to the file's end, past the clip's
                    pass
            recorder.wait_idle(30.0)
            assert store.get(event.id).clip_path is not None
    finally:
        recorder.close()
        store.close()
    stats = recorder.stats()
    assert (stats.filed, stats.remuxed, stats.failed) == (2, 1, 0)
    metrics = {
        (sample.name, tuple(sample.labels.values())): sample.value
        for family in ClipCollector(recorder.stats).collect()
        for sample in family.samples
    }
    assert metrics[("stairwatch_clips_filed_total", ("remux",))] == 1.0
    assert metrics[("stairwatch_clips_filed_total", ("reencode",))] == 1.0
    assert metrics[("stairwatch_clips_failed_total", ())] == 0.0


@pytest.mark.rtsp
def test_a_live_rtsp_cameras_clip_is_copied() -> None:
    """RTSP delivers start-code H.264 with its parameter sets out of band (the SDP)."""
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"no RTSP test server: {reason}")
    settings = ClipSettings(pre_s=1.0, post_s=1.0)
    finished: list[FinishedClip] = []
    clips = CameraClips("cam", settings, finished.append)
    with (
        ServerProcess(free_port(), fps=FPS, keyint=5) as server,
        LiveSource(server.url, "cam", LIVE, packet_tap=clips) as source,
    ):
        assert source.wait(15.0) is not None
        time.sleep(2.0)
        clips.event_raised("event-1", time.time() - 0.5)
        deadline = time.monotonic() + 15.0
        while not finished and time.monotonic() < deadline:
            time.sleep(0.1)
    (clip,) = finished
    made = mp4_from_packets(clip.runs, clip.start_ts, clip.end_ts, settings)
    assert made.remuxed
    _, _, pictures = decoded(made.data)
    assert len(pictures) == made.frames >= 2 * FPS
    assert pictures[0].key_frame and pictures[0].time == 0.0


@pytest.mark.parametrize(
    ("data", "units"),
    [
        (b"\x00\x00\x00\x01\x67\x64\x00\x00\x00\x01\x68\xee", [b"\x67\x64", b"\x68\xee"]),
        (b"\x00\x00\x01\x65\x88\x00\x00\x01\x41\x9a", [b"\x65\x88", b"\x41\x9a"]),
        (b"\x09\xf0\x00\x00\x01\x65\x88\x00\x00", [b"\x65\x88"]),  # junk before, zeros after
        (b"", []),
    ],
)
def test_annexb_units(data: bytes, units: list[bytes]) -> None:
    assert annexb_units(data) == units


def test_length_prefixed_units_and_avcc_record() -> None:
    sps, pps = b"\x67\x4d\x00\x1e", b"\x68\xee\x3c\x80"
    record = b"\x01\x4d\x00\x1e\xff\xe1" + len(sps).to_bytes(2, "big") + sps
    record += b"\x01" + len(pps).to_bytes(2, "big") + pps
    config = avc_config(record)
    assert config.length_size == 4 and config.parameter_sets == (sps, pps)
    sample = len(sps).to_bytes(4, "big") + sps + len(pps).to_bytes(4, "big") + pps
    assert length_prefixed_units(sample, 4) == [sps, pps]
    with pytest.raises(H264Error, match="overruns"):
        length_prefixed_units(sample[:-1], 4)
    with pytest.raises(H264Error, match="cut short"):
        avc_config(record[:9])
