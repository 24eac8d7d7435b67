"""Verdicts on events: an operator says an alert was right (``confirmed``) or wrong
(``false_alarm``, with a reason), may add a note and the boxes of what is really there.

One verdict per event (a later one replaces it; the trail keeps every one as JSON). The counts per
camera, verdict and reason come from :func:`review_counts`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from alerts.models import EventRow
from alerts.store_db import transaction
from vision.kinds import ObjectKind, check_normalized_xyxy

MAX_BOXES = 20
MAX_REVIEW_NOTE_LEN = 2000


class Verdict(StrEnum):
    CONFIRMED = "confirmed"
    FALSE_ALARM = "false_alarm"


class FalseAlarmReason(StrEnum):
    """What the detector took for the alerted thing."""

    BICYCLE = "bicycle"
    STROLLER_OR_WHEELCHAIR = "stroller_or_wheelchair"
    PERSON = "person"
    OBJECT_OR_SHADOW = "object_or_shadow"
    CABLE_LOOKALIKE = "cable_lookalike"
    OTHER = "other"


class ReviewBox(BaseModel):
    """What is really in the snapshot: ``xyxy`` normalized to [0, 1] of the image's width and
    height, top-left then bottom-right corner."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: ObjectKind
    xyxy: tuple[float, float, float, float]

    _normalized = field_validator("xyxy")(check_normalized_xyxy)


class ReviewInput(BaseModel):
    """What a person says about an event (the body of ``POST /api/events/{id}/review``).
    A false alarm needs a reason; a confirmation takes none."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    verdict: Verdict
    reason: FalseAlarmReason | None = None
    note: str | None = Field(None, max_length=MAX_REVIEW_NOTE_LEN)
    boxes: tuple[ReviewBox, ...] = Field((), max_length=MAX_BOXES)

    @model_validator(mode="after")
    def _reason_fits_verdict(self) -> ReviewInput:
        if self.verdict is Verdict.FALSE_ALARM and self.reason is None:
            raise ValueError("reason is required for a false_alarm")
        if self.verdict is Verdict.CONFIRMED and self.reason is not None:
            raise ValueError("reason is only for a false_alarm")
        return self

    def trail_note(self) -> str:
        """The whole verdict as compact JSON, for the event's audit trail."""
        fields = set(ReviewInput.model_fields)
        shown = self.model_dump(mode="json", include=fields)
        return json.dumps(shown, separators=(",", ":"), ensure_ascii=False)


class Review(ReviewInput):
    """A stored verdict: who gave it and when (Unix seconds)."""

    by: str
    at: float


class ReviewCount(BaseModel):
    """How many events of one camera got one verdict (and reason)."""

    model_config = ConfigDict(frozen=True)

    camera_id: str
    camera_name: str
    verdict: Verdict
    reason: FalseAlarmReason | None
    count: int


def write_review(row: EventRow, review: ReviewInput, actor: str, now: float) -> None:
    """Put ``review`` on the event's row, replacing any earlier verdict."""
    row.review_verdict = review.verdict.value
    row.review_reason = None if review.reason is None else review.reason.value
    row.review_note = review.note or None
    row.review_boxes = [b.model_dump(mode="json") for b in review.boxes]
    row.reviewed_by, row.reviewed_at = actor, now


def read_review(row: EventRow) -> Review | None:
    """The row's verdict, or None when nobody has given one."""
    if row.review_verdict is None or row.reviewed_by is None or row.reviewed_at is None:
        return None
    return Review(
        verdict=Verdict(row.review_verdict),
        reason=None if row.review_reason is None else FalseAlarmReason(row.review_reason),
        note=row.review_note,
        boxes=tuple(ReviewBox.model_validate(b) for b in row.review_boxes or ()),
        by=row.reviewed_by,
        at=row.reviewed_at,
    )


def review_counts(engine: Engine, since: float | None = None) -> list[ReviewCount]:
    """Reviewed events per camera, verdict and reason (alerts at or after ``since``, Unix
    seconds), by camera then verdict then reason."""
    keys = (EventRow.camera_id, EventRow.review_verdict, EventRow.review_reason)
    query = select(*keys, func.max(EventRow.camera_name), func.count(EventRow.id)).where(
        EventRow.review_verdict.is_not(None)
    )
    if since is not None:
        query = query.where(EventRow.alert_ts >= since)
    query = query.group_by(*keys).order_by(*keys)
    with transaction(sessionmaker(engine)) as session:
        rows: Sequence[tuple[str, str, str | None, str, int]] = session.execute(query).all()  # type: ignore[assignment]
    return [
        ReviewCount(
            camera_id=camera_id,
            camera_name=name or camera_id,
            verdict=Verdict(verdict),
            reason=None if reason is None else FalseAlarmReason(reason),
            count=int(n),
        )
        for camera_id, verdict, reason, name, n in rows
    ]
