"""Who hears about an event change, and how: pure decisions over the notification config.

Policy (documented for patrollers):

* Critical alerts (``flying_wire`` with severity critical, ``ebike_in_elevator``,
  ``smoke_fire``) and someone in a closed shed (``shed_intrusion``) go out at once to every
  channel of every group owning the camera's building/floor, **even in quiet hours and outside
  duty hours**. A critical alert is never demoted: a second one on the same camera soon after the
  first (a second e-bike entering the elevator) goes out at once too.
* Routine alerts (``ebike_parked``, ``exit_blocked``, ...) wait for their group's digest.
  Reminders of critical events go out at once, reminders of routine ones join the digest. A
  critical event's end is announced to the groups that got its alert.
* Feed channels (MQTT) get every change of every event of their groups at once, with no batching
  or quiet hours: they are for machines.
* Acknowledging, assigning and resolving only reach the feed.
* On-site responses (``responses``) hear of their cameras' matching events at once when they
  start and end, in every hour, with no cooldown: a held elevator door must also be released.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, tzinfo

from alerts.events import EventStatus, EventType, Severity
from alerts.notices import FeedType, NoticeKind
from alerts.notify_config import FEED_CHANNEL_TYPES, NotificationsConfig, PatrolGroupConfig
from alerts.reviews import Verdict
from alerts.stored import ActionKind, StoredEvent

FEED_TYPES: dict[ActionKind, FeedType] = {
    ActionKind.RAISED: "new",
    ActionKind.ENDED: "end",
    ActionKind.REMINDED: "update",
    ActionKind.ACKNOWLEDGED: "update",
    ActionKind.ASSIGNED: "update",
    ActionKind.RESOLVED: "update",
    ActionKind.REVIEWED: "update",
    ActionKind.ON_THE_WAY: "update",
}
FEED_GROUP = "*"  # feed rows go once per channel, not once per group


@dataclass(frozen=True)
class PlannedNotice:
    """One outbox row to write: ``kind`` for ``group`` on ``channel``."""

    kind: NoticeKind
    group: str
    channel: str


@dataclass(frozen=True)
class PlannedEntry:
    """One digest item to write for ``group``; ``entry`` is ``raised`` or ``reminded:<n>``."""

    group: str
    entry: str


@dataclass(frozen=True)
class Plan:
    notices: tuple[PlannedNotice, ...] = ()
    entries: tuple[PlannedEntry, ...] = ()


def is_critical(event_type: EventType, severity: Severity) -> bool:
    """Alerts that cannot wait for a digest."""
    if event_type in (EventType.EBIKE_IN_ELEVATOR, EventType.SHED_INTRUSION, EventType.SMOKE_FIRE):
        return True
    return event_type is EventType.FLYING_WIRE and severity is Severity.CRITICAL


def owning_groups(
    config: NotificationsConfig, building: str, floor: str
) -> list[PatrolGroupConfig]:
    return [g for g in config.groups if g.owns(building, floor)]


def message_channels(config: NotificationsConfig, group: PatrolGroupConfig) -> list[str]:
    """The group's channels for people (everything but feeds)."""
    return [c for c in group.channels if config.channel_type(c) not in FEED_CHANNEL_TYPES]


def feed_channels(config: NotificationsConfig, groups: list[PatrolGroupConfig]) -> list[str]:
    """The distinct feed channels of ``groups``, in config order."""
    seen: dict[str, None] = {}
    for group in groups:
        for channel in group.channels:
            if config.channel_type(channel) in FEED_CHANNEL_TYPES:
                seen[channel] = None
    return list(seen)


