"""The running service: readers, the inference workers, per-camera pipelines and sinks.

Threads: one reader per camera (live cameras add their stream readers), ``inference.workers``
inference threads on one detector, one watch thread that feeds the ``camera_offline`` rule, one
recorder writing event changes to the store, and one clip encoder. A supervisor thread restarts
any of the reader (live stream readers included), inference, watch and recorder threads (and the
notification dispatchers it is given) that dies, and keeps the list of health problems current.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from alerts.events import EventChange, EventType
from alerts.fleet import Fence
from alerts.rules import smoke_fire
from alerts.store import CameraInfo, EventStore
from stairwatch.config import CameraConfig, Settings, usable_cores
from stairwatch.gating import motion_gate
from stairwatch.media.clips import ClipRecorder
from stairwatch.pipeline import CameraPipeline
from stairwatch.runtime.adopt import Adoptions
from stairwatch.runtime.capacity import CameraRate, CapacityWatch
from stairwatch.runtime.clip_metrics import ClipCollector
from stairwatch.runtime.decode_budget import DecodeBudget
from stairwatch.runtime.health import CameraHealth, HealthSnapshot
from stairwatch.runtime.metrics import RuntimeMetrics
from stairwatch.runtime.offline import OfflineWatch, placeholder_image
from stairwatch.runtime.pending import PendingFrames
from stairwatch.runtime.problems import (
    HealthProblem,
    RecentRise,
    StallWatch,
    clip_problems,
    failing_steps,
    find_problems,
)
from stairwatch.runtime.readers import (
    FileReader,
    FrameIntake,
    LiveReader,
    Reader,
    is_live,
    live_source_config,
)
from stairwatch.runtime.recorder import Recorder
from stairwatch.runtime.restart import STARTUP_MARGIN_S, end_open_events, raise_after_s
from stairwatch.runtime.sink import StoreSink
from stairwatch.runtime.threads import GuardedThread, Supervised, Supervisor, ThreadHealth
from stairwatch.runtime.worker import CameraLane, Detector, InferenceWorker
from streams.camera_streams import CameraStreams
from streams.frame import Frame
from streams.health import HealthSnapshot as StreamHealth
from vision.bytetrack import ByteTrackConfig
from vision.kinds import KindMapper

log = logging.getLogger(__name__)

WATCH_PERIOD_S = 0.5
RaisedHook = Callable[[EventChange], None]


@dataclass
class _Camera:
    """One camera's parts. ``watch`` is None for file cameras (they end, they do not go offline)."""

    config: CameraConfig
    lane: CameraLane
    sink: StoreSink
    intake: FrameIntake
    reader: Reader
    watch: OfflineWatch | None
    active: bool = True


