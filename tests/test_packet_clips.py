"""Event clips from the camera's own compressed packets: the ring, the recording, the decode."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from stairwatch.media.errors import ClipError
from stairwatch.media.packet_clip import mp4_from_packets, pictures_from_packets
from stairwatch.media.packet_ring import PacketRing
from stairwatch.media.settings import ClipSettings
from streams.errors import SourceReadError
from streams.packets import StreamPacket, StreamParams, decode_packets, packet_of, params_of
from tests.clip_sources import recorded_clip
from tests.media_helpers import noise, write_clip

PARAMS = StreamParams("mpeg4", None, 64, 48, Fraction(1, 10))


def packet(t: float, key: bool = False) -> StreamPacket:
    return StreamPacket(b"x", t, key, round(t * 10), round(t * 10))


def timed_packets(times_and_keys: list[tuple[float, bool]]) -> list[StreamPacket]:
    return [packet(t, k) for t, k in times_and_keys]


@pytest.mark.parametrize(
    ("keep_s", "pushed", "since", "expected_starts"),
    [
        # Packets before the first key frame cannot be decoded: not kept.
        (5.0, [(0.0, False), (0.5, False), (1.0, True), (1.5, False)], 0.0, [1.0]),
        # Whole groups are dropped once the next one alone covers keep_s.
        (2.0, [(0.0, True), (1.0, False), (2.0, True), (3.0, False), (4.5, True)], 0.0, [2.0]),
        # A clip starts at the last key frame at or before its start.
        (9.0, [(0.0, True), (1.0, False), (2.0, True), (3.0, False), (4.0, True)], 3.5, [2.0]),
        (9.0, [(0.0, True), (1.0, False), (2.0, True), (3.0, False), (4.0, True)], 4.0, [4.0]),
    ],
)
def test_packet_ring_keeps_whole_groups(
    keep_s: float,
    pushed: list[tuple[float, bool]],
    since: float,
    expected_starts: list[float],
) -> None:
    ring = PacketRing(keep_s)
    ring.stream_started(PARAMS)
    for p in timed_packets(pushed):
        ring.push(p)
    runs = ring.since(since)
    assert [run.start_ts for run in runs] == expected_starts
    assert all(run.packets[0].keyframe for run in runs)


def test_packet_ring_needs_a_stream_and_splits_runs_per_pass() -> None:
    ring = PacketRing(10.0)
    assert not ring.push(packet(0.0, True))  # no stream_started yet
    ring.stream_started(PARAMS)
    for p in timed_packets([(0.0, True), (0.5, False)]):
        ring.push(p)
    ring.stream_started(PARAMS)  # a reconnect or a file's next loop
    for p in timed_packets([(1.0, False), (1.5, True), (2.0, False)]):
        ring.push(p)
    runs = ring.since(0.0)
    assert [[q.timestamp for q in run.packets] for run in runs] == [[0.0, 0.5], [1.5, 2.0]]
    assert ring.seconds == pytest.approx(2.0)


@pytest.mark.parametrize("keep_s", [0.0, -1.0])
def test_packet_ring_needs_a_positive_span(keep_s: float) -> None:
    with pytest.raises(ClipError):
        PacketRing(keep_s)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 s at 10 fps whose grey level tells the frame number."""
    path = tmp_path_factory.mktemp("packets") / "cam.mp4"
    base = noise(160, 96).astype(np.int16)
    frames = (np.clip(base + i, 0, 255).astype(np.uint8) for i in range(60))
    return write_clip(path, frames, fps=10)


@pytest.mark.parametrize(
    ("alert_ts", "pre_s", "post_s", "first_s", "last_s"),
    [
        (3.0, 2.0, 2.0, 1.0, 5.0),
        (1.0, 5.0, 2.0, 0.0, 3.0),  # the ring holds less than pre_s: from the first frame
        (5.0, 1.0, 3.0, 4.0, 8.0),  # runs on into the file's next loop
    ],
)
def test_a_clip_from_packets_covers_its_window_at_the_clip_rate(
    clip: Path, alert_ts: float, pre_s: float, post_s: float, first_s: float, last_s: float
) -> None:
    settings = ClipSettings(pre_s=pre_s, post_s=post_s, fps=5.0)
    finished = recorded_clip(clip, alert_ts, settings)
    assert finished.runs and finished.complete
    pictures = pictures_from_packets(finished.runs, finished.start_ts, finished.end_ts, settings)
    times = [t for t, _ in pictures]
    assert times[0] == pytest.approx(first_s, abs=0.11)
    assert times[-1] == pytest.approx(last_s, abs=0.11)
    assert float(np.median(np.diff(times))) == pytest.approx(0.2, abs=0.01)
    made = mp4_from_packets(finished.runs, finished.start_ts, finished.end_ts, settings)
    assert made.frames == round((times[-1] - times[0]) * settings.fps) + 1
    with av.open(io.BytesIO(made.data)) as out:
        assert out.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in out.decode(video=0)) == made.frames


def test_decoding_garbage_is_a_clear_error() -> None:
    with pytest.raises(SourceReadError, match="no decoder"):
        list(decode_packets(StreamParams("nonsense", None, 8, 8, Fraction(1, 10)), []))


@pytest.mark.parametrize("name", ["elevator_entry.mp4", "corridor_passing.mp4"])
def test_decoding_kept_packets_gives_every_frame_in_order(name: str) -> None:
    """Sample clips (H.264 with B-frames reordered by the decoder): every packet back as one
    picture, presentation times increasing."""
    path = Path(__file__).resolve().parents[1] / "sample_videos" / name
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        params = params_of(stream)
        base = stream.time_base or Fraction(1, 1)
        kept = [packet_of(p, float((p.pts or 0) * base)) for p in container.demux(stream) if p.size]
    times = [t for t, _ in decode_packets(params, kept)]
    assert len(times) == len(kept)
    assert times == sorted(times)
