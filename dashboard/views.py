"""What the HTML templates show: stored events and camera statuses turned into display text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alerts.events import EventStatus
from alerts.reviews import FalseAlarmReason, Review, ReviewCount, Verdict
from alerts.stored import StoredEvent
from dashboard.i18n import Texts
from dashboard.schemas import CameraState, CameraStatus


@dataclass(frozen=True)
class EventView:
    """One event card. Times are already formatted in the page's time zone."""

    id: str
    type_label: str
    severity: str  # css class suffix: info / high / critical
    severity_label: str
    status: str  # css class suffix: open / acknowledged / resolved
    status_label: str
    camera: str
    place: str  # building · floor
    zone: str | None
    alert_time: str
    start_time: str
    end_time: str | None  # HH:MM:SS when on the alert's day, else the full time
    duration: str
    confidence_pct: int
    details: tuple[str, ...]
    snapshot_url: str
    clip_url: str | None  # None: no clip (yet)
    photo_url: str | None  # the resolving patroller's photo; None: none
    on_way: str | None  # "who · when" of the latest "on my way"
    acknowledged: str | None  # "who · when"
    assigned_to: str | None
    resolved: str | None
    note: str | None
    reminder_count: int
    can_acknowledge: bool
    can_resolve: bool
    verdict: str | None  # css class suffix: confirmed / false_alarm; None: nobody said yet
    verdict_text: str | None  # "False alarm · Bicycle · otto · when"
    review_note: str | None


@dataclass(frozen=True)
class ReasonOption:
    value: str
    label: str


@dataclass(frozen=True)
class VerdictRow:
    """One camera's line in the verdicts panel."""

    camera: str
    confirmed: int
    false_alarms: int
    reasons: str  # "Bicycle 2 · Person 1"


@dataclass(frozen=True)
class CameraView:
    id: str
    name: str
    place: str
    state: str  # css class suffix
    state_label: str
    fps: str
    last_frame: str | None
    problem: str | None


def resolve_timezone(name: str | None) -> tzinfo | None:
    """``None`` means the server's local zone; an unknown name is a configuration error."""
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def format_time(ts: float, tz: tzinfo | None) -> str:
    """Unix seconds as ``YYYY-MM-DD HH:MM:SS`` in ``tz`` (None: the server's local zone)."""
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S")


def event_view(
    event: StoredEvent, texts: Texts, tz: tzinfo | None, now: float, base: str
) -> EventView:
    """``now`` (Unix seconds) measures how long an ongoing event has lasted; ``base`` is the
    app's root path, for links."""
    end = event.end_ts if event.end_ts is not None else now
    return EventView(
        id=event.id,
        type_label=texts.event_type(event.type),
        severity=event.severity.value,
        severity_label=texts.severity(event.severity),
        status=event.status.value,
        status_label=texts.status(event.status),
        camera=event.camera_name or event.camera_id,
        place=" · ".join(p for p in (event.building, event.floor) if p),
        zone=event.zone,
        alert_time=format_time(event.alert_ts, tz),
        start_time=format_time(event.start_ts, tz),
        end_time=None if event.end_ts is None else _end_text(event.alert_ts, event.end_ts, tz),
        duration=texts.duration(end - event.start_ts),
        confidence_pct=round(100 * event.confidence),
        details=tuple(texts.detail(d) for d in event.details),
        snapshot_url=f"{base}/api/events/{event.id}/snapshot.jpg",
        clip_url=None if event.clip_path is None else f"{base}/api/events/{event.id}/clip.mp4",
        photo_url=None if event.photo_path is None else f"{base}/api/events/{event.id}/photo.jpg",
        on_way=_who_when(event.on_way_by, event.on_way_at, tz),
        acknowledged=_who_when(event.acknowledged_by, event.acknowledged_at, tz),
        assigned_to=event.assigned_to,
        resolved=_who_when(event.resolved_by, event.resolved_at, tz),
        note=event.note,
        reminder_count=event.reminder_count,
        can_acknowledge=event.status == EventStatus.OPEN,
        can_resolve=event.status != EventStatus.RESOLVED,
        verdict=None if event.review is None else event.review.verdict.value,
        verdict_text=_verdict_text(event.review, texts, tz),
        review_note=None if event.review is None else event.review.note,
    )


def reason_options(texts: Texts) -> list[ReasonOption]:
    return [ReasonOption(r.value, texts(f"reason_{r.value}")) for r in FalseAlarmReason]


def verdict_rows(counts: list[ReviewCount], texts: Texts) -> list[VerdictRow]:
    """Per camera (in the order given): confirmed, false alarms, and the false alarms' reasons."""
    cameras: dict[str, list[ReviewCount]] = {}
    for count in counts:
        cameras.setdefault(count.camera_id, []).append(count)
    rows = []
    for lines in cameras.values():
        false = [c for c in lines if c.verdict is Verdict.FALSE_ALARM]
        reasons = [
            f"{texts(f'reason_{c.reason.value}')} {c.count}" for c in false if c.reason is not None
        ]
        rows.append(
            VerdictRow(
                camera=lines[0].camera_name,
                confirmed=sum(c.count for c in lines if c.verdict is Verdict.CONFIRMED),
                false_alarms=sum(c.count for c in false),
                reasons=" · ".join(reasons),
            )
        )
    return rows


def camera_view(camera: CameraStatus, texts: Texts) -> CameraView:
    age = camera.last_frame_age_s
    return CameraView(
        id=camera.id,
        name=camera.name or camera.id,
        place=" · ".join(p for p in (camera.building, camera.floor) if p),
        state=camera.state.value,
        state_label=texts(f"state_{camera.state.value}"),
        fps=f"{camera.fps:.1f} {texts('fps')}",
        last_frame=None
        if age is None
        else f"{texts('last_frame')} {age:.0f}{texts('seconds_ago')}",
        problem=camera.last_error if camera.state != CameraState.ONLINE else None,
    )


def _end_text(alert_ts: float, end_ts: float, tz: tzinfo | None) -> str:
    """Only the clock time when the event ended on the day it was raised."""
    alert, end = format_time(alert_ts, tz), format_time(end_ts, tz)
    return end[11:] if alert[:10] == end[:10] else end


def _verdict_text(review: Review | None, texts: Texts, tz: tzinfo | None) -> str | None:
    if review is None:
        return None
    parts = [texts(f"verdict_{review.verdict.value}")]
    if review.reason is not None:
        parts.append(texts(f"reason_{review.reason.value}"))
    parts.append(f"{review.by} · {format_time(review.at, tz)}")
    return " · ".join(parts)


def _who_when(who: str | None, at: float | None, tz: tzinfo | None) -> str | None:
    if who is None:
        return None
    return who if at is None else f"{who} · {format_time(at, tz)}"
