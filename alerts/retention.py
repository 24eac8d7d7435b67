"""Retention: drop events and evidence past their age, and keep the media folder under its cap.

:func:`plan_retention` decides (pure); :func:`apply_retention` measures the files, plans, and
carries the plan out on an :class:`EventStore`.

The policy, in order:

1. Age: events that *ended* more than ``max_age_s`` ago are deleted with their audit trail and
   files. Ongoing events (no end yet) are never deleted: the condition is still there.
2. Size cap, only while the evidence of the events left is over ``max_media_bytes``, oldest alert
   first within each step (ties by event id):
   a. clips of ended events are dropped (the event and its snapshot stay);
   b. then ended events are deleted outright;
   c. then, as a last resort, clips of ongoing events are dropped.
   Ongoing events' snapshots are never touched; ``over_cap`` tells when that was not enough.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from alerts.errors import EventNotFound, StoreError
from alerts.media import EventMedia, resolve_media_path
from alerts.store import EventStore

SECONDS_PER_DAY = 86_400.0
BYTES_PER_GB = 1_000_000_000
DELETE_CHUNK = 500  # ids per DELETE statement, well under SQLite's bound-parameter limit


@dataclass(frozen=True)
class MediaItem:
    """One event as the planner sees it. Times in Unix seconds, sizes in bytes.

    ``end_ts`` None: the event is ongoing. ``clip_bytes`` 0: no clip (or its file is gone).
    ``photo_bytes``: the patroller's photo, which goes only with its event.
    """

    event_id: str
    alert_ts: float
    end_ts: float | None
    snapshot_bytes: int
    clip_bytes: int
    photo_bytes: int = 0

    @property
    def ongoing(self) -> bool:
        return self.end_ts is None


@dataclass(frozen=True)
class RetentionLimits:
    """``max_age_s``: seconds after an event's end; ``max_media_bytes``: cap on evidence bytes."""

    max_age_s: float
    max_media_bytes: int

    @classmethod
    def from_config(cls, retention_days: float, max_media_gb: float) -> RetentionLimits:
        if retention_days <= 0 or max_media_gb <= 0:
            raise StoreError(
                f"retention needs positive limits, got {retention_days} days, {max_media_gb} GB"
            )
        return cls(retention_days * SECONDS_PER_DAY, round(max_media_gb * BYTES_PER_GB))


@dataclass(frozen=True)
class RetentionPlan:
    """What to remove. ``delete_events``: rows, audit trails and files; ``drop_clips``: only
    the clip (never an id that is also in ``delete_events``). Bytes count evidence files."""

    delete_events: tuple[str, ...]
    drop_clips: tuple[str, ...]
    media_bytes_before: int
    media_bytes_after: int
    over_cap: bool

    @property
    def empty(self) -> bool:
        return not self.delete_events and not self.drop_clips


@dataclass(frozen=True)
class RetentionReport:
    """What :func:`apply_retention` did (events that vanished meanwhile are not counted)."""

    events_deleted: int
    clips_dropped: int
    media_bytes_before: int
    media_bytes_after: int
    over_cap: bool


def plan_retention(
    items: Sequence[MediaItem], now: float, limits: RetentionLimits
) -> RetentionPlan:
    """Apply the module's policy to ``items`` at ``now`` (Unix seconds)."""
    before = _bytes(items)
    cutoff = now - limits.max_age_s
    aged = [i for i in items if i.end_ts is not None and i.end_ts < cutoff]
    aged_ids = {i.event_id for i in aged}
    kept = sorted((i for i in items if i.event_id not in aged_ids), key=_oldest_first)
    cut = _CapCut(limits.max_media_bytes, before - _bytes(aged))
    ended = [i for i in kept if not i.ongoing]
    cut.drop_clips(ended)
    cut.delete_events(ended)
    cut.drop_clips([i for i in kept if i.ongoing])
    deleted = sorted([*aged, *cut.deleted], key=_oldest_first)
    gone = {i.event_id for i in deleted}
    return RetentionPlan(
        delete_events=tuple(i.event_id for i in deleted),
        drop_clips=tuple(i.event_id for i in cut.dropped if i.event_id not in gone),
        media_bytes_before=before,
        media_bytes_after=cut.total,
        over_cap=cut.total > limits.max_media_bytes,
    )


class _CapCut:
    """Running total of evidence bytes while the planner removes things, oldest first."""

    def __init__(self, cap: int, total: int):
        self.cap = cap
        self.total = total
        self.deleted: list[MediaItem] = []
        self.dropped: list[MediaItem] = []
        self._dropped_ids: set[str] = set()

    def drop_clips(self, items: Iterable[MediaItem]) -> None:
        for item in items:
            if self.total <= self.cap:
                return
            if item.clip_bytes:
                self.dropped.append(item)
                self._dropped_ids.add(item.event_id)
                self.total -= item.clip_bytes

    def delete_events(self, items: Iterable[MediaItem]) -> None:
        for item in items:
            if self.total <= self.cap:
                return
            self.deleted.append(item)
            clip_left = 0 if item.event_id in self._dropped_ids else item.clip_bytes
            self.total -= item.snapshot_bytes + item.photo_bytes + clip_left


def apply_retention(
    store: EventStore, now: float, retention_days: float, max_media_gb: float
) -> RetentionReport:
    """Measure every event's files, plan, then drop clips and delete events accordingly."""
    limits = RetentionLimits.from_config(retention_days, max_media_gb)
    items = [_measure(store.media_dir, media) for media in store.media_index()]
    plan = plan_retention(items, now, limits)
    dropped = sum(_drop_clip(store, event_id) for event_id in plan.drop_clips)
    deleted = sum(store.delete_events(chunk) for chunk in _chunks(plan.delete_events))
    return RetentionReport(
        events_deleted=deleted,
        clips_dropped=dropped,
        media_bytes_before=plan.media_bytes_before,
        media_bytes_after=plan.media_bytes_after,
        over_cap=plan.over_cap,
    )


def _oldest_first(item: MediaItem) -> tuple[float, str]:
    return (item.alert_ts, item.event_id)


def _bytes(items: Iterable[MediaItem]) -> int:
    return sum(i.snapshot_bytes + i.clip_bytes + i.photo_bytes for i in items)


def _measure(media_dir: Path, media: EventMedia) -> MediaItem:
    return MediaItem(
        event_id=media.event_id,
        alert_ts=media.alert_ts,
        end_ts=media.end_ts,
        snapshot_bytes=_file_size(media_dir, media.snapshot_path),
        clip_bytes=_file_size(media_dir, media.clip_path),
        photo_bytes=_file_size(media_dir, media.photo_path),
    )


def _file_size(media_dir: Path, relpath: str | None) -> int:
    """Bytes on disk; 0 for no file (never recorded, or already removed)."""
    if relpath is None:
        return 0
    try:
        return resolve_media_path(media_dir, relpath).stat().st_size
    except (OSError, StoreError):
        return 0


def _drop_clip(store: EventStore, event_id: str) -> int:
    try:
        store.drop_clip(event_id)
    except EventNotFound:  # deleted meanwhile
        return 0
    return 1


def _chunks(ids: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), DELETE_CHUNK):
        yield list(ids[start : start + DELETE_CHUNK])
