"""What the outbox stores and the channels send: rendered, channel-neutral notices.

A :class:`Notice` is rendered once, when its outbox row is written, in its patrol group's
language; every retry sends exactly the same content. Channels turn it into their own format.
Times are float Unix seconds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from alerts.events import Box, EventStatus, EventType, Severity
from alerts.notify_config import Language
from alerts.stored import StoredEvent

FeedType = Literal["new", "update", "end"]


class NoticeKind(StrEnum):
    ALERT = "alert"  # a critical alert, sent at once
    REMINDER = "reminder"  # a critical alert still unresolved
    ENDED = "ended"  # a critical alert's condition is over
    ESCALATION = "escalation"  # nobody acknowledged in time: to the supervisors
    DIGEST = "digest"  # routine alerts of one group, batched
    SUMMARY = "summary"  # the daily counts with a chart
    FEED = "feed"  # machine feed (MQTT): every change of every event
    RESPONSE = "response"  # an on-site device's start or end action (feed_type "new" or "end")


class EventBrief(BaseModel):
    """The parts of a stored event a message shows; ``link`` opens it (signed, expiring)."""

    model_config = ConfigDict(frozen=True)

    id: str
    type: EventType
    severity: Severity
    status: EventStatus
    camera_id: str
    camera_name: str
    building: str
    floor: str
    zone: str | None
    confidence: float
    start_ts: float
    alert_ts: float
    end_ts: float | None
    created_at: float
    box: Box | None
    details: tuple[str, ...]
    snapshot_path: str
    reminder_count: int
    link: str | None = None
    snapshot_url: str | None = None

    @classmethod
    def of(
        cls, event: StoredEvent, link: str | None = None, snapshot_url: str | None = None
    ) -> EventBrief:
        return cls(
            **{name: getattr(event, name) for name in _BRIEF_FIELDS},
            link=link,
            snapshot_url=snapshot_url,
        )


_BRIEF_FIELDS = tuple(n for n in EventBrief.model_fields if n not in ("link", "snapshot_url"))


class Notice(BaseModel):
    """One rendered message. ``markdown`` uses a small subset every channel understands:
    ``### heading``, ``**bold**``, ``[text](url)`` and ``- `` list lines.

    ``image_path`` is relative to the media folder (a snapshot or a chart), attached where the
    channel can. ``feed_type``/``before`` are set on :attr:`NoticeKind.FEED` notices only.
    """

    model_config = ConfigDict(frozen=True)

    kind: NoticeKind
    group: str
    language: Language
    title: str
    markdown: str
    link: str | None
    events: tuple[EventBrief, ...]
    image_path: str | None = None
    critical: bool = False
    created_at: float
    feed_type: FeedType | None = None
    before: EventBrief | None = None


@dataclass(frozen=True)
class Delivery:
    """One outbox row a dispatcher has claimed until ``lease_until``; ``attempt`` counts this
    try (1 = first)."""

    id: int
    idempotency_key: str
    channel: str
    group: str
    attempt: int
    lease_token: str
    lease_until: float
    notice: Notice


def idempotency_key(subject_id: str, kind: str, channel: str, group: str) -> str:
    """sha256 hex of the subject (event or digest id), the kind, the channel and the group."""
    text = "\n".join((subject_id, kind, channel, group))
    return hashlib.sha256(text.encode()).hexdigest()