class Service:
    """Wires cameras to the detector, the rules and the store. ``start()`` / ``stop()``.

    ``on_raised`` is called (from the recorder thread) after each new event is stored;
    the worker keeps the frame ages of the last ``age_window`` detections. ``supervise`` are
    more threads for the supervisor to restart (the notification dispatchers, the dashboard
    process), and
    ``more_problems(now)`` more health problems (stuck deliveries, stopped schedulers; ``now``
    is ``time.monotonic()``).

    With ``fleet`` (a node of a fleet), no camera runs at start: the lease manager
    (:mod:`stairwatch.runtime.fleet`) calls :meth:`take` and :meth:`drop` as leases come and go,
    and events left open stay open for the camera's next node to carry on.
    """

    def __init__(
        self,
        settings: Settings,
        detector: Detector,
        model_class_names: tuple[str, ...],
        store: EventStore,
        on_raised: RaisedHook | None = None,
        age_window: int = 2000,
        supervise: Callable[[], Sequence[Supervised]] = list,
        more_problems: Callable[[float], list[HealthProblem]] = lambda now: [],
        fleet: bool = False,
    ):
        self.settings = settings
        self._fleet = fleet
        self._store = store
        self._pending = PendingFrames()
        self.recorder = Recorder(settings.storage.recorder_queue)
        self.metrics = RuntimeMetrics(
            self.health, self.recorder.stats, self.threads, lambda: self.detection_rates()
        )
        self._on_raised = on_raised
        self._mapper = KindMapper(model_class_names, settings.model.kind_map())
        self.clips = ClipRecorder(store, settings.clips) if settings.clips.enabled else None
        if self.clips is not None:
            self.metrics.registry.register(ClipCollector(self.clips.stats))
        self._cameras = {c.id: self._camera(c, None) for c in settings.cameras}
        for camera in self._cameras.values():
            camera.active = not fleet
        self._lanes = {camera_id: camera.lane for camera_id, camera in self._cameras.items()}
        self._fleet_lock = threading.Lock()
        inference = settings.inference
        self.worker = InferenceWorker(
            detector,
            self._lanes,
            self._pending,
            batch_size=inference.batch_size,
            max_wait_s=inference.max_wait_ms / 1000.0,
            age_window=age_window,
            metrics=self.metrics,
            threads=inference.worker_count(usable_cores(), len(settings.cameras)),
        )
        self._stop = threading.Event()
        self._watch_thread = GuardedThread("camera-watch", self._watch)
        self._more_threads = supervise
        self._more_problems = more_problems
        self._stalls = StallWatch(inference.stall_after_s)
        self._failures = RecentRise(inference.stall_after_s)
        self._capacity = CapacityWatch()
        self._budget = DecodeBudget()
        self._problems: list[HealthProblem] = []
        self._rates: dict[str, CameraRate] = {}
        self._problems_lock = threading.Lock()
        self.supervisor = Supervisor(self.threads, on_pass=self._check_health)

    def _camera(self, config: CameraConfig, fence: Fence | None) -> _Camera:
        source = config.source.get_secret_value()
        masker = config.masker()
        hide = masker.hide if masker.active else None
        clips = self.clips.for_camera(config.id, hide) if self.clips is not None else None
        streams = None
        zones = [zone.to_zone() for zone in config.zones]
        check_fps = smoke_fire.check_fps(zones, self.settings.rules_for(config), config.detect_fps)
        if is_live(source):
            substream = config.substream.get_secret_value() if config.substream else None
            live = live_source_config(config.stream, check_fps or config.detect_fps)
            streams = CameraStreams(config.id, source, substream, live, packet_tap=clips)
        health = CameraHealth(config.id, _detect_health(streams) if streams else None)
        pipeline = CameraPipeline(
            config.id,
            zones,
            self.settings.rules_for(config),
            self._mapper,
            zone_params={z.name: self.settings.rules_for(config, z) for z in config.zones},
            tracking=ByteTrackConfig.following(
                self.settings.model.confidence,
                config.detect_fps,
                self.settings.model.track_confidence,
            ),
            tz=self.settings.notifications.tzinfo(),
        )
        intake = FrameIntake(
            self._pending,
            health,
            motion_gate(config.motion),
            lambda: pipeline.has_live_tracks,
            masker,
        )
        info = CameraInfo(
            id=config.id, name=config.display_name, building=config.building, floor=config.floor
        )
        sink = StoreSink(
            self._store,
            self.recorder.submit,
            info,
            tuple(zones),
            evidence=_evidence(intake),
            on_raised=self._raised,
            clips=clips,
            redact_people=self.settings.privacy.redact_people,
            fence=fence,
        )
        reader: Reader
        if streams is not None:
            reader = LiveReader(streams, config.detect_fps, intake, check_fps)
            watch = OfflineWatch(config.id, config.stream.offline_after_s)
        else:
            reader = FileReader(
                config.id,
                Path(source),
                config.detect_fps,
                config.loop,
                intake,
                health,
                clips,
                check_fps,
            )
            watch = None
        lane = CameraLane(pipeline=pipeline, sink=sink, health=health)
        return _Camera(config, lane, sink, intake, reader, watch)

    def start(self) -> None:
        """End the events a crash or stop left open (see :mod:`stairwatch.runtime.restart`),
        then start the threads and their supervisor. A fleet's node starts no camera."""
        if not self._fleet:
            quiet = end_open_events(self._store, self._quiet_windows())
            for camera in self._cameras.values():
                camera.sink.quiet_after_restart(quiet)
        self.recorder.start()
        self.worker.start()
        for camera in self._active():
            camera.reader.start()
        self._watch_thread.start()
        self.supervisor.start()
        log.info("watching %d camera(s)", len(self._cameras))

    def stop(self) -> None:
        self.supervisor.stop()
        self._stop.set()
        for camera in self._active():
            camera.reader.stop()
        self.worker.stop()
        self._watch_thread.join(5.0)
        self.recorder.stop()  # writes what the workers handed over
        if self.clips is not None:
            self.clips.close()  # files the clips still gathering, cut short

    def take(self, camera_id: str, fence: Fence) -> None:
        """Run ``camera_id`` under ``fence`` (its lease just taken): fresh tracks and rules,
        carrying on the events its previous node left open."""
        self.drop(camera_id)
        with self._fleet_lock:
            camera = self._camera(self._cameras[camera_id].config, fence)
            windows = {
                kind: s + STARTUP_MARGIN_S for kind, s in self._quiet_windows()[camera_id].items()
            }
            open_events = self._store.unended([camera_id])
            camera.sink.adopt(Adoptions(open_events, windows, time.monotonic()))
            self._cameras[camera_id] = camera
            self._lanes[camera_id] = camera.lane
            camera.reader.start()
        log.info("camera %s taken (lease token %d, %d open event(s) carried on)",
                 camera_id, fence.token, len(open_events))  # fmt: skip

    def drop(self, camera_id: str) -> None:
        """Stop running ``camera_id`` (its lease is lost or given back); writes nothing more
        for it. Its open events stay open for the next node."""
        with self._fleet_lock:
            camera = self._cameras[camera_id]
            if not camera.active:
                return
            camera.active = False
            camera.sink.revoke()
        camera.reader.stop()
        log.info("camera %s dropped", camera_id)

    def held(self) -> list[str]:
        """The cameras this service runs now."""
        return [c.config.id for c in self._active()]

    def _active(self) -> list[_Camera]:
        return [c for c in list(self._cameras.values()) if c.active]

    def threads(self) -> list[Supervised]:
        """Every supervised thread."""
        own: list[Supervised] = [t for c in self._active() for t in c.reader.supervised()]
        own += [*self.worker.threads, self._watch_thread, self.recorder.thread]
        return own + list(self._more_threads())

    def thread_health(self) -> list[ThreadHealth]:
        return [thread.health() for thread in self.threads()]

    def problems(self) -> list[HealthProblem]:
        """What is wrong right now, as of the supervisor's last pass (every second)."""
        with self._problems_lock:
            return list(self._problems)

    def _check_health(self, now: float) -> None:
        cameras = self.health()
        stalled = {
            h.camera_id: s for h in cameras if (s := self._stalls.stalled_for(h, now)) is not None
        }
        found = find_problems(cameras, stalled, self.thread_health(), self.recorder.stats(), now)
        found += failing_steps(cameras, self._failures, now)
        if self.clips is not None:
            stats = self.clips.stats()
            failed_lately = self._failures.recent("clip encoder", stats.failed, now)
            found += clip_problems(stats, failed_lately)
        self._capacity.observe(cameras, now)
        self._plan_decoding(cameras, now)
        if (over := self._capacity.problem()) is not None:
            found.append(over)
        found += self._more_problems(now)
        with self._problems_lock:
            self._problems = found
            self._rates = self._capacity.rates()

    def _plan_decoding(self, cameras: list[HealthSnapshot], now: float) -> None:
        """Give each reader its decode plan (an even share of its due frames when the box
        cannot run them all: :mod:`stairwatch.runtime.decode_budget`)."""
        plans = self._budget.observe(cameras, now, self._pending.waiting())
        for camera in self._active():
            if (plan := plans.get(camera.config.id)) is not None:
                camera.reader.set_plan(plan)

    def detection_rates(self) -> dict[str, CameraRate]:
        """Per camera, over the last minute: detections run per second and the share of the
        due ones that ran (as of the supervisor's last pass)."""
        with self._problems_lock:
            return dict(self._rates)

    def _quiet_windows(self) -> dict[str, dict[EventType, float]]:
        """Per camera and event type, how long its rule needs to raise it again."""
        windows = {}
        for config in self.settings.cameras:
            params = [self.settings.rules_for(config, zone) for zone in config.zones]
            params.append(self.settings.rules_for(config))
            offline = config.stream.offline_after_s
            windows[config.id] = {
                kind: max(raise_after_s(p, kind, offline) for p in params) for kind in EventType
            }
        return windows

    def health(self) -> list[HealthSnapshot]:
        return [
            camera.lane.health.snapshot(self._pending.dropped(camera.config.id))
            for camera in self._active()
        ]

    def camera(self, camera_id: str) -> CameraConfig:
        return self._cameras[camera_id].config

    def latest_image(self, camera_id: str) -> NDArray[np.uint8] | None:
        """The camera's newest picture (its main stream's, when it has one); None when the camera
        is unknown or has sent nothing yet."""
        camera = self._cameras.get(camera_id)
        return camera.intake.evidence_image(None) if camera is not None else None

    def _raised(self, change: EventChange) -> None:
        self.metrics.event_raised(change)
        if self._on_raised is not None:
            self._on_raised(change)

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_PERIOD_S):
            for camera in self._active():
                camera.sink.end_not_seen_again(time.monotonic())
                if camera.watch is not None:
                    self._watch_one(camera, camera.watch)

    def _watch_one(self, camera: _Camera, watch: OfflineWatch) -> None:
        health = camera.lane.health.snapshot(0)
        changes = watch.step(health.state, health.offline_since)
        if not changes:
            return
        log.warning(
            "camera %s: %s (%s)", camera.config.id, changes[0].kind.value, health.last_error
        )
        image = camera.intake.evidence_image(None)
        if image is None:
            image = placeholder_image(f"{camera.config.id}: no picture")
        camera.sink.submit(changes, image)


def _detect_health(streams: CameraStreams) -> Callable[[], StreamHealth]:
    return lambda: streams.health().detect


def _evidence(intake: FrameIntake) -> Callable[[Frame], NDArray[np.uint8]]:
    def pick(frame: Frame) -> NDArray[np.uint8]:
        image = intake.evidence_image(frame)
        return frame.image if image is None else image

    return pick
