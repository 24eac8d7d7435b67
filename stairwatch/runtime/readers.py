"""Reader threads: one per camera, sampling its source at ``detect_fps`` into the pending slots
(faster, at ``check_fps``, on a camera with a shed zone: the frames in between feed only the fire
check, :mod:`stairwatch.cadence`).

Files are played in real time by :class:`FileReader`; live cameras (RTSP, HTTP, devices) are
read by :class:`~streams.live_source.LiveSource` threads that keep only the newest frame, and
:class:`LiveReader` takes one of those per ``1 / detect_fps`` seconds. Both hand the event clips
the camera's compressed packets (``packet_tap``), so only the frames due for detection are
converted.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from stairwatch.cadence import FrameCadence
from stairwatch.config import StreamConfig
from stairwatch.gating import gate_frame
from stairwatch.runtime.health import CameraHealth
from stairwatch.runtime.pending import PendingFrames
from stairwatch.runtime.threads import GuardedThread, Supervised, ThreadHealth
from streams.camera_streams import CameraStreams
from streams.capture import SourceKind, source_kind
from streams.decode_plan import FULL_PLAN, DecodePlan
from streams.errors import StreamError
from streams.file_source import DueSelector, FileSource
from streams.frame import Frame
from streams.live_source import LiveSource, LiveSourceConfig
from streams.packets import PacketTap
from streams.priority import lower_thread_priority
from vision.motion import MotionGate
from vision.privacy_masks import FrameMasker

log = logging.getLogger(__name__)

# A main-stream frame older than this (seconds) is not used as evidence for a sub-stream frame.
MAIN_FRAME_MAX_SKEW_S = 2.0


class Reader(Protocol):
    def supervised(self) -> list[Supervised]:
        """The reader's threads, for the supervisor."""
        ...

    def start(self) -> None: ...

    def stop(self, timeout_s: float = 5.0) -> None: ...

    def set_plan(self, plan: DecodePlan) -> None:
        """How much of each group of pictures to decode from now on (any thread)."""
        ...


class StreamReaderThread:
    """A live camera's stream reader thread (owned by :class:`LiveSource`) as a
    :class:`Supervised` thread: dead when an unexpected error ended it, restarted by revival."""

    def __init__(self, source: LiveSource, role: str):
        self.name = f"stream-{source.camera_id}-{role}"
        self._source = source

    @property
    def dead(self) -> bool:
        return self._source.reader_state().dead

    def restart(self) -> None:
        self._source.revive()

    def health(self) -> ThreadHealth:
        state = self._source.reader_state()
        return ThreadHealth(
            self.name, state.alive, state.revivals, state.last_crash, state.crashed_at
        )


def is_live(source: str) -> bool:
    """RTSP, HTTP and devices are live; anything else is a file path."""
    return source_kind(source) is not SourceKind.FILE


# Up to this detection rate (frames/s) a camera's non-reference pictures are not decoded: any
# usual stream has more reference pictures a second than that (I- and P-frames).
SKIP_NONREF_MAX_FPS = 5.0


def live_source_config(stream: StreamConfig, detect_fps: float) -> LiveSourceConfig:
    return LiveSourceConfig(
        open_timeout_s=stream.open_timeout_s,
        read_timeout_s=stream.read_timeout_s,
        stall_after_s=stream.stall_after_s,
        probe_interval_s=stream.probe_interval_s,
        skip_nonref=detect_fps <= SKIP_NONREF_MAX_FPS,
        hwaccel=stream.hwaccel,
        sample_fps=detect_fps,
    )


class FrameIntake:
    """What a reader does with each sampled frame: mask it, gate it, count it, queue it,
    remember it.

    Every frame a reader takes goes through :meth:`shown` (the camera's privacy masks blacked
    out), and only that picture is kept for the live view and used as evidence (clips, made from
    the camera's packets, are masked when encoded); the detector gets the same picture unless a
    mask lets it see through (then its own copy). Only the camera's reader thread calls
    :meth:`accept`, :meth:`shown` and :meth:`main_frame_arrived`; ``last_frame`` and
    :meth:`evidence_image` may be read from any thread (attribute reads are atomic).
    """

    def __init__(
        self,
        pending: PendingFrames,
        health: CameraHealth,
        gate: MotionGate | None,
        has_live_tracks: Callable[[], bool],
        masker: FrameMasker | None = None,
    ):
        self._pending = pending
        self._health = health
        self._gate = gate
        self._has_live_tracks = has_live_tracks
        self._masker = masker or FrameMasker()
        self.last_frame: Frame | None = None
        self.last_main_frame: Frame | None = None
        self._last_ran = True  # the motion gate's last decision

    def shown(self, frame: Frame) -> Frame:
        """``frame`` as it may be stored or shown: the privacy masks black (no copy without)."""
        if not self._masker.active:
            return frame
        return dataclasses.replace(frame, image=self._masker.hide(frame.image))

    def main_frame_arrived(self, frame: Frame) -> None:
        """Keep the main stream's newest frame (masked) as evidence."""
        self.last_main_frame = self.shown(frame)

    def accept(self, frame: Frame, full: bool = True) -> None:
        """Queue ``frame`` (as the reader got it) for detection; with ``full`` False, for the fire
        check alone (no motion gate, not counted as a sampled frame)."""
        shown = self.shown(frame)
        detect = shown
        if self._masker.detector_sees_more:
            detect = dataclasses.replace(frame, image=self._masker.for_detection(frame.image))
        if full:
            run, urgent = gate_frame(self._gate, detect, self._has_live_tracks())
            self._last_ran = run
            self._health.frame_arrived(run)
            self._pending.put(detect, run, urgent)
        else:
            self._pending.put(detect, False, urgent=False, check_only=True)
        self.last_frame = shown

    def left_out(self, position_s: float) -> None:
        """A frame due at ``position_s`` was not decoded (the decode plan): a due detection not
        run when the camera's last frame needed one (it is not known for this one)."""
        if self._last_ran:
            self._health.due_left_out()

    def evidence_image(self, frame: Frame | None) -> NDArray[np.uint8] | None:
        """The best picture for a snapshot of ``frame`` (a frame queued for detection; None: the
        last good frame), masked: the main stream's frame of about the same time when there is
        one, else the frame itself."""
        main = self.last_main_frame
        reference = frame or self.last_frame
        if main is not None and (
            reference is None or abs(main.timestamp - reference.timestamp) <= MAIN_FRAME_MAX_SKEW_S
        ):
            return main.image
        if frame is None:
            return None if reference is None else reference.image
        # The detector's copy shows what detect_through masks hide from everyone else.
        return self._masker.hide(frame.image) if self._masker.detector_sees_more else frame.image


