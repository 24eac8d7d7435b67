"""The service's event sink: event changes -> snapshots and rows in the store, written by the
recorder thread (:mod:`stairwatch.runtime.recorder`), never on the inference path."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from alerts.errors import SnapshotError, StoreError
from alerts.events import Box, ChangeKind, EventChange, EventRecord
from alerts.fleet import Fence
from alerts.observation import Observation
from alerts.occupancy import ShedPlace, due_samples
from alerts.privacy import PeopleRedaction, redaction_boxes
from alerts.rules.shed_spots import ShedOccupancy
from alerts.snapshot import LabelledBox, encode_frame, render_snapshot
from alerts.store import CameraInfo, EventStore
from stairwatch.media.tap import EventClips
from stairwatch.pipeline import PipelineStep
from stairwatch.runtime.adopt import NOT_SEEN_AGAIN, Adoptions
from stairwatch.runtime.recorder import RecordJob
from stairwatch.runtime.restart import RestartQuiet
from streams.frame import Frame
from vision.kinds import KIND_NAMES, ObjectKind
from vision.zones import Zone

log = logging.getLogger(__name__)

EvidenceImage = Callable[[Frame], NDArray[np.uint8]]
Submit = Callable[[RecordJob], bool]


class StoreSink:
    """Writes one camera's event changes to the store, with snapshot evidence.

    :meth:`handle`, :meth:`finish` and :meth:`submit` (the inference worker, the offline watch)
    only hand each change to ``submit`` (the recorder's queue) as a job; the recorder thread runs
    the jobs, which call :meth:`record`. Keeps the store id of each open event by its engine
    key; nothing else.
    ``evidence`` picks the picture for a frame's snapshot (the main stream's, where a camera
    detects on a sub-stream); by default the frame itself. With ``clips``, each raised event also
    starts a clip (of the packets the camera's source hands them). The sheds' spots are sampled
    (:func:`~alerts.occupancy.due_samples`) and the samples written by the recorder too.
    """

    def __init__(
        self,
        store: EventStore,
        submit: Submit,
        camera: CameraInfo,
        zones: tuple[Zone, ...],
        evidence: EvidenceImage | None = None,
        on_raised: Callable[[EventChange], None] | None = None,
        clips: EventClips | None = None,
        redact_people: PeopleRedaction = PeopleRedaction.OFF,
        fence: Fence | None = None,
    ):
        self._store = store
        self._fence = fence
        self._revoked = False
        self._adopted: Adoptions | None = None
        self._submit = submit
        self._camera = camera
        self._zones = {zone.name: zone for zone in zones}
        self._evidence = evidence or _own_image
        self._on_raised = on_raised
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()
        self._clips = clips
        self._redact_people = redact_people
        self._quiet: RestartQuiet | None = None
        self._quiet_keys: set[str] = set()
        self._sheds_sampled: dict[str, tuple[float, ShedOccupancy]] = {}

    def quiet_after_restart(self, quiet: RestartQuiet) -> None:
        """Events raised again after a restart, as ``quiet`` says, are not stored."""
        self._quiet = quiet

    def adopt(self, adoptions: Adoptions) -> None:
        """Raised events like the stored ones in ``adoptions`` continue them (a camera taken
        over from another node, see :mod:`stairwatch.runtime.adopt`)."""
        self._adopted = adoptions

    def revoke(self) -> None:
        """The camera moved to another node: write nothing more for it."""
        with self._lock:
            self._revoked = True

    def end_not_seen_again(self, now: float) -> None:
        """Queue the end of each adopted event not found again by ``now`` (monotonic)."""
        if self._adopted is None:
            return
        for adopted in self._adopted.expired(now):
            write = functools.partial(self._end_adopted, adopted.event_id)
            self._submit(RecordJob(write, f"end {adopted.type.value} on {self._camera.id}"))

    def _end_adopted(self, event_id: str) -> None:
        with self._lock:
            if not self._revoked:
                self._store.record_end(event_id, time.time(), NOT_SEEN_AGAIN, self._fence)

    def handle(self, frame: Frame, step: PipelineStep) -> None:
        if step.sheds:
            self._sample_sheds(step.sheds, frame.timestamp)
        if step.changes:
            people = (
                _people(step.observation) if self._redact_people is not PeopleRedaction.OFF else []
            )
            self.submit(step.changes, self._evidence(frame), people)

    def _sample_sheds(self, sheds: tuple[ShedOccupancy, ...], now: float) -> None:
        due = due_samples(self._sheds_sampled, sheds, now)
        if not due:
            return
        for shed in due:
            self._sheds_sampled[shed.shed] = (now, shed)
        camera = self._camera
        place = ShedPlace(camera.id, camera.name, camera.building)
        write = functools.partial(self._store.sheds.record, place, due, now)
        self._submit(RecordJob(write, f"shed samples of {camera.id}"))

    def finish(self, changes: list[EventChange]) -> None:
        self.submit(changes, None)

    def submit(
        self,
        changes: list[EventChange],
        image: NDArray[np.uint8] | None,
        people: list[Box] | None = None,
    ) -> None:
        """Queue :meth:`record` of each change for the recorder (one job per change, so a retried
        job never writes a change twice). A refused job is counted by the recorder."""
        for change in changes:
            what = f"{change.kind.value} {change.event.type.value} on {self._camera.id}"
            self._submit(RecordJob(functools.partial(self.record, [change], image, people), what))

    def record(
        self,
        changes: list[EventChange],
        image: NDArray[np.uint8] | None,
        people: list[Box] | None = None,
    ) -> None:
        """Store ``changes``; ``image`` ((H, W, 3) BGR) is the evidence (None: keep the last),
        ``people`` the person boxes in it (normalized), pixelated as the privacy setting says."""
        redact = redaction_boxes(people or [], self._redact_people)
        with self._lock:
            for change in changes:
                self._apply(change, image, redact)

    def _apply(
        self, change: EventChange, image: NDArray[np.uint8] | None, redact: list[Box]
    ) -> None:
        event = change.event
        if self._revoked:
            return
        if event.key in self._quiet_keys:
            if change.kind is ChangeKind.ENDED:
                self._quiet_keys.discard(event.key)
            return
        if change.kind is ChangeKind.RAISED:
            if image is None:
                return
            if self._continues_adopted(event):
                return
            if self._quiet is not None and self._quiet.absorbs(event, time.monotonic()):
                log.info("%s on %s (%s) found again after the restart: not alerted again",
                         event.type, event.camera_id, event.zone)  # fmt: skip
                self._quiet_keys.add(event.key)
                return
            snapshot = self._snapshot(change, image, redact)
            stored = self._store.record_raised(event, self._camera, snapshot, self._fence)
            self._ids[event.key] = stored.id
            self._keep_training_frame(stored.id, image)
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
            better = self._snapshot(change, image, redact) if image is not None else None
            self._store.record_update(event_id, event, better, self._fence)
            if image is not None:
                self._keep_training_frame(event_id, image)
        elif change.kind is ChangeKind.REMINDED:
            self._store.record_reminder(event_id, self._fence)
        elif change.kind is ChangeKind.ENDED:
            end = event.end_ts if event.end_ts is not None else 0.0
            self._store.record_end(event_id, end, fence=self._fence)
            del self._ids[event.key]

    def _continues_adopted(self, event: EventRecord) -> bool:
        """Whether ``event`` is a stay the camera's previous node stored already."""
        if self._adopted is None:
            return False
        event_id = self._adopted.claim(event, time.monotonic())
        if event_id is None:
            return False
        self._ids[event.key] = event_id
        log.info("%s on %s (%s) continues event %s from the camera's previous node",
                 event.type, event.camera_id, event.zone, event_id)  # fmt: skip
        return True

    def _keep_training_frame(self, event_id: str, image: NDArray[np.uint8]) -> None:
        """Keep the event's picture unredacted as training material (once it has the most it
        keeps, it replaces the last: the snapshot's own picture stays). A failure is logged, not
        raised: the recorder would retry the whole change, and the event is stored already."""
        try:
            self._store.record_training_frame(event_id, encode_frame(image))
        except (StoreError, SnapshotError) as exc:
            log.warning("event %s: training frame not kept: %s", event_id, exc)

    def _snapshot(self, change: EventChange, image: NDArray[np.uint8], redact: list[Box]) -> bytes:
        event = change.event
        zone = self._zones.get(event.zone) if event.zone else None
        # One picture serves readers of both languages: it names only what the installer named
        # (camera, zone) and numbers; the event type is written beside it in the reader's language.
        boxes = [] if event.box is None else [_labelled(event.box, event.confidence)]
        title = self._camera.name or self._camera.id
        return render_snapshot(image, zone, boxes, title, redact=redact)


def _own_image(frame: Frame) -> NDArray[np.uint8]:
    return frame.image


def _labelled(box: Box, confidence: float) -> LabelledBox:
    return LabelledBox(box=box, label=f"{round(100 * confidence)}%", confidence=None)


_PERSON = KIND_NAMES.index(ObjectKind.PERSON.value)


def _people(observation: Observation) -> list[Box]:
    """The person boxes of a processed frame, normalized."""
    d, w, h = observation.detections, observation.width, observation.height
    return [
        Box(float(x1) / w, float(y1) / h, float(x2) / w, float(y2) / h)
        for (x1, y1, x2, y2), kind in zip(d.xyxy, d.class_id, strict=True)
        if kind == _PERSON
    ]
