"""Evidence clips: frame ring, constant-rate resampling, packet recordings, H.264 encoding, the
store's clip files, the recorder on a real store fed a camera's packets (pre and post roll,
privacy masks) and the dashboard's clip endpoint with byte ranges."""

from __future__ import annotations

import os
import threading
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.video.codeccontext
import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from numpy.typing import NDArray

from alerts.errors import ClipMissing, EventNotFound, StoreError
from alerts.events import ChangeKind, EventChange, EventRecord, EventType, Severity
from alerts.observation import Observation
from alerts.store import EventStore
from dashboard.app import create_app
from stairwatch.media import clips as clips_module
from stairwatch.media.clips import ENCODER_NICENESS, CameraClips, ClipRecorder, ClipSettings
from stairwatch.media.encode import Mp4Writer, constant_rate, encode_mp4
from stairwatch.media.errors import ClipError
from stairwatch.media.packet_clip import PacketClipMp4
from stairwatch.media.packet_ring import PacketRun
from stairwatch.media.recording import FinishedClip, PacketRecording
from stairwatch.media.ring import FrameRing, RingFrame, compress
from stairwatch.pipeline import PipelineStep
from stairwatch.runtime.recorder import write_at_once
from stairwatch.runtime.sink import StoreSink
from streams.frame import Frame
from streams.packets import PacketTap, StreamPacket, StreamParams, packet_of
from tests.media_helpers import CAMERA, camera_frame, clip_bytes, raise_event, scene
from tests.web import LOCAL
from vision.detections import Detections

T0 = 1_700_000_000.0


def ring_frame(t: float) -> RingFrame:
    return RingFrame(t, b"\xff\xd8\xff")


