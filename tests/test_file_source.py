"""FileSource on small clips written by the test itself (cv2.VideoWriter, mp4v)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from streams.errors import SourceOpenError
from streams.file_source import FileSource

FPS = 10.0
FRAMES = 30
SIZE = (64, 48)  # width, height


def write_clip(path: Path, frames: int = FRAMES, fps: float = FPS) -> Path:
    """Frame i is flat grey at level 8 * i, so a decoded frame tells which one it was."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, SIZE)
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((SIZE[1], SIZE[0], 3), 8 * i, np.uint8))
    writer.release()
    return path


def grey_level_index(image: np.ndarray) -> int:
    return round(float(image.mean()) / 8)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("clips") / "clip.mp4")


def test_properties(clip: Path) -> None:
    with FileSource(clip, "cam", start_time=0.0) as source:
        assert (source.width, source.height) == SIZE
        assert source.fps == pytest.approx(FPS)
        assert source.frame_count == FRAMES
        assert source.duration_s == pytest.approx(FRAMES / FPS, abs=0.11)


def test_timestamps_follow_pts_and_start_time(clip: Path) -> None:
    with FileSource(clip, "cam", start_time=1000.0) as source:
        frames = list(source)
    assert len(frames) == FRAMES
    assert [f.index for f in frames] == list(range(FRAMES))
    positions = np.array([f.position_s for f in frames])
    np.testing.assert_allclose(positions, np.arange(FRAMES) / FPS, atol=1e-6)
    np.testing.assert_allclose([f.timestamp for f in frames], 1000.0 + positions)
    assert all(f.camera_id == "cam" and f.image.shape == (48, 64, 3) for f in frames)
    assert [grey_level_index(f.image) for f in frames] == list(range(FRAMES))


def test_start_time_defaults_to_wall_clock(clip: Path) -> None:
    import time

    before = time.time()
    with FileSource(clip, "cam") as source:
        first = next(iter(source))
    assert first.timestamp >= before


def test_loop_keeps_positions_and_index_increasing(clip: Path) -> None:
    with FileSource(clip, "cam", loop=True, start_time=0.0) as source:
        frames = [f for _, f in zip(range(2 * FRAMES + 5), source, strict=False)]
    assert [f.index for f in frames] == list(range(2 * FRAMES + 5))
    positions = np.array([f.position_s for f in frames])
    np.testing.assert_allclose(positions, np.arange(len(frames)) / FPS, atol=1e-6)
    assert grey_level_index(frames[FRAMES].image) == 0  # the second pass starts again


@pytest.mark.parametrize(
    ("sample_fps", "expected_indices"),
    [
        (2.0, [0, 5, 10, 15, 20, 25]),
        (5.0, list(range(0, FRAMES, 2))),
        (3.0, [0, 3, 7, 10, 13, 17, 20, 23, 27]),
        (100.0, list(range(FRAMES))),
    ],
)
def test_sampling_yields_frames_due_at_rate(
    clip: Path, sample_fps: float, expected_indices: list[int]
) -> None:
    with FileSource(clip, "cam", start_time=0.0, sample_fps=sample_fps) as source:
        frames = list(source)
    assert [f.index for f in frames] == expected_indices
    assert [grey_level_index(f.image) for f in frames] == expected_indices


def test_sampling_across_loops(clip: Path) -> None:
    with FileSource(clip, "cam", loop=True, start_time=0.0, sample_fps=2.0) as source:
        frames = [f for _, f in zip(range(12), source, strict=False)]
    assert [f.index for f in frames] == list(range(0, 60, 5))


def test_realtime_paces_by_position(clip: Path) -> None:
    """Injected clock: each frame waits until its position has elapsed since the first."""
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    with FileSource(
        clip, "cam", realtime=True, start_time=0.0, sleep=sleep, monotonic=lambda: now[0]
    ) as source:
        frames = list(source)
    assert len(frames) == FRAMES
    assert now[0] == pytest.approx((FRAMES - 1) / FPS)
    assert len(slept) == FRAMES - 1


def test_close_stops_iteration(clip: Path) -> None:
    source = FileSource(clip, "cam", start_time=0.0, loop=True)
    frames = iter(source)
    next(frames)
    source.close()
    source.close()  # idempotent
    assert list(frames) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.mp4", None, "no such file"),
        ("text.mp4", b"this is not a video at all\n" * 10, "cannot open"),
        ("empty.mp4", b"", "cannot open"),
    ],
)
def test_open_errors_name_the_file(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SourceOpenError, match=message) as info:
        FileSource(path, "cam")
    assert str(path) in str(info.value)


def test_directory_is_not_a_video(tmp_path: Path) -> None:
    with pytest.raises(SourceOpenError, match="directory"):
        FileSource(tmp_path, "cam")


def test_audio_only_file_has_no_video(tmp_path: Path) -> None:
    import av

    path = tmp_path / "tone.wav"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=8000)
        silence = np.zeros((1, 800), np.int16)
        frame = av.AudioFrame.from_ndarray(silence, format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    with pytest.raises(SourceOpenError, match="no video stream"):
        FileSource(path, "cam")


@pytest.mark.parametrize(
    ("pixel_format", "width", "height"),
    [
        ("yuv420p", 64, 48),  # the usual H.264 output: through OpenCV
        ("yuv420p", 63, 47),  # odd sizes cannot be I420 planes: swscale
        ("yuvj420p", 64, 48),  # full-range JPEG-style YUV: swscale
        ("rgb24", 64, 48),
    ],
)
def test_to_bgr_matches_swscale(pixel_format: str, width: int, height: int) -> None:
    import av

    from streams.file_source import to_bgr

    rng = np.random.default_rng(0)
    bgr = cv2.GaussianBlur(rng.integers(0, 255, (height, width, 3), dtype=np.uint8), (5, 5), 0)
    frame = av.VideoFrame.from_ndarray(bgr, format="bgr24").reformat(format=pixel_format)
    image = to_bgr(frame)
    assert image.shape == (height, width, 3) and image.dtype == np.uint8
    reference = frame.to_ndarray(format="bgr24").astype(int)
    assert np.abs(image.astype(int) - reference).mean() < 2.0
