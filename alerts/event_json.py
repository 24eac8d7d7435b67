"""Pages of stored events straight from their rows to JSON bytes, the same bytes
:class:`~alerts.stored.StoredEvent` serializes to, without building one per row: a page of 50
through the models cost ten times the query itself (``GET /api/events`` at 100 requests a
second). Verdicts with boxes drawn go through :class:`~alerts.reviews.Review` (few, and the
boxes are checked there)."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, cast

import orjson
from sqlalchemy import Row

from alerts.models import EventRow
from alerts.reviews import read_review

# StoredEvent's fields, in its order, that come from a column of the same name as they are.
PLAIN_BEFORE_BOX = ("id", "camera_id", "camera_name", "building", "floor", "zone", "type",
                    "severity", "status", "track_id", "confidence", "start_ts", "alert_ts",
                    "end_ts")  # fmt: skip
PLAIN_AFTER_DETAILS = ("snapshot_path", "clip_path", "created_at", "updated_at",
                       "acknowledged_by", "acknowledged_at", "assigned_to", "resolved_by",
                       "resolved_at", "note", "reminder_count")  # fmt: skip
PLAIN_AFTER_REVIEW = ("training_path", "on_way_by", "on_way_at", "photo_path", "node_id")
BOX_COLUMNS = ("box_x1", "box_y1", "box_x2", "box_y2")


def events_json(rows: Sequence[Row[Any]]) -> bytes:
    """``rows`` (all columns of the events table) as the JSON list of their
    :class:`~alerts.stored.StoredEvent`s, UTF-8."""
    if not rows:
        return b"[]"
    names = rows[0]._fields  # a dict per row: a row's attributes cost several times more
    return orjson.dumps([_event(dict(zip(names, row, strict=True))) for row in rows])


def _event(columns: dict[str, Any]) -> dict[str, Any]:
    event = {name: columns[name] for name in PLAIN_BEFORE_BOX}
    coords = [columns[name] for name in BOX_COLUMNS]
    event["box"] = None
    if all(c is not None for c in coords):
        event["box"] = dict(zip(("x1", "y1", "x2", "y2"), map(float, coords), strict=True))
    event["details"] = columns["details"]
    for name in PLAIN_AFTER_DETAILS:
        event[name] = columns[name]
    event["review"] = _review(columns)
    event["training_frames"] = columns["training_frames"] or 0
    for name in PLAIN_AFTER_REVIEW:
        event[name] = columns[name]
    event["ongoing"] = columns["end_ts"] is None
    return event


def _review(columns: dict[str, Any]) -> dict[str, Any] | None:
    """The verdict as :func:`~alerts.reviews.read_review` reads it, dumped."""
    verdict, by, at = columns["review_verdict"], columns["reviewed_by"], columns["reviewed_at"]
    if verdict is None or by is None or at is None:
        return None
    if columns["review_boxes"]:
        review = read_review(cast(EventRow, SimpleNamespace(**columns)))
        return None if review is None else review.model_dump(mode="json")
    return {"verdict": verdict, "reason": columns["review_reason"],
            "note": columns["review_note"], "boxes": [], "by": by, "at": at}  # fmt: skip
