"""The running service: readers, one inference worker, per-camera pipelines and sinks."""

from __future__ import annotations

import logging
from pathlib import Path

from alerts.store import CameraInfo, EventStore
from stairwatch.config import CameraConfig, Settings
from stairwatch.pipeline import CameraPipeline
from stairwatch.runtime.health import CameraHealth, HealthSnapshot
from stairwatch.runtime.pending import PendingFrames
from stairwatch.runtime.readers import FileReader
from stairwatch.runtime.sink import StoreSink
from stairwatch.runtime.worker import CameraLane, Detector, InferenceWorker
from streams.frame import Frame
from vision.kinds import KindMapper

log = logging.getLogger(__name__)


class Service:
    """Wires cameras to the detector, the rules and the store. ``start()`` / ``stop()``."""

    def __init__(
        self,
        settings: Settings,
        detector: Detector,
        model_class_names: tuple[str, ...],
        store: EventStore,
        batch_size: int = 4,
    ):
        self.settings = settings
        self._pending = PendingFrames()
        mapper = KindMapper(model_class_names, settings.model.kind_map())
        self._cameras = {camera.id: camera for camera in settings.cameras}
        self._lanes = {camera.id: self._lane(camera, mapper, store) for camera in settings.cameras}
        self.worker = InferenceWorker(detector, self._lanes, self._pending, batch_size=batch_size)
        self._readers = [self._reader(camera) for camera in settings.cameras]

    def _lane(self, camera: CameraConfig, mapper: KindMapper, store: EventStore) -> CameraLane:
        zones = [zone.to_zone() for zone in camera.zones]
        pipeline = CameraPipeline(
            camera.id,
            zones,
            self.settings.rules_for(camera),
            mapper,
            zone_params={z.name: self.settings.rules_for(camera, z) for z in camera.zones},
        )
        info = CameraInfo(
            id=camera.id, name=camera.display_name, building=camera.building, floor=camera.floor
        )
        sink = StoreSink(store, info, tuple(zones))
        return CameraLane(pipeline=pipeline, sink=sink, health=CameraHealth(camera.id))

    def _reader(self, camera: CameraConfig) -> FileReader:
        source = camera.source.get_secret_value()
        if "://" in source:
            raise NotImplementedError("live sources are wired by the streams runtime")
        return FileReader(
            camera.id,
            Path(source),
            camera.detect_fps,
            camera.loop,
            self._pending,
            self._lanes[camera.id].health,
            should_detect=_always,
        )

    def start(self) -> None:
        self.worker.start()
        for reader in self._readers:
            reader.start()
        log.info("watching %d camera(s)", len(self._readers))

    def stop(self) -> None:
        for reader in self._readers:
            reader.stop()
        self.worker.stop()

    def health(self) -> list[HealthSnapshot]:
        return [
            lane.health.snapshot(self._pending.dropped(camera_id))
            for camera_id, lane in self._lanes.items()
        ]

    def camera(self, camera_id: str) -> CameraConfig:
        return self._cameras[camera_id]


def _always(_frame: Frame) -> bool:
    return True
