"""What the event store takes in besides an :class:`EventRecord`, and what it gives back."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, computed_field

from alerts.events import Box, EventStatus, EventType, Severity
from alerts.reviews import Review


@dataclass(frozen=True)
class CameraInfo:
    """The camera an event came from, as people name it. Never holds the source URL."""

    id: str
    name: str
    building: str = ""
    floor: str = ""


class ActionKind(StrEnum):
    """One line of an event's audit trail."""

    RAISED = "raised"
    REMINDED = "reminded"
    ENDED = "ended"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"
    REVIEWED = "reviewed"  # a verdict (confirmed / false_alarm); the note holds it as JSON
    ON_THE_WAY = "on_the_way"  # a patroller is heading there


SYSTEM_ACTOR = "stairwatch"


class StoredEvent(BaseModel):
    """One stored event, ready for JSON. Times are float Unix seconds.

    ``snapshot_path`` and ``clip_path`` are relative to the store's media folder.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    camera_id: str
    camera_name: str
    building: str
    floor: str
    zone: str | None
    type: EventType
    severity: Severity
    status: EventStatus
    track_id: int | None
    confidence: float
    start_ts: float
    alert_ts: float
    end_ts: float | None
    box: Box | None
    details: tuple[str, ...]
    snapshot_path: str
    clip_path: str | None
    created_at: float
    updated_at: float
    acknowledged_by: str | None
    acknowledged_at: float | None
    assigned_to: str | None
    resolved_by: str | None
    resolved_at: float | None
    note: str | None
    reminder_count: int
    review: Review | None = None
    training_frames: int = 0  # unredacted frames kept to learn from (admins only)
    training_path: str | None = None  # their folder, relative to the media folder
    on_way_by: str | None = None  # the latest patroller who said "on my way"
    on_way_at: float | None = None
    photo_path: str | None = None  # the resolving patroller's photo, relative to the media folder
    node_id: str | None = None  # the fleet's node that raised it (None: a single box)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ongoing(self) -> bool:
        """The condition still holds (no end time yet)."""
        return self.end_ts is None


class EventAction(BaseModel):
    """One audit-trail line: who did what to an event, and when (Unix seconds)."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    action: ActionKind
    actor: str
    at: float
    note: str | None