def plan_change(
    config: NotificationsConfig,
    action: ActionKind,
    event: StoredEvent,
    alerted_groups: frozenset[str] = frozenset(),
) -> Plan:
    """What to write for one change.

    Args:
        alerted_groups: groups that got this event's immediate alert (ended only).
    """
    groups = owning_groups(config, event.building, event.floor)
    if not groups:
        return Plan()
    feed = tuple(
        PlannedNotice(NoticeKind.FEED, FEED_GROUP, channel)
        for channel in feed_channels(config, groups)
    )
    if is_false_alarm(event):
        return Plan(feed)  # nobody is told again about what a person called wrong
    critical = is_critical(event.type, event.severity)
    if action is ActionKind.RAISED:
        if critical:
            return Plan(feed + _to_people(config, groups, NoticeKind.ALERT))
        return Plan(feed, tuple(PlannedEntry(g.name, "raised") for g in groups))
    if action is ActionKind.REMINDED:
        if critical:
            return Plan(feed + _to_people(config, groups, NoticeKind.REMINDER))
        entry = f"reminded:{event.reminder_count}"
        return Plan(feed, tuple(PlannedEntry(g.name, entry) for g in groups))
    if action is ActionKind.ENDED and critical:
        alerted = [g for g in groups if g.name in alerted_groups]
        return Plan(feed + _to_people(config, alerted, NoticeKind.ENDED))
    return Plan(feed)


def is_false_alarm(event: StoredEvent) -> bool:
    return event.review is not None and event.review.verdict is Verdict.FALSE_ALARM


def plan_responses(
    config: NotificationsConfig, action: ActionKind, event: StoredEvent
) -> tuple[PlannedNotice, ...]:
    """The on-site responses a change owes: start actions when a matching event is raised,
    end actions (where configured) when it ends."""
    if action is ActionKind.RAISED:
        wanted = config.responses
    elif action is ActionKind.ENDED:
        wanted = [r for r in config.responses if r.end is not None]
    else:
        return ()
    return tuple(
        PlannedNotice(NoticeKind.RESPONSE, FEED_GROUP, response.channel)
        for response in wanted
        if response.matches(event.type, event.camera_id, event.zone)
    )


def _to_people(
    config: NotificationsConfig, groups: list[PatrolGroupConfig], kind: NoticeKind
) -> tuple[PlannedNotice, ...]:
    return tuple(
        PlannedNotice(kind, group.name, channel)
        for group in groups
        for channel in message_channels(config, group)
    )


def subject_kind(kind: NoticeKind, action: ActionKind, event: StoredEvent) -> str:
    """The ``kind`` part of an idempotency key: unique per message an event may owe a channel."""
    if kind is NoticeKind.FEED:
        repeatable = action in (ActionKind.ASSIGNED, ActionKind.REVIEWED, ActionKind.ON_THE_WAY)
        suffix = f":{event.updated_at!r}" if repeatable else ""
        return f"feed:{action.value}{suffix}"
    if kind is NoticeKind.REMINDER:
        return f"reminder:{event.reminder_count}"
    if kind is NoticeKind.RESPONSE:
        return f"response:{action.value}"
    return kind.value


# -- time windows ------------------------------------------------------------------------------


def local_clock(now: float, tz: tzinfo | None) -> time:
    """The local time of day at Unix time ``now``."""
    return datetime.fromtimestamp(now, tz).time()


def in_quiet_hours(group: PatrolGroupConfig, moment: time) -> bool:
    return group.quiet_hours is not None and group.quiet_hours.contains(moment)


def digest_allowed(group: PatrolGroupConfig, moment: time) -> bool:
    """Digests go out within duty hours and outside quiet hours."""
    on_duty = group.duty_hours is None or group.duty_hours.contains(moment)
    return on_duty and not in_quiet_hours(group, moment)


def may_message(group: PatrolGroupConfig, moment: time, critical: bool) -> bool:
    """Escalations and summaries: critical ones always, others outside quiet hours."""
    return critical or not in_quiet_hours(group, moment)


def needs_escalation(event: StoredEvent, now: float, escalate_after_s: float) -> bool:
    """Still open (nobody acknowledged) ``escalate_after`` after it was stored, and either still
    going on or critical; a routine alert whose condition ended on its own is left to the digest."""
    if event.status is not EventStatus.OPEN or now - event.created_at < escalate_after_s:
        return False
    return event.end_ts is None or is_critical(event.type, event.severity)
