"""Event types and the records the rules produce and the store keeps."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum


class EventType(StrEnum):
    EBIKE_PARKED = "ebike_parked"
    EBIKE_IN_ELEVATOR = "ebike_in_elevator"
    FLYING_WIRE = "flying_wire"
    CAMERA_TAMPERED = "camera_tampered"
    CAMERA_OFFLINE = "camera_offline"
    SHED_INTRUSION = "shed_intrusion"
    EXIT_BLOCKED = "exit_blocked"
    NODE_OFFLINE = "node_offline"  # a fleet's node stopped heart-beating
    SMOKE_FIRE = "smoke_fire"


class Severity(StrEnum):
    INFO = "info"
    HIGH = "high"
    CRITICAL = "critical"


class EventStatus(StrEnum):
    """Where a person is with an event; independent of whether its condition still holds."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Detail(StrEnum):
    """A fact about an event, stored as this key and shown in the reader's language."""

    CABLE_REACHES_EBIKE = "cable_reaches_ebike"
    NO_PICTURE = "no_picture"
    VIEW_BLOCKED = "view_blocked"
    VIEW_BLURRED = "view_blurred"
    CAMERA_TURNED_AWAY = "camera_turned_away"
    FLAME_SEEN = "flame_seen"
    SMOKE_SEEN = "smoke_seen"


# Events stored before details were keys kept the English text.
_LEGACY_DETAILS = {
    "cable reaches e-bike": Detail.CABLE_REACHES_EBIKE,
    "no picture": Detail.NO_PICTURE,
    "view blocked": Detail.VIEW_BLOCKED,
    "view blurred": Detail.VIEW_BLURRED,
    "camera turned away": Detail.CAMERA_TURNED_AWAY,
}


def detail_key(stored: str) -> Detail | None:
    """The :class:`Detail` a stored detail (a key, or an older event's English text) names;
    None for a text that is neither."""
    if stored in Detail.__members__.values():
        return Detail(stored)
    return _LEGACY_DETAILS.get(stored)


class ChangeKind(StrEnum):
    """What happened to an event on one step of a rule engine."""

    RAISED = "raised"  # the rule fired: a new event, alert now
    UPDATED = "updated"  # still going; better evidence or a moved box
    REMINDED = "reminded"  # still going after remind_after_s, unresolved
    ENDED = "ended"  # the condition is over


@dataclass(frozen=True)
class Box:
    """A box normalized to [0, 1] of the frame (x right, y down)."""

    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class EventRecord:
    """One event as the rules see it. Times are seconds: inside a rule engine on its clock (the
    frames' steady clock), once out of the camera pipeline on the wall clock (Unix time).

    Attributes:
        key: stable id of the event within its camera's rule engine (unique per stay).
        camera_id: where.
        zone: zone name, or None for camera-wide events.
        type: what.
        severity: how urgent.
        track_id: the object's track, or None.
        confidence: best detector confidence seen for it.
        start_ts: when the condition began (the bike came to rest, the cable appeared).
        alert_ts: when stairwatch raised it.
        end_ts: when the condition ended, or None while it goes on.
        box: latest box of the object, or None.
        details: :class:`Detail` keys (e.g. ``"cable_reaches_ebike"``), translated where shown.
    """

    key: str
    camera_id: str
    zone: str | None
    type: EventType
    severity: Severity
    track_id: int | None
    confidence: float
    start_ts: float
    alert_ts: float
    end_ts: float | None = None
    box: Box | None = None
    details: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class EventChange:
    """One thing a rule engine reports for one frame."""

    kind: ChangeKind
    event: EventRecord

    def shifted(self, offset_s: float) -> EventChange:
        """The same change with every time moved by ``offset_s`` (rule clock -> wall clock)."""
        if offset_s == 0.0:
            return self
        e = self.event
        end = None if e.end_ts is None else e.end_ts + offset_s
        moved = replace(
            e, start_ts=e.start_ts + offset_s, alert_ts=e.alert_ts + offset_s, end_ts=end
        )
        return EventChange(self.kind, moved)