def decode(path: Path) -> tuple[str, str, int, float]:
    """codec, pixel format, frame count, duration (s) of an MP4 file."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        count = sum(1 for _ in container.decode(stream))
        duration = float(stream.duration * stream.time_base) if stream.duration else 0.0
        return stream.codec_context.name, stream.codec_context.pix_fmt or "", count, duration


PARAMS_8 = StreamParams("mpeg4", None, 320, 180, Fraction(1, 8))


def stream_packet(t: float, key: bool = False) -> StreamPacket:
    return StreamPacket(b"x", t, key, round(t * 8), round(t * 8))


class EncodingCamera:
    """A camera's source as the clips see it: :func:`scene` encoded as MPEG-4 (a key frame
    every ``gop`` pictures) and handed over packet by packet, with capture times."""

    def __init__(self, tap: PacketTap, fps: int, gop: int | None = None):
        self._tap, self._fps = tap, fps
        self._codec = av.CodecContext.create("mpeg4", "w")
        assert isinstance(self._codec, av.video.codeccontext.VideoCodecContext)
        self._codec.width, self._codec.height, self._codec.pix_fmt = 320, 180, "yuv420p"
        self._codec.time_base, self._codec.framerate = Fraction(1, fps), Fraction(fps)
        self._codec.gop_size, self._codec.max_b_frames = gop or fps, 0
        self._t0: float | None = None
        tap.stream_started(StreamParams("mpeg4", None, 320, 180, Fraction(1, fps)))

    def run(self, start: float, stop: float) -> None:
        """Pictures taken at ``fps`` from ``start`` up to (without) ``stop``, Unix seconds."""
        self._t0 = start if self._t0 is None else self._t0
        first = round((start - self._t0) * self._fps)
        for index in range(first, round((stop - self._t0) * self._fps)):
            picture = av.VideoFrame.from_ndarray(scene(index / self._fps), format="bgr24")
            picture.pts = index
            for packet in self._codec.encode(picture):
                at = self._t0 + (packet.pts or 0) / self._fps
                self._tap.observe_packet(packet_of(packet, at))


# -- the ring ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source_fps", "ring_fps", "seconds", "keep_s", "expected_len", "expected_first"),
    [
        (25, 8, 2.0, 10.0, 17, 0.0),  # 0, 0.12, ... 1.92: close to 8 fps out of 25
        (25, 30, 1.0, 10.0, 25, 0.0),  # asking for more than the source gives: every frame
        (10, 5, 4.0, 1.0, 6, 2.8),  # only the last second (and its start) kept
        (2, 8, 3.0, 10.0, 6, 0.0),  # a slow source: every frame
    ],
)
def test_ring_keeps_a_rate_and_a_span(
    source_fps: float,
    ring_fps: float,
    seconds: float,
    keep_s: float,
    expected_len: int,
    expected_first: float,
) -> None:
    ring = FrameRing(keep_s, ring_fps)
    for i in range(round(seconds * source_fps)):
        ring.push(ring_frame(i / source_fps))
    assert len(ring) == expected_len
    assert ring.since(0.0)[0].timestamp == pytest.approx(expected_first)


def test_ring_ignores_frames_not_newer_than_the_last() -> None:
    ring = FrameRing(10.0, 8.0)
    assert ring.push(ring_frame(5.0))
    assert not ring.push(ring_frame(4.0))
    assert not ring.push(ring_frame(5.0))
    assert [f.timestamp for f in ring.since(0)] == [5.0]


@pytest.mark.parametrize(("keep_s", "fps"), [(0.0, 8.0), (5.0, 0.0), (-1.0, 8.0)])
def test_ring_needs_positive_limits(keep_s: float, fps: float) -> None:
    with pytest.raises(ClipError):
        FrameRing(keep_s, fps)


@pytest.mark.parametrize(
    ("size", "max_width", "expected"),
    [
        ((1920, 1080), 640, (640, 360)),
        ((320, 180), 640, (320, 180)),  # never enlarged
        ((1281, 721), 640, (640, 360)),  # even sizes for yuv420p
        ((333, 201), 640, (332, 200)),
    ],
)
def test_compress_shrinks_to_even_sizes(
    size: tuple[int, int], max_width: int, expected: tuple[int, int]
) -> None:
    jpeg = compress(scene(1.0, *size), max_width, 80)
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert (image.shape[1], image.shape[0]) == expected


# -- constant rate and recordings -----------------------------------------------------------


@pytest.mark.parametrize(
    ("timestamps", "fps", "expected"),
    [
        ([], 8, []),
        ([3.0], 8, [0]),
        ([0.0, 0.125, 0.25], 8, [0, 1, 2]),
        ([0.0, 0.5], 4, [0, 0, 1]),  # a gap: the last frame is held
        ([0.0, 0.1, 0.3], 10, [0, 1, 1, 2]),
        ([0.0, 0.05, 0.1], 10, [0, 2]),  # faster than the rate: the latest at each tick
    ],
)
def test_constant_rate(timestamps: list[float], fps: float, expected: list[int]) -> None:
    assert constant_rate(timestamps, fps) == expected


@pytest.mark.parametrize(
    ("ring", "offered", "expected_kept", "done"),
    [
        # What the ring held from the key frame before alert - pre_s, then up to alert + post_s.
        (
            [(4.0, True), (6.0, False)],
            [(10.0, True), (15.0, False), (16.0, False)],
            [4.0, 6.0, 10.0, 15.0],
            True,
        ),
        ([], [(5.0, True), (9.0, False)], [5.0, 9.0], False),  # not yet at alert + post_s
        ([], [(6.0, False), (7.0, True), (8.0, False)], [7.0, 8.0], False),  # from a key frame
        ([(4.0, True), (16.0, False)], [(17.0, False)], [4.0, 16.0], True),  # done at once
    ],
)
def test_packet_recording_window(
    ring: list[tuple[float, bool]],
    offered: list[tuple[float, bool]],
    expected_kept: list[float],
    done: bool,
) -> None:
    runs = [PacketRun(PARAMS_8, [stream_packet(t, key) for t, key in ring])] if ring else []
    recording = PacketRecording("e1", "cam", alert_ts=10.0, pre_s=5.0, post_s=5.0, runs=runs)
    if not ring:
        recording.stream_started(PARAMS_8)
    for t, key in offered:
        recording.offer(stream_packet(t, key))
    clip = recording.finish()
    assert [p.timestamp for run in clip.runs for p in run.packets] == expected_kept
    assert recording.done is done and clip.complete is done
    assert (clip.start_ts, clip.end_ts) == (5.0, 15.0)


# -- encoding -------------------------------------------------------------------------------


def test_encode_makes_browser_ready_h264(tmp_path: Path) -> None:
    fps = 8.0
    frames = [RingFrame(i / fps, compress(scene(i / fps), 640, 80)) for i in range(80)]
    path = tmp_path / "clip.mp4"
    encode_mp4(frames, fps, path)
    data = path.read_bytes()
    assert data[4:8] == b"ftyp"
    assert 0 < data.find(b"moov") < data.find(b"mdat"), "index first (+faststart)"
    codec, pix_fmt, count, duration = decode(path)
    assert (codec, pix_fmt, count) == ("h264", "yuv420p", 80)
    assert duration == pytest.approx(10.0, abs=0.2)


def test_encode_scales_odd_frames_to_the_first_size(tmp_path: Path) -> None:
    frames = [
        RingFrame(0.0, compress(scene(0.0, 320, 180), 640, 80)),
        RingFrame(0.5, compress(scene(0.5, 640, 480), 640, 80)),
    ]
    encode_mp4(frames, 4, tmp_path / "c.mp4")
    with av.open(str(tmp_path / "c.mp4")) as container:
        sizes = {(f.width, f.height) for f in container.decode(video=0)}
    assert sizes == {(320, 180)}


def test_a_writer_given_no_picture_makes_no_file(tmp_path: Path) -> None:
    with pytest.raises(ClipError, match="no pictures"), Mp4Writer(tmp_path / "c.mp4", 8):
        pass
    assert not (tmp_path / "c.mp4").exists()


@pytest.mark.parametrize("frames", [[], [RingFrame(0.0, b"not a jpeg")]])
def test_encode_refuses_what_it_cannot_encode(tmp_path: Path, frames: list[RingFrame]) -> None:
    with pytest.raises(ClipError):
        encode_mp4(frames, 8, tmp_path / "c.mp4")


# -- the store's clip files -----------------------------------------------------------------


def test_record_clip_files_it_by_alert_date(store: EventStore) -> None:
    event = raise_event(store, T0)
    with pytest.raises(ClipMissing, match="has no clip"):
        store.clip_path(event.id)
    stored = store.record_clip(event.id, clip_bytes())
    assert stored.clip_path is not None and stored.clip_path.startswith("clips/")
    assert stored.clip_path.endswith(f"/{event.id}.mp4")
    path = store.clip_path(event.id)
    assert path.read_bytes()[4:8] == b"ftyp"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")], "no temp files left"
    assert store.get(event.id).updated_at >= event.updated_at


@pytest.mark.parametrize(
    "data", [b"", b"\xff\xd8\xff\xe0 a jpeg", b"\x00\x00\x00\x18ftyp"[:6], "text"]
)
def test_record_clip_refuses_non_mp4(store: EventStore, data: object) -> None:
    event = raise_event(store, T0)
    with pytest.raises(StoreError, match="clip"):
        store.record_clip(event.id, data)  # type: ignore[arg-type]
    assert store.get(event.id).clip_path is None


def test_record_clip_of_unknown_event_leaves_no_file(store: EventStore) -> None:
    with pytest.raises(EventNotFound):
        store.record_clip("nope", clip_bytes())
    assert not (store.media_dir / "clips").exists() or not any(
        (store.media_dir / "clips").rglob("*.mp4")
    )


def test_missing_clip_file_is_clip_missing(store: EventStore) -> None:
    event = raise_event(store, T0)
    store.record_clip(event.id, clip_bytes())
    store.clip_path(event.id).unlink()
    with pytest.raises(ClipMissing, match="missing"):
        store.clip_path(event.id)


# -- the recorder on a real store, fed the camera's packets -----------------------------------


def test_recorder_files_pre_and_post_alert_seconds(store: EventStore) -> None:
    recorder = ClipRecorder(store, ClipSettings(pre_s=5, post_s=5, fps=8))
    clips = recorder.for_camera(CAMERA.id)
    assert recorder.for_camera(CAMERA.id) is clips
    camera = EncodingCamera(clips, fps=25)
    camera.run(T0 - 20, T0)  # 20 s before the alert: only the last 5 s are wanted
    event = raise_event(store, T0)
    clips.event_raised(event.id, T0)
    camera.run(T0, T0 + 6)
    recorder.wait_idle(60)
    recorder.close()
    assert recorder.clips_filed == 1
    codec, _, count, duration = decode(store.clip_path(event.id))
    assert codec == "h264"
    assert duration == pytest.approx(10.0, abs=0.3)
    assert count == pytest.approx(80, abs=3)


def test_recorder_handles_detection_lagging_past_the_clip(store: EventStore) -> None:
    """The reader is 8 s ahead of the detector: the whole clip is in the ring already."""
    recorder = ClipRecorder(store, ClipSettings(pre_s=2, post_s=2, fps=5, lag_s=10))
    clips = recorder.for_camera(CAMERA.id)
    EncodingCamera(clips, fps=10).run(T0 - 4, T0 + 8)
    event = raise_event(store, T0)
    clips.event_raised(event.id, T0)
    recorder.wait_idle(60)
    recorder.close()
    _, _, _, duration = decode(store.clip_path(event.id))
    assert duration == pytest.approx(4.0, abs=0.3)


def test_recorder_close_files_clips_cut_short(store: EventStore) -> None:
    recorder = ClipRecorder(store, ClipSettings(pre_s=3, post_s=10, fps=5))
    clips = recorder.for_camera(CAMERA.id)
    camera = EncodingCamera(clips, fps=5)
    camera.run(T0 - 3, T0)
    event = raise_event(store, T0)
    clips.event_raised(event.id, T0)
    camera.run(T0, T0 + 2)
    never = raise_event(store, T0 + 1, type_=EventType.FLYING_WIRE)
    recorder.for_camera("other").event_raised(never.id, T0 + 1)  # no packets at all: no clip
    recorder.close()
    _, _, _, duration = decode(store.clip_path(event.id))
    assert duration == pytest.approx(5.0, abs=0.3)
    with pytest.raises(ClipMissing):
        store.clip_path(never.id)
    late = raise_event(store, T0 + 40, type_=EventType.EXIT_BLOCKED)
    clips.event_raised(late.id, T0 + 40)
    camera.run(T0 + 39, T0 + 52)  # a clip finished after close: dropped, no error
    assert recorder.clips_filed == 1


def test_clip_of_a_deleted_event_is_dropped(store: EventStore) -> None:
    recorder = ClipRecorder(store, ClipSettings(pre_s=1, post_s=1, fps=5))
    clips = recorder.for_camera(CAMERA.id)
    event = raise_event(store, T0)
    store.delete_events([event.id])
    clips.event_raised(event.id, T0)
    EncodingCamera(clips, fps=5).run(T0, T0 + 2)
    recorder.close()
    assert recorder.clips_filed == 0
    assert not any((store.media_dir / "clips").rglob("*.mp4"))


def test_a_clip_hides_the_cameras_privacy_masks(store: EventStore) -> None:
    def hide(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
        hidden = image.copy()
        hidden[:, 160:] = 0  # the right half
        return hidden

    recorder = ClipRecorder(store, ClipSettings(pre_s=1, post_s=1, fps=5))
    clips = recorder.for_camera(CAMERA.id, hide)
    event = raise_event(store, T0)
    clips.event_raised(event.id, T0)
    EncodingCamera(clips, fps=5).run(T0 - 1, T0 + 2)
    recorder.close()
    with av.open(str(store.clip_path(event.id))) as container:
        pictures = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    assert pictures
    for picture in pictures:
        assert picture[:, 168:].max() < 30  # black, but for the encoder's noise at the edge
        assert picture[:, :150].mean() > 60  # the rest as the camera saw it


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="per-thread nice values are Linux's")
def test_encoder_thread_yields_the_cpu_to_detection(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    caller = niceness()
    seen: list[int] = []
    real_make = clips_module.mp4_from_packets

    def make(*args: Any, **kwargs: Any) -> PacketClipMp4:
        seen.append(niceness())
        return real_make(*args, **kwargs)

    monkeypatch.setattr(clips_module, "mp4_from_packets", make)
    recorder = ClipRecorder(store, ClipSettings(pre_s=1, post_s=1, fps=5))
    clips = recorder.for_camera(CAMERA.id)
    event = raise_event(store, T0)
    clips.event_raised(event.id, T0)
    EncodingCamera(clips, fps=5).run(T0 - 1, T0 + 2)
    recorder.close()
    assert recorder.clips_filed == 1
    assert seen == [max(ENCODER_NICENESS, caller)]
    assert niceness() == caller  # only the encoder thread yields


def test_finished_clip_starts_at_a_key_frame_and_covers_its_window() -> None:
    got: list[FinishedClip] = []
    clips = CameraClips("cam", ClipSettings(pre_s=1, post_s=1, fps=4), got.append)
    camera = EncodingCamera(clips, fps=8, gop=4)
    camera.run(0.0, 1.0)
    clips.event_raised("e", 1.0)
    camera.run(1.0, 2.5)
    assert len(got) == 1 and got[0].complete
    (run,) = got[0].runs
    times = [p.timestamp for p in run.packets]
    assert run.packets[0].keyframe and times[0] <= got[0].start_ts == 0.0
    assert times == sorted(times) and times[-1] == 2.0 == got[0].end_ts


# -- the sink starts clips ------------------------------------------------------------------


def test_sink_starts_a_clip_for_each_raised_event(store: EventStore) -> None:
    recorder = ClipRecorder(store, ClipSettings(pre_s=1, post_s=1, fps=5))
    clips = recorder.for_camera(CAMERA.id)
    sink = StoreSink(store, write_at_once, CAMERA, (), clips=clips)
    record = EventRecord(
        key="k1",
        camera_id=CAMERA.id,
        zone=None,
        type=EventType.EBIKE_PARKED,
        severity=Severity.HIGH,
        track_id=1,
        confidence=0.9,
        start_ts=T0 - 30,
        alert_ts=T0,
    )
    camera = EncodingCamera(clips, fps=5)
    camera.run(T0 - 1, T0)
    frame = camera_frame(T0)
    sink.handle(frame, _step(frame, [EventChange(ChangeKind.RAISED, record)]))
    camera.run(T0, T0 + 1.2)
    recorder.wait_idle(60)
    recorder.close()
    (event,) = store.list_events()
    assert event.clip_path is not None
    assert decode(store.clip_path(event.id))[0] == "h264"


def _step(frame: Frame, changes: list[EventChange]) -> PipelineStep:
    observation = Observation(
        camera_id=frame.camera_id,
        timestamp=frame.timestamp,
        width=frame.width,
        height=frame.height,
        detections=Detections.empty(()),
        image=frame.image,
    )
    return PipelineStep(observation, changes, detected=True)


# -- the dashboard serves clips with byte ranges --------------------------------------------


def test_clip_endpoint_serves_ranges_and_404s(store: EventStore) -> None:
    with_clip = raise_event(store, T0)
    without = raise_event(store, T0 + 60, type_=EventType.FLYING_WIRE)
    data = clip_bytes()
    store.record_clip(with_clip.id, data)
    with TestClient(create_app(store), base_url=LOCAL) as client:
        whole = client.get(f"/api/events/{with_clip.id}/clip.mp4")
        assert whole.status_code == 200
        assert whole.headers["content-type"] == "video/mp4"
        assert whole.headers["accept-ranges"] == "bytes"
        assert whole.content == data
        part = client.get(f"/api/events/{with_clip.id}/clip.mp4", headers={"Range": "bytes=0-99"})
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes 0-99/{len(data)}"
        assert part.content == data[:100]
        for event_id in (without.id, "nope"):
            missing = client.get(f"/api/events/{event_id}/clip.mp4")
            assert missing.status_code == 404
            assert "detail" in missing.json()
        page = client.get("/?lang=en").text
        assert page.count("<video") == 1
        assert f"/api/events/{with_clip.id}/clip.mp4" in page
        assert 'preload="none"' in page