class FileReader:
    """Plays a video file in real time (looping if asked) as if it were a camera; ``check_fps``:
    the fire check's rate when faster than ``detect_fps`` (:mod:`stairwatch.cadence`)."""

    def __init__(
        self,
        camera_id: str,
        path: Path,
        detect_fps: float,
        loop: bool,
        intake: FrameIntake,
        health: CameraHealth,
        packet_tap: PacketTap | None = None,
        check_fps: float | None = None,
    ):
        self._camera_id = camera_id
        self._path = path
        self._detect_fps = detect_fps
        self._check_fps = check_fps
        self._loop = loop
        self._intake = intake
        self._health = health
        self._packet_tap = packet_tap
        self._plan = FULL_PLAN
        self._stop = threading.Event()
        self.thread = GuardedThread(f"reader-{camera_id}", self._run)

    def supervised(self) -> list[Supervised]:
        return [self.thread]

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self.thread.join(timeout_s)

    def set_plan(self, plan: DecodePlan) -> None:
        self._plan = plan  # one reference assigned: atomic, read by the reader's thread

    def _run(self) -> None:
        lower_thread_priority()
        cadence = FrameCadence(self._detect_fps, self._check_fps)
        try:
            with FileSource(
                self._path,
                self._camera_id,
                realtime=True,
                loop=self._loop,
                sample_fps=cadence.sample_fps,
                packet_tap=self._packet_tap,
                plan=lambda: self._plan,
                on_skipped_due=self._intake.left_out,
                sleep=self._stop.wait,  # pacing waits up to a group of pictures: end it on stop
            ) as source:
                for frame in source:  # only the frames due for detection or the fire check
                    if self._stop.is_set():
                        return
                    self._intake.accept(frame, cadence.full(frame.position_s))
        except StreamError as exc:
            log.error("camera %s: %s", self._camera_id, exc)
            self._health.went_offline(str(exc))
            return
        self._health.went_offline("end of file")


class LiveReader:
    """A live camera: :class:`CameraStreams` read continuously (the sub-stream, when given, for
    detection; the main stream for evidence), sampled at ``detect_fps`` (or the fire check's
    faster ``check_fps``, :mod:`stairwatch.cadence`) by one more thread."""

    def __init__(
        self,
        streams: CameraStreams,
        detect_fps: float,
        intake: FrameIntake,
        check_fps: float | None = None,
    ):
        self.streams = streams
        self._cadence = FrameCadence(detect_fps, check_fps)
        self._sample_fps = self._cadence.sample_fps
        self._period_s = 1.0 / self._sample_fps
        self._intake = intake
        self._plan = FULL_PLAN
        self._stop = threading.Event()
        self.thread = GuardedThread(f"sampler-{streams.camera_id}", self._run)
        self._stream_threads = [StreamReaderThread(streams.detect, "detect")]
        if streams.has_substream:
            self._stream_threads.append(StreamReaderThread(streams.snapshot, "main"))

    def supervised(self) -> list[Supervised]:
        return [self.thread, *self._stream_threads]

    def start(self) -> None:
        self.streams.start()
        self.thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self.thread.join(timeout_s)
        try:
            self.streams.stop()
        except StreamError as exc:
            log.warning("camera %s: %s", self.streams.camera_id, exc)

    def set_plan(self, plan: DecodePlan) -> None:
        self._plan = plan
        self.streams.detect.set_plan(plan)

    def _run(self) -> None:
        next_at = time.monotonic()
        # Due by the monotonic clock: capture times are wall-clock and may step back.
        due = DueSelector(self._sample_fps, half_frame_s=0.5 * self._period_s)
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            frame = self.streams.detect.wait(timeout_s=0.5)
            if self.streams.has_substream:
                main = self.streams.snapshot.take()
                if main is not None:
                    self._intake.main_frame_arrived(main)
            if frame is None:
                if not self._plan.full:  # a due frame the decode plan left out
                    self._intake.left_out(time.monotonic())
                next_at = time.monotonic()  # take the next frame as soon as it comes
                continue
            now = time.monotonic()
            if due.due(now):
                self._intake.accept(frame, self._cadence.full(now))
            # Keep the cadence; after a gap (reconnect) start afresh rather than catch up.
            next_at = max(next_at + self._period_s, time.monotonic())
