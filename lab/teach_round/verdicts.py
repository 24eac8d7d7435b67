"""What an operator who knows the truth says about each alert of a clip. Pure functions.

* an alert ``stairwatch eval`` matched to a true event: ``confirmed``, with every true box of
  the clip's labelled frame nearest the alert (the operator corrects the box);
* an unmatched alert: ``false_alarm``, with the true boxes of that frame (the operator marks
  the people and bicycles that are there; the export drops any of the alerted kind); an
  unmatched alert whose frame holds a true object of the alerted kind (a second alert for one
  bike, or one in the wrong zone) is left unreviewed: it has nothing to teach the detector;
* a missed true event: a ``confirmed`` event with the true boxes drawn on its labelled frame
  nearest its middle (the operator draws the missed object).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from alerts.events import EventType
from alerts.reviews import FalseAlarmReason, ReviewBox, ReviewInput, Verdict
from stairwatch.evaluation.metrics import ClipResult
from stairwatch.evaluation.sidecar import SidecarBox
from stairwatch.teach.labels import ALERTED_KINDS
from vision.kinds import ObjectKind


class Origin(StrEnum):
    ALERT = "alert"  # the model raised it
    MISSED = "missed"  # the operator drew it


@dataclass(frozen=True)
class SiteEvent:
    """One event of a clip and its verdict (None: left unreviewed). ``at_s``: seconds from the
    clip's start of the frame the operator looks at (the event's snapshot)."""

    clip: str
    type: EventType
    zone: str | None
    at_s: float
    origin: Origin
    review: ReviewInput | None


def nearest_labelled(frames: Mapping[float, Sequence[SidecarBox]], t: float) -> float | None:
    """The labelled frame time nearest ``t`` (the earlier on a tie), None when there is none."""
    return min(frames, key=lambda f: (abs(f - t), f)) if frames else None


def false_alarm_reason(event_type: EventType, kinds: set[ObjectKind]) -> FalseAlarmReason:
    """What the detector most likely took for the alerted object, given what is there."""
    if ObjectKind.BICYCLE in kinds and ALERTED_KINDS.get(event_type) is ObjectKind.EBIKE:
        return FalseAlarmReason.BICYCLE
    if ObjectKind.PERSON in kinds:
        return FalseAlarmReason.PERSON
    if event_type is EventType.FLYING_WIRE:
        return FalseAlarmReason.CABLE_LOOKALIKE
    return FalseAlarmReason.OBJECT_OR_SHADOW


def clip_events(
    result: ClipResult, frames: Mapping[float, Sequence[SidecarBox]]
) -> list[SiteEvent]:
    """The events of one clip of ``stairwatch eval`` (its per-clip row) with their verdicts,
    given the clip's labelled frames (``Sidecar.labelled_frames()``)."""
    events = [
        _alert_event(result.clip, p.type, p.zone, p.alert_s, p.matched, frames)
        for p in result.predicted
    ]
    for truth in result.truth:
        if not truth.matched:
            missed = _missed_event(
                result.clip, truth.type, truth.zone, (truth.start_s + truth.end_s) / 2, frames
            )
            events.extend([missed] if missed else [])
    return events


def _boxes(found: Sequence[SidecarBox]) -> tuple[ReviewBox, ...]:
    return tuple(ReviewBox(label=b.label, xyxy=b.xyxy) for b in found)


def _alert_event(
    clip: str,
    type_name: str,
    zone: str | None,
    alert_s: float,
    matched: bool,
    frames: Mapping[float, Sequence[SidecarBox]],
) -> SiteEvent:
    event_type = EventType(type_name)
    t = nearest_labelled(frames, alert_s)
    found = () if t is None else tuple(frames[t])
    at = alert_s if t is None else t
    kind = ALERTED_KINDS.get(event_type)
    if matched:
        review = ReviewInput(verdict=Verdict.CONFIRMED, boxes=_boxes(found))
    elif kind is None or any(b.label is kind for b in found):
        review = None
    else:
        reason = false_alarm_reason(event_type, {b.label for b in found})
        review = ReviewInput(verdict=Verdict.FALSE_ALARM, reason=reason, boxes=_boxes(found))
    return SiteEvent(clip, event_type, zone, at, Origin.ALERT, review)


def _missed_event(
    clip: str,
    type_name: str,
    zone: str | None,
    middle_s: float,
    frames: Mapping[float, Sequence[SidecarBox]],
) -> SiteEvent | None:
    """None when no labelled frame shows an object of the event's kind (nothing to draw)."""
    event_type = EventType(type_name)
    kind = ALERTED_KINDS.get(event_type)
    showing = {t: boxes for t, boxes in frames.items() if any(b.label is kind for b in boxes)}
    t = nearest_labelled(showing, middle_s)
    if t is None:
        return None
    review = ReviewInput(verdict=Verdict.CONFIRMED, boxes=_boxes(showing[t]))
    return SiteEvent(clip, event_type, zone, t, Origin.MISSED, review)
