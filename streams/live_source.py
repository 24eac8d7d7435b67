"""A live camera read by one thread: reconnects, stall watchdog, latest-frame hand-off, health.

The decisions live in pure pieces (:func:`next_backoff`, :class:`StallWatchdog`,
:class:`HealthTracker`); this module only runs them on a thread around a PyAV (FFmpeg) demuxer
and decoder. Every packet is decoded (the codec needs them all) but a picture is converted to
BGR only when the consumer takes it; a packet tap gets the compressed packets themselves.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from dataclasses import dataclass
from types import TracebackType

import av
import av.container
import av.error
import av.packet
import av.video.frame
import av.video.stream
import numpy as np

from streams.av_open import HwAccel, open_stream, parse_ffmpeg_options, pick_hwaccel
from streams.backoff import next_backoff
from streams.capture import DEFAULT_FFMPEG_OPTIONS, CaptureTimeouts, SourceKind, source_kind
from streams.decode_plan import FULL_PLAN, DecodePlan, GopSkipper
from streams.errors import StreamError
from streams.file_source import DueSelector, single_threaded, to_bgr
from streams.frame import Frame
from streams.health import HealthSnapshot, HealthTracker
from streams.latest import Latest
from streams.packets import PacketTap, packet_of, params_of
from streams.priority import lower_thread_priority
from streams.probe import accepts_connections, endpoint_of
from streams.redact import redact_text, redact_url
from streams.stall import StallWatchdog

log = logging.getLogger(__name__)

_DEFAULT_FPS = 15.0  # a stream that does not say its rate


@dataclass(frozen=True)
class ReaderState:
    """The reader thread, for whoever supervises it: ``dead`` (ended without ``stop()``),
    ``revivals`` so far, the error that last ended it and when (``time.monotonic()``)."""

    alive: bool
    dead: bool
    revivals: int
    last_crash: str | None
    crashed_at: float | None


@dataclass(frozen=True)
class LiveSourceConfig:
    """Timeouts and retry policy, in seconds.

    Attributes:
        open_timeout_s: longest an open (connect, RTSP handshake, stream probe) may block.
        read_timeout_s: longest a read may wait for data before it fails.
        stall_after_s: no new frame for this long (even if reads succeed) means offline.
        backoff_base_s / backoff_cap_s: reconnect delays, see :func:`next_backoff`.
        probe_interval_s: while waiting to reconnect to a server that did not answer, check its
            port this often and reconnect as soon as it accepts (0: just wait).
        ffmpeg_options: FFmpeg options as ``key;value|key;value`` (RTSP and HTTP sources).
        keyframes_only: decode key frames only (the main stream of a camera with a sub-stream:
            evidence pictures, not every frame, for a fraction of the decoding).
        skip_nonref: leave out pictures no other picture is predicted from (B-frames, where
            the camera sends them): a low detection rate never needs them, and they are most of
            the decoding of such a stream. Their packets still reach the packet tap (clips).
        hwaccel: decode on a GPU or Quick Sync where the machine has one (see :class:`HwAccel`),
            falling back to software when it cannot.
        sample_fps: the rate the consumer takes frames at; a decode plan
            (:meth:`LiveSource.set_plan`) counts its share of due frames at this rate.
    """

    open_timeout_s: float = 10.0
    read_timeout_s: float = 10.0
    stall_after_s: float = 10.0
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    probe_interval_s: float = 1.0
    ffmpeg_options: str = DEFAULT_FFMPEG_OPTIONS
    keyframes_only: bool = False
    skip_nonref: bool = False
    hwaccel: HwAccel = HwAccel.NONE
    sample_fps: float | None = None

    @property
    def timeouts(self) -> CaptureTimeouts:
        return CaptureTimeouts(self.open_timeout_s, self.read_timeout_s)


@dataclass(frozen=True, eq=False)
class _Decoded:
    """A decoded picture not yet converted to BGR, with the times a :class:`Frame` carries."""

    picture: av.video.frame.VideoFrame
    timestamp: float
    position_s: float
    index: int
    monotonic_ts: float

    def frame(self, camera_id: str) -> Frame:
        image = to_bgr(self.picture)
        return Frame(
            camera_id, image, self.timestamp, self.position_s, self.index, self.monotonic_ts
        )


class LiveSource:
    """One camera stream. ``start()`` launches the reader thread; the consumer calls ``take()``
    (or ``wait()``) for the newest frame and ``health()`` for a snapshot; ``stop()`` joins.

    Frames carry the wall clock at read as ``timestamp`` (and the monotonic clock as
    ``monotonic_ts``, which decisions run on) and seconds since the current
    connection opened as ``position_s``; ``index`` keeps counting across reconnects. Local files
    are paced to their own timestamps and start again at their end (a reconnect). Only taken
    frames are converted to BGR (on the taker's thread). With ``packet_tap`` every compressed
    packet is handed to it as read (``stream_started`` at every connection).
    """

    def __init__(
        self,
        source: str | int,
        camera_id: str,
        config: LiveSourceConfig | None = None,
        rng: random.Random | None = None,
        packet_tap: PacketTap | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.config = config or LiveSourceConfig()
        self._source = source
        self._kind = source_kind(source)
        self._rng = rng or random.Random()
        self._packet_tap = packet_tap
        self._hwaccel = pick_hwaccel(self.config.hwaccel)
        self._options = parse_ffmpeg_options(self.config.ffmpeg_options)
        self._latest: Latest[_Decoded] = Latest()
        self._health = HealthTracker(camera_id, started_at=time.time())
        self._health_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._revivals = 0
        self._last_crash: str | None = None
        self._crashed_at: float | None = None
        self._index = 0
        self._endpoint = endpoint_of(source)
        self._plan = FULL_PLAN

    @property
    def redacted_source(self) -> str:
        return redact_url(str(self._source))

    # -- consumer side ----------------------------------------------------------------------

    def take(self) -> Frame | None:
        """The newest frame not yet taken; None when nothing new arrived since the last take."""
        decoded = self._latest.take()
        return None if decoded is None else decoded.frame(self.camera_id)

    def wait(self, timeout_s: float) -> Frame | None:
        """Like :meth:`take`, waiting up to ``timeout_s`` seconds for a new frame."""
        decoded = self._latest.wait(timeout_s)
        return None if decoded is None else decoded.frame(self.camera_id)

    def set_plan(self, plan: DecodePlan) -> None:
        """Decode only ``plan``'s share of each group of pictures from now on (any thread):
        the key frame and the pictures up to the last due frame it allows, at ``sample_fps``."""
        self._plan = plan  # one reference assigned: atomic, read by the reader thread

    def health(self) -> HealthSnapshot:
        with self._health_lock:
            return self._health.snapshot(time.time())

    # -- lifetime ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise StreamError(f"{self.camera_id}: source already started")
        self._start_thread()

    def reader_state(self) -> ReaderState:
        thread = self._thread
        alive = thread is not None and thread.is_alive()
        dead = thread is not None and not alive and not self._stop.is_set()
        return ReaderState(alive, dead, self._revivals, self._last_crash, self._crashed_at)

    def revive(self) -> bool:
        """Start the reader again if an unexpected error ended it; True when it did. The reader
        never restarts itself: the caller's supervisor decides (and counts)."""
        if not self.reader_state().dead:
            return False
        self._revivals += 1
        self._start_thread()
        return True

    def _start_thread(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"stairwatch-reader-{self.camera_id}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the reader and release the capture; blocks at most one open or read timeout."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return
        limit = self.config.open_timeout_s + self.config.read_timeout_s + 5.0
        thread.join(timeout=limit)
        if thread.is_alive():
            raise StreamError(f"{self.camera_id}: reader did not stop within {limit:g} s")

    def __enter__(self) -> LiveSource:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- reader thread ----------------------------------------------------------------------

    def _run(self) -> None:
        lower_thread_priority()
        try:
            self._read_until_stopped()
        except Exception as exc:  # a bug: end the thread, tell health, let a supervisor decide
            message = redact_text(f"{self.redacted_source}: reader crashed: {exc!r}")
            self._last_crash, self._crashed_at = message, time.monotonic()
            self._failed(message)

    def _read_until_stopped(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            with self._health_lock:
                self._health.connecting()
            if self._read_one_connection():
                attempt = 0
            if self._stop.is_set():
                return
            delay = next_backoff(
                attempt, self._rng, self.config.backoff_base_s, self.config.backoff_cap_s
            )
            attempt += 1
            self._wait_to_reconnect(delay)

    def _wait_to_reconnect(self, delay_s: float) -> None:
        """Wait ``delay_s``, or less when the server was away and now accepts connections."""
        interval = self.config.probe_interval_s
        endpoint = self._endpoint
        probe_timeout = min(1.0, interval)
        if endpoint is None or interval <= 0 or accepts_connections(endpoint, probe_timeout):
            self._stop.wait(delay_s)  # up but failing: back off in full
            return
        end = time.monotonic() + delay_s
        while not self._stop.wait(max(0.0, min(interval, end - time.monotonic()))):
            if time.monotonic() >= end or accepts_connections(endpoint, probe_timeout):
                return

    def _read_one_connection(self) -> bool:
        """Open, read until failure or stop, release. True when any new frame arrived."""
        try:
            container, stream = self._open()
        except StreamError as exc:
            self._failed(str(exc))
            return False
        try:
            return self._read_frames(container, stream)
        except av.error.FFmpegError as exc:
            self._failed(redact_text(f"{self._read_failure_message()}: {exc}"))
            if self._hwaccel is not None:  # a device that opens but cannot decode this stream
                log.warning("%s: decoding in software from now on", self.redacted_source)
                self._hwaccel = None
            return False
        finally:
            container.close()

    def _open(self) -> tuple[av.container.InputContainer, av.video.stream.VideoStream]:
        timeouts, options = self.config.timeouts, self._options
        if self._hwaccel is not None:
            try:
                container, stream = open_stream(self._source, timeouts, options, self._hwaccel)
            except StreamError as exc:  # the device, not the camera, may be the problem
                log.warning("%s; trying software decoding from now on", exc)
                self._hwaccel = None
            else:
                return container, self._configured(stream)
        container, stream = open_stream(self._source, timeouts, options)
        return container, self._configured(stream)

    def _configured(self, stream: av.video.stream.VideoStream) -> av.video.stream.VideoStream:
        single_threaded(stream)
        if self.config.keyframes_only:
            stream.codec_context.skip_frame = "NONKEY"
        elif self.config.skip_nonref:
            stream.codec_context.skip_frame = "NONREF"
        if self._packet_tap is not None:
            self._packet_tap.stream_started(params_of(stream))
        return stream

    def _read_frames(
        self, container: av.container.InputContainer, stream: av.video.stream.VideoStream
    ) -> bool:
        watchdog = StallWatchdog(self.config.stall_after_s)
        opened_mono = time.monotonic()
        opened_wall = time.time()
        watchdog.reset(opened_mono)
        got_any = False
        tap = self._packet_tap
        planner = _Planner(stream, self.config.sample_fps)
        for packet in container.demux(stream):
            if self._stop.is_set():
                return got_any
            if tap is not None and packet.size:
                tap.observe_packet(packet_of(packet, time.time()))
            if not planner.decode(packet, self._plan):
                continue
            for picture in packet.decode():
                now_mono, now_wall = time.monotonic(), time.time()
                pts = picture.time
                if watchdog.observe(now_mono, pts, picture_fingerprint(picture)):
                    got_any = True
                    self._publish(picture, now_wall, now_wall - opened_wall, now_mono)
                    if self._kind is SourceKind.FILE and pts is not None:
                        self._stop.wait(max(0.0, opened_mono + pts - time.monotonic()))
            if watchdog.stalled(time.monotonic()):
                self._failed(
                    f"{self.redacted_source}: stalled, no new frame for "
                    f"{self.config.stall_after_s:g} s"
                )
                return got_any
        if not self._stop.is_set():
            self._failed(self._read_failure_message())
        return got_any

    def _publish(
        self,
        picture: av.video.frame.VideoFrame,
        timestamp: float,
        position: float,
        monotonic_ts: float,
    ) -> None:
        decoded = _Decoded(picture, timestamp, position, self._index, monotonic_ts)
        self._index += 1
        replaced = self._latest.put(decoded)
        with self._health_lock:
            self._health.frame(timestamp, replaced_untaken=replaced)

    def _failed(self, message: str) -> None:
        with self._health_lock:
            self._health.failed(time.time(), message)

    def _read_failure_message(self) -> str:
        if self._kind is SourceKind.FILE:
            return f"{self.redacted_source}: end of file"
        return (
            f"{self.redacted_source}: read failed (connection lost, stream ended, "
            f"or no data for {self.config.read_timeout_s:g} s)"
        )


class _Planner:
    """A live stream's :class:`GopSkipper`, fed with due times at the consumer's rate on the
    packets' own clock; decodes everything while the plan is full (the consumer takes frames
    by its own clock, so no group's tail is known to be unneeded)."""

    def __init__(self, stream: av.video.stream.VideoStream, sample_fps: float | None) -> None:
        rate = float(stream.average_rate or stream.guessed_rate or _DEFAULT_FPS)
        self._time_base = float(stream.time_base or 0.0)
        period = None if sample_fps is None else 1.0 / sample_fps
        self._skipper = GopSkipper(0.5 / rate, period)
        self._due = DueSelector(sample_fps, half_frame_s=0.5 / rate)

    def decode(self, packet: av.packet.Packet, plan: DecodePlan) -> bool:
        if plan.full or packet.pts is None or not self._time_base or not packet.size:
            self._skipper.restart()  # the next plan starts at a key frame
            return True
        position = packet.pts * self._time_base
        keep = self._skipper.decode(position, packet.is_keyframe, self._due.next_due_s, plan)
        self._due.due(position)
        return keep


def picture_fingerprint(picture: av.video.frame.VideoFrame, step: int = 4) -> bytes:
    """8-byte hash of every ``step``-th row and column of the first plane (luma for YUV
    pictures), without converting the picture."""
    plane = picture.planes[0]
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
    sample = np.ascontiguousarray(rows[::step, : plane.width : step])
    return hashlib.blake2b(sample.tobytes(), digest_size=8).digest()
