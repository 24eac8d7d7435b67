"""Evidence clips: per-camera rings of the camera's own compressed packets, fed by its reader,
and an encoder that files clips.

Wiring (one :class:`ClipRecorder` per service)::

    recorder = ClipRecorder(store, ClipSettings())
    clips = recorder.for_camera(camera_id, hide)  # the source's packet tap
    source = FileSource(path, camera_id, packet_tap=clips)  # or CameraStreams(..., packet_tap=)
    sink = StoreSink(store, submit, info, zones, clips=clips)  # calls event_raised
    ...
    recorder.close()                           # after the readers stopped: files what is left
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from alerts.errors import StoreError
from alerts.store import EventStore
from stairwatch.media.errors import ClipError
from stairwatch.media.packet_clip import Hide, PacketClipMp4, mp4_from_packets
from stairwatch.media.packet_ring import PacketRing
from stairwatch.media.recording import FinishedClip, PacketRecording
from stairwatch.media.settings import ClipSettings
from streams.packets import StreamPacket, StreamParams
from streams.priority import thread_niceness_at_least

log = logging.getLogger(__name__)

ENCODER_NICENESS = 15
"""Nice value of the encoder thread. Clips are evidence that can wait a few seconds; detection
cannot, so under full load the encoder gets only the CPU that detection leaves."""


@dataclass(frozen=True)
class ClipStats:
    """The encoder's queue and outcomes: clips ``waiting`` (the oldest handed over
    ``oldest_wait_s`` seconds ago; 0 when none), ``filed``, ``failed`` and the last failure."""

    waiting: int
    oldest_wait_s: float
    filed: int
    failed: int
    last_error: str | None
    remuxed: int = 0  # of the filed: the camera's own H.264 copied, not encoded again


class CameraClips:
    """One camera's packet ring and the clips being gathered. Thread-safe: the reader calls
    :meth:`stream_started` and :meth:`observe_packet` (the source's packet tap, see
    :class:`~streams.packets.PacketTap`), the recorder thread :meth:`event_raised`.

    Packets before the first :meth:`stream_started` are ignored: nothing could decode them.
    """

    def __init__(
        self,
        camera_id: str,
        settings: ClipSettings,
        on_finished: Callable[[FinishedClip], None],
        hide: Hide | None = None,
    ):
        self.camera_id = camera_id
        self.hide = hide  # the camera's privacy masks, for clips made from its packets
        self._settings = settings
        self._on_finished = on_finished
        self._packets = PacketRing(settings.pre_s + settings.lag_s)
        self._recordings: list[PacketRecording] = []
        self._lock = threading.Lock()

    def stream_started(self, params: StreamParams) -> None:
        with self._lock:
            self._packets.stream_started(params)
            for recording in self._recordings:
                recording.stream_started(params)

    def observe_packet(self, packet: StreamPacket) -> None:
        with self._lock:
            self._packets.push(packet)
            if not self._recordings:
                return
            done = [r for r in self._recordings if r.offer(packet)]
            self._recordings = [r for r in self._recordings if not r.done]
        for recording in done:
            self._on_finished(recording.finish())

    def event_raised(self, event_id: str, alert_ts: float) -> None:
        """Start the clip of a new event: what the ring holds since ``pre_s`` before the alert,
        then what the reader hands over until ``post_s`` after it."""
        s = self._settings
        with self._lock:
            runs = self._packets.since(alert_ts - s.pre_s)
            recording = PacketRecording(event_id, self.camera_id, alert_ts, s.pre_s, s.post_s, runs)
            if not recording.done:
                self._recordings.append(recording)
        if recording.done:  # detection lagged the reader by more than post_s
            self._on_finished(recording.finish())

    def flush(self) -> None:
        """Hand over every clip still being gathered, cut short (shutdown, end of a file)."""
        with self._lock:
            pending, self._recordings = self._recordings, []
        for recording in pending:
            if len(recording):
                self._on_finished(recording.finish())


class ClipRecorder:
    """Owns the cameras' :class:`CameraClips` and one encoder thread that files their clips in
    the store (:meth:`EventStore.record_clip`)."""

    def __init__(self, store: EventStore, settings: ClipSettings | None = None):
        self._store = store
        self.settings = settings or ClipSettings()
        self._cameras: dict[str, CameraClips] = {}
        self._encoder = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="clip-encoder", initializer=_yield_cpu
        )
        self._pending: dict[Future[None], float] = {}  # -> handed over at (time.monotonic())
        self._lock = threading.Lock()
        self.clips_filed = 0
        self._failed = 0
        self._last_error: str | None = None
        self._remuxed = 0

    def stats(self) -> ClipStats:
        now = time.monotonic()
        with self._lock:
            oldest = min(self._pending.values(), default=now)
            return ClipStats(
                len(self._pending),
                now - oldest,
                self.clips_filed,
                self._failed,
                self._last_error,
                self._remuxed,
            )

    def for_camera(self, camera_id: str, hide: Hide | None = None) -> CameraClips:
        """The camera's clips (created on first use): its source's packet tap and the sink's
        hook; ``hide`` blacks out its privacy masks when a clip's packets are decoded."""
        with self._lock:
            if camera_id not in self._cameras:
                self._cameras[camera_id] = CameraClips(camera_id, self.settings, self._submit, hide)
            return self._cameras[camera_id]

    def close(self) -> None:
        """Encode and file every clip gathered so far, then stop the encoder thread."""
        with self._lock:
            cameras = list(self._cameras.values())
        for clips in cameras:
            clips.flush()
        self._encoder.shutdown(wait=True)

    def wait_idle(self, timeout_s: float | None = None) -> None:
        """Block until the clips submitted so far are filed (or failed)."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.exception(timeout_s)

    def _submit(self, clip: FinishedClip) -> None:
        try:
            future = self._encoder.submit(self._file, clip)
        except RuntimeError:  # closed: a reader outlived the recorder
            log.warning("clip of event %s dropped: the recorder is closed", clip.event_id)
            return
        with self._lock:
            self._pending[future] = time.monotonic()
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.pop(future, None)

    def _file(self, clip: FinishedClip) -> None:
        try:
            made = self._mp4(clip)
            self._store.record_clip(clip.event_id, made.data)
        except Exception as exc:  # counted for the health report; the encoder goes on
            expected = isinstance(exc, ClipError | StoreError)
            log.error("clip of event %s not kept: %s", clip.event_id, exc, exc_info=not expected)
            with self._lock:
                self._failed += 1
                self._last_error = str(exc) if expected else f"{type(exc).__name__}: {exc}"
            return
        self.clips_filed += 1
        self._remuxed += made.remuxed
        log.info(
            "clip of event %s: %d frames, %d kB, %s%s",
            clip.event_id,
            made.frames,
            len(made.data) // 1024,
            "copied" if made.remuxed else "encoded",
            "" if clip.complete else " (cut short)",
        )

    def _mp4(self, clip: FinishedClip) -> PacketClipMp4:
        camera = self._cameras.get(clip.camera_id)
        hide = camera.hide if camera is not None else None
        return mp4_from_packets(clip.runs, clip.start_ts, clip.end_ts, self.settings, hide)


def _yield_cpu() -> None:
    """Lower the calling thread's priority to :data:`ENCODER_NICENESS` (threads it starts,
    such as the encoder's, inherit it). Elsewhere a no-op."""
    thread_niceness_at_least(ENCODER_NICENESS)
