"""The service's event sink: event changes -> snapshots and rows in the store."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from alerts.events import Box, ChangeKind, EventChange
from alerts.snapshot import LabelledBox, render_snapshot
from alerts.store import CameraInfo, EventStore
from stairwatch.media.tap import EventClips
from stairwatch.pipeline import PipelineStep
from streams.frame import Frame
from vision.zones import Zone

log = logging.getLogger(__name__)

EvidenceImage = Callable[[Frame], NDArray[np.uint8]]


class StoreSink:
    """Writes one camera's event changes to the store, with snapshot evidence.

    Keeps the store id of each open event by its engine key; nothing else. The inference worker
    and the offline watch both write through it, so calls are serialised.
    ``evidence`` picks the picture for a frame's snapshot (the main stream's, where a camera
    detects on a sub-stream); by default the frame itself. With ``clips``, each raised event also
    starts a clip; the frames seen here feed it too, which only matters when the reader does not
    tap every frame (the clip then runs at the detection rate).
    """

    def __init__(
        self,
        store: EventStore,
        camera: CameraInfo,
        zones: tuple[Zone, ...],
        evidence: EvidenceImage | None = None,
        on_raised: Callable[[EventChange], None] | None = None,
        clips: EventClips | None = None,
    ):
        self._store = store
        self._camera = camera
        self._zones = {zone.name: zone for zone in zones}
        self._evidence = evidence or _own_image
        self._on_raised = on_raised
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()
        self._clips = clips

    def handle(self, frame: Frame, step: PipelineStep) -> None:
        if self._clips is not None:
            self._clips.observe(frame)
        if step.changes:
            self.record(step.changes, self._evidence(frame))

    def finish(self, changes: list[EventChange]) -> None:
        self.record(changes, None)

    def record(self, changes: list[EventChange], image: NDArray[np.uint8] | None) -> None:
        """Store ``changes``; ``image`` ((H, W, 3) BGR) is the evidence (None: keep the last)."""
        with self._lock:
            for change in changes:
                self._apply(change, image)

    def _apply(self, change: EventChange, image: NDArray[np.uint8] | None) -> None:
        event = change.event
        if change.kind is ChangeKind.RAISED:
            if image is None:
                return
            stored = self._store.record_raised(event, self._camera, self._snapshot(change, image))
            self._ids[event.key] = stored.id
            if self._clips is not None:
                self._clips.event_raised(stored.id, event.alert_ts)
            log.info("event %s: %s on %s (%s)", stored.id, event.type, event.camera_id, event.zone)
            if self._on_raised is not None:
                self._on_raised(change)
            return
        event_id = self._ids.get(event.key)
        if event_id is None:
            return
        if change.kind is ChangeKind.UPDATED:
            snapshot = self._snapshot(change, image) if image is not None else None
            self._store.record_update(event_id, event, snapshot)
        elif change.kind is ChangeKind.REMINDED:
            self._store.record_reminder(event_id)
        elif change.kind is ChangeKind.ENDED:
            self._store.record_end(event_id, event.end_ts if event.end_ts is not None else 0.0)
            del self._ids[event.key]

    def _snapshot(self, change: EventChange, image: NDArray[np.uint8]) -> bytes:
        event = change.event
        zone = self._zones.get(event.zone) if event.zone else None
        boxes = (
            [] if event.box is None else [_labelled(event.box, event.type.value, event.confidence)]
        )
        title = f"{self._camera.name or self._camera.id} · {event.type.value}"
        return render_snapshot(image, zone, boxes, title)


def _own_image(frame: Frame) -> NDArray[np.uint8]:
    return frame.image


def _labelled(box: Box, label: str, confidence: float) -> LabelledBox:
    return LabelledBox(box=box, label=label, confidence=confidence)
