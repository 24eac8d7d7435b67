"""Frames from a video file, decoded with PyAV (FFmpeg) for the video's own timestamps."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import av.container
import av.error
import av.video
import av.video.frame
import av.video.stream
import cv2
import numpy as np
from numpy.typing import NDArray

from streams.decode_plan import FULL_PLAN, DecodePlan, GopSkipper
from streams.errors import SourceOpenError, SourceReadError
from streams.frame import Frame
from streams.packets import PacketTap, packet_of, params_of

_DEFAULT_FPS = 25.0


class FileSource:
    """Iterable of :class:`Frame` read from one video file.

    ``timestamp = start_time + position_s``; ``position_s`` comes from the frame PTS (seconds
    from the first frame), or ``index / fps`` where the file has none. With ``loop=True`` the file
    starts again at its end and ``position_s`` and ``index`` keep increasing. With ``sample_fps``
    only the frames due at that rate are converted to BGR and yielded: the others are decoded
    only when a later due frame needs them (no group of pictures' tail after its last due frame,
    :class:`~streams.decode_plan.GopSkipper`), never converted. ``plan`` (read at every packet)
    may limit decoding further under overload; a due frame it leaves out goes to
    ``on_skipped_due`` (its position) instead. ``realtime=True`` sleeps so frames come out at
    the video's own pace.
    With ``packet_tap`` every compressed packet is handed to it as it is demuxed (timestamps on
    the frames' clock), before the frames it holds come out.

    Iterate once, from one thread; the file is opened in the constructor (raising
    :class:`SourceOpenError`). ``close()`` between frames ends the iteration.
    """

    def __init__(
        self,
        path: Path,
        camera_id: str,
        realtime: bool = False,
        loop: bool = False,
        start_time: float | None = None,
        sample_fps: float | None = None,
        *,
        packet_tap: PacketTap | None = None,
        plan: Callable[[], DecodePlan] | None = None,
        on_skipped_due: Callable[[float], None] | None = None,
        sleep: Callable[[float], object] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if sample_fps is not None and sample_fps <= 0:
            raise ValueError(f"sample_fps must be > 0, got {sample_fps}")
        self.path = Path(path)
        self.camera_id = camera_id
        self.realtime = realtime
        self.loop = loop
        self.sample_fps = sample_fps
        self.packet_tap = packet_tap
        self.plan = plan
        self.on_skipped_due = on_skipped_due
        self.decoded_frames = 0  # pictures decoded so far (converted or not)
        self.start_time = time.time() if start_time is None else float(start_time)
        self._sleep = sleep
        self._monotonic = monotonic
        self._container, self._stream = _open_video(self.path)
        self._closed = False

    # -- properties -------------------------------------------------------------------------

    @property
    def fps(self) -> float:
        """Average frame rate (frames per second); 25 when the file does not say."""
        rate = self._stream.average_rate or self._stream.guessed_rate
        return float(rate) if rate else _DEFAULT_FPS

    @property
    def duration_s(self) -> float:
        """Length of the video in seconds (stream duration, else container duration)."""
        stream = self._stream
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        if self._container.duration is not None:
            return self._container.duration / av.time_base
        return self._stream.frames / self.fps if self._stream.frames else 0.0

    @property
    def frame_count(self) -> int:
        """Frames in one pass (from the header, else estimated from duration and fps)."""
        return int(self._stream.frames) or round(self.duration_s * self.fps)

    @property
    def width(self) -> int:
        return int(self._stream.codec_context.width)

    @property
    def height(self) -> int:
        return int(self._stream.codec_context.height)

    # -- iteration --------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Frame]:
        return self._frames()

    def _frames(self) -> Iterator[Frame]:
        index = 0
        loop_offset = 0.0
        selector = DueSelector(self.sample_fps, half_frame_s=0.5 / self.fps)
        period = None if self.sample_fps is None else 1.0 / self.sample_fps
        skipper = GopSkipper(0.5 / self.fps, period)
        pacer = _Pacer(self._sleep, self._monotonic) if self.realtime else None
        while not self._closed:
            last_position = loop_offset
            skipper.restart()
            for video_frame, position in self._decode_pass(index, loop_offset, selector, skipper):
                at = loop_offset + position
                # the pass's last picture shown: a packet left out may be a B-frame shown earlier
                last_position = max(last_position, at)
                index += 1
                if video_frame is None or not selector.due(at):
                    continue
                if pacer is not None:
                    pacer.wait_until(at)
                image = to_bgr(video_frame)
                yield Frame(self.camera_id, image, self.start_time + at, at, index - 1)
                if self._closed:  # decoding from a closed container crashes PyAV
                    return
            if not self.loop or index == 0:
                return
            loop_offset = last_position + 1.0 / self.fps
            self._reopen()

    def _decode_pass(
        self, first_index: int, loop_offset: float, selector: DueSelector, skipper: GopSkipper
    ) -> Iterator[tuple[av.video.frame.VideoFrame | None, float]]:
        """(frame, seconds from the first frame of this pass) for one pass over the file; the
        frame is None for a packet not decoded (no due frame needs it, :class:`GopSkipper`)."""
        stream = self._stream
        time_base = stream.time_base or Fraction(1, 1)
        tap = self.packet_tap
        if tap is not None:
            tap.stream_started(params_of(stream))
        origin: int | None = None
        count = 0
        try:
            for packet in self._container.demux(stream):
                if packet.size:
                    if packet.pts is not None:
                        origin = packet.pts if origin is None else origin
                        at = float((packet.pts - origin) * time_base)
                    else:
                        at = count / self.fps
                    if tap is not None:
                        tap.observe_packet(packet_of(packet, self.start_time + at + loop_offset))
                    if not self._wanted(packet.is_keyframe, at + loop_offset, selector, skipper):
                        count += 1
                        yield None, at
                        continue
                for video_frame in packet.decode():
                    self.decoded_frames += 1
                    if video_frame.pts is None:
                        position = count / self.fps
                    else:
                        origin = video_frame.pts if origin is None else origin
                        position = float((video_frame.pts - origin) * time_base)
                    count += 1
                    yield video_frame, position
        except av.error.FFmpegError as exc:
            where = f"{self.path}: decoding failed at frame {first_index + count}"
            raise SourceReadError(f"{where}: {exc}") from exc

    def _wanted(
        self, keyframe: bool, position_s: float, selector: DueSelector, skipper: GopSkipper
    ) -> bool:
        """Whether to decode the packet at ``position_s``; a frame due there but left out by
        the decode plan is reported to ``on_skipped_due``."""
        plan = self.plan() if self.plan is not None else FULL_PLAN
        if skipper.decode(position_s, keyframe, selector.next_due_s, plan):
            return True
        if selector.due(position_s) and self.on_skipped_due is not None:
            self.on_skipped_due(position_s)
        return False

    def _reopen(self) -> None:
        self._container.close()
        self._container, self._stream = _open_video(self.path)

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._container.close()

    def __enter__(self) -> FileSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class DueSelector:
    """Picks the frames due at ``sample_fps`` (None: every frame): the first frame at or after
    each due time (within ``half_frame_s``, so rounding in the PTS does not push a pick one frame
    late). Positions are seconds and must not decrease."""

    def __init__(self, sample_fps: float | None, half_frame_s: float) -> None:
        self._period = None if sample_fps is None else 1.0 / sample_fps
        self._slack = half_frame_s
        self._next: float | None = None

    @property
    def next_due_s(self) -> float | None:
        """The position from which (less the slack) the next frame is due; None: every frame
        is, or none was seen yet."""
        return None if self._period is None else self._next

    def due(self, position_s: float) -> bool:
        if self._period is None:
            return True
        if self._next is None:
            self._next = position_s
        if position_s < self._next - self._slack:
            return False
        while self._next <= position_s + self._slack:
            self._next += self._period
        return True


class _Pacer:
    """Sleeps so position ``p`` is released ``p`` seconds after the first one."""

    def __init__(self, sleep: Callable[[float], object], monotonic: Callable[[], float]) -> None:
        self._sleep = sleep
        self._monotonic = monotonic
        self._origin: float | None = None

    def wait_until(self, position_s: float) -> None:
        now = self._monotonic()
        if self._origin is None:
            self._origin = now - position_s
            return
        delay = self._origin + position_s - now
        if delay > 0:
            self._sleep(delay)


def _open_video(path: Path) -> tuple[av.container.InputContainer, av.video.VideoStream]:
    if not path.exists():
        raise SourceOpenError(f"{path}: no such file")
    if path.is_dir():
        raise SourceOpenError(f"{path}: is a directory, not a video")
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, OSError) as exc:
        raise SourceOpenError(f"{path}: cannot open as a video: {exc}") from exc
    if not container.streams.video:
        container.close()
        raise SourceOpenError(f"{path}: has no video stream")
    stream = container.streams.video[0]
    single_threaded(stream)
    return container, stream


def single_threaded(stream: av.video.stream.VideoStream) -> None:
    """Decode ``stream`` on the reading thread alone: a box reads many cameras at once, so
    their readers keep its cores busy; FFmpeg's own threads (frame threads cost 50 % more CPU
    a frame on small streams; slice threads, its default here, idle on one-slice pictures)
    would only add a few threads a camera to switch between."""
    stream.codec_context.thread_count = 1


def to_bgr(video_frame: av.video.frame.VideoFrame) -> NDArray[np.uint8]:
    """(H, W, 3) uint8 BGR. The usual yuv420p goes through OpenCV, twice as fast as swscale."""
    even = video_frame.width % 2 == 0 and video_frame.height % 2 == 0
    if video_frame.format.name == "yuv420p" and even:
        planes = video_frame.to_ndarray(format="yuv420p")
        return np.asarray(cv2.cvtColor(planes, cv2.COLOR_YUV2BGR_I420), np.uint8)
    return np.asarray(video_frame.to_ndarray(format="bgr24"), np.uint8)
