"""The service's event sink: event changes -> snapshots and rows in the store."""

from __future__ import annotations

import logging

from alerts.events import Box, ChangeKind, EventChange
from alerts.snapshot import LabelledBox, render_snapshot
from alerts.store import CameraInfo, EventStore
from stairwatch.media.tap import EventClips
from stairwatch.pipeline import PipelineStep
from streams.frame import Frame
from vision.zones import Zone

log = logging.getLogger(__name__)


class StoreSink:
    """Writes one camera's event changes to the store, with snapshot evidence.

    Keeps the store id of each open event by its engine key; nothing else. With ``clips``, each
    raised event also starts a clip; the frames seen here feed it too, which only matters when
    the reader does not tap every frame (the clip then runs at the detection rate).
    """

    def __init__(
        self,
        store: EventStore,
        camera: CameraInfo,
        zones: tuple[Zone, ...],
        clips: EventClips | None = None,
    ):
        self._store = store
        self._camera = camera
        self._zones = {zone.name: zone for zone in zones}
        self._ids: dict[str, str] = {}
        self._clips = clips

    def handle(self, frame: Frame, step: PipelineStep) -> None:
        if self._clips is not None:
            self._clips.observe(frame)
        for change in step.changes:
            self._apply(change, frame)

    def finish(self, changes: list[EventChange]) -> None:
        for change in changes:
            self._apply(change, None)

    def _apply(self, change: EventChange, frame: Frame | None) -> None:
        event = change.event
        if change.kind is ChangeKind.RAISED:
            if frame is None:
                return
            stored = self._store.record_raised(event, self._camera, self._snapshot(change, frame))
            self._ids[event.key] = stored.id
            if self._clips is not None:
                self._clips.event_raised(stored.id, event.alert_ts)
            log.info("event %s: %s on %s (%s)", stored.id, event.type, event.camera_id, event.zone)
            return
        event_id = self._ids.get(event.key)
        if event_id is None:
            return
        if change.kind is ChangeKind.UPDATED:
            snapshot = self._snapshot(change, frame) if frame is not None else None
            self._store.record_update(event_id, event, snapshot)
        elif change.kind is ChangeKind.REMINDED:
            self._store.record_reminder(event_id)
        elif change.kind is ChangeKind.ENDED:
            self._store.record_end(event_id, event.end_ts if event.end_ts is not None else 0.0)
            del self._ids[event.key]

    def _snapshot(self, change: EventChange, frame: Frame) -> bytes:
        event = change.event
        zone = self._zones.get(event.zone) if event.zone else None
        boxes = (
            [] if event.box is None else [_labelled(event.box, event.type.value, event.confidence)]
        )
        title = f"{self._camera.name or self._camera.id} · {event.type.value}"
        return render_snapshot(frame.image, zone, boxes, title)


def _labelled(box: Box, label: str, confidence: float) -> LabelledBox:
    return LabelledBox(box=box, label=label, confidence=confidence)
