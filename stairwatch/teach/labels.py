"""What a reviewed event teaches: which of its kept frames to learn from, and their boxes.

The last kept training frame is the picture the snapshot shows (the sink keeps one with every
snapshot), so the verdict's boxes and the event's own box belong to it. Pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.events import EventType
from alerts.reviews import Verdict
from alerts.stored import StoredEvent
from vision.kinds import XYXY, ObjectKind

ALERTED_KINDS: dict[EventType, ObjectKind] = {
    EventType.EBIKE_PARKED: ObjectKind.EBIKE,
    EventType.EBIKE_IN_ELEVATOR: ObjectKind.EBIKE,
    EventType.FLYING_WIRE: ObjectKind.CABLE,
}
"""The kind of object each detector event is raised for (camera-health events have none)."""


@dataclass(frozen=True)
class LabelledBox:
    """One true object in a frame; ``xyxy`` normalized to [0, 1] (x right, y down)."""

    kind: ObjectKind
    xyxy: XYXY


@dataclass(frozen=True)
class FrameLabels:
    """Training frame ``index`` of the event (0: the frame it was raised on) and every object
    of our kinds in it (none: a hard negative, nothing to find there)."""

    index: int
    boxes: tuple[LabelledBox, ...]


@dataclass(frozen=True)
class EventLabels:
    """The frames an event gives, or why it gives none (``skipped``)."""

    event_id: str
    frames: tuple[FrameLabels, ...] = ()
    skipped: str | None = None


def event_labels(event: StoredEvent) -> EventLabels:
    """The labelled frames of one reviewed event.

    * confirmed: the snapshot's frame with the verdict's boxes, else the event's own box;
    * false alarm: the snapshot's frame with the verdict's boxes of other kinds (a box of the
      alerted kind is dropped: the operator said it is not there); with no box given at all,
      every kept frame is a hard negative.
    """
    kind = ALERTED_KINDS.get(event.type)
    if event.review is None:
        return EventLabels(event.id, skipped="no verdict")
    if kind is None:
        return EventLabels(event.id, skipped=f"{event.type.value} events have no object")
    if event.training_frames == 0:
        return EventLabels(event.id, skipped="no training frames kept (storage.training_days?)")
    snapshot_frame = event.training_frames - 1
    given = tuple(LabelledBox(b.label, b.xyxy) for b in event.review.boxes)
    if event.review.verdict is Verdict.CONFIRMED:
        box = event.box
        if not given and box is None:
            return EventLabels(event.id, skipped="confirmed, but no box to learn from")
        if not given and box is not None:
            given = (LabelledBox(kind, (box.x1, box.y1, box.x2, box.y2)),)
        return EventLabels(event.id, (FrameLabels(snapshot_frame, given),))
    if not given:
        negatives = tuple(FrameLabels(i, ()) for i in range(event.training_frames))
        return EventLabels(event.id, negatives)
    kept = tuple(b for b in given if b.kind is not kind)
    return EventLabels(event.id, (FrameLabels(snapshot_frame, kept),))
