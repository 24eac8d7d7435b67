"""Alert statistics over a range of days: alerts per day by type and by building, time to
acknowledge and to resolve per patrol group, the busiest cameras and hours, and the false-alarm
share per camera.

:func:`stats_rows` reads what is needed from the events table; :func:`compute_stats` is a pure
function over those rows. Days and hours are local to the given time zone (None: the machine's).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from alerts.events import EventType
from alerts.models import EventRow
from alerts.notify_config import PatrolGroupConfig
from alerts.reviews import Verdict
from alerts.store_db import transaction

MAX_DAYS = 366  # the longest range one request may ask for
BUSIEST_CAMERAS = 10
NO_GROUP = ""  # the response-time bucket of events no patrol group owns


@dataclass(frozen=True)
class StatsRow:
    """One event as the statistics see it. Times are Unix seconds."""

    camera_id: str
    camera_name: str
    building: str
    floor: str
    type: EventType
    alert_ts: float
    acknowledged_at: float | None = None
    resolved_at: float | None = None
    verdict: Verdict | None = None


class DaySeries(BaseModel):
    """Alerts of one key (an event type, a building) on each day of :attr:`AlertStats.days`."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(description='event type or building name ("": none given)')
    counts: list[int]


class ResponseTimes(BaseModel):
    """How fast one patrol group's events were acknowledged and resolved, in seconds after
    the alert (median and 90th percentile, linear interpolation; None: no such event)."""

    model_config = ConfigDict(frozen=True)

    group: str = Field(description='patrol group name; "": events no group owns')
    alerts: int
    acknowledged: int
    acknowledge_median_s: float | None
    acknowledge_p90_s: float | None
    resolved: int
    resolve_median_s: float | None
    resolve_p90_s: float | None


class CameraCount(BaseModel):
    model_config = ConfigDict(frozen=True)

    camera_id: str
    camera_name: str
    alerts: int


class FalseAlarmShare(BaseModel):
    """Of one camera's events that got a verdict, how many were false alarms."""

    model_config = ConfigDict(frozen=True)

    camera_id: str
    camera_name: str
    reviewed: int
    false_alarms: int
    share: float = Field(ge=0, le=1, description="false_alarms / reviewed")


class AlertStats(BaseModel):
    """``GET /api/stats``: alerts raised from ``start`` to ``end`` (local days, both included)."""

    model_config = ConfigDict(frozen=True)

    start: date
    end: date
    total: int
    days: list[date]
    by_type: list[DaySeries] = Field(description="types that had alerts, in a fixed order")
    by_building: list[DaySeries] = Field(description="buildings that had alerts, by name")
    response_times: list[ResponseTimes] = Field(description="patrol groups in config order")
    busiest_cameras: list[CameraCount] = Field(description=f"at most {BUSIEST_CAMERAS}")
    by_hour: list[int] = Field(min_length=24, max_length=24, description="local hour 0..23")
    false_alarms: list[FalseAlarmShare] = Field(description="cameras with verdicts, worst first")


def day_bounds(start: date, end: date, tz: tzinfo | None) -> tuple[float, float]:
    """Unix seconds of local midnight at ``start`` and after ``end`` (half-open range)."""
    first = datetime.combine(start, time(), tzinfo=tz)
    after = datetime.combine(end + timedelta(days=1), time(), tzinfo=tz)
    return first.timestamp(), after.timestamp()


def stats_rows(engine: Engine, since: float, until: float) -> list[StatsRow]:
    """Events alerted at or after ``since`` and before ``until`` (Unix seconds)."""
    columns = (
        EventRow.camera_id,
        EventRow.camera_name,
        EventRow.building,
        EventRow.floor,
        EventRow.type,
        EventRow.alert_ts,
        EventRow.acknowledged_at,
        EventRow.resolved_at,
        EventRow.review_verdict,
    )
    query = select(*columns).where(EventRow.alert_ts >= since, EventRow.alert_ts < until)
    with transaction(sessionmaker(engine)) as session:
        found = session.execute(query.order_by(EventRow.alert_ts, EventRow.id)).all()
    return [
        StatsRow(
            cam, name, building, floor, EventType(kind), alert, acked, resolved, _verdict(verdict)
        )
        for cam, name, building, floor, kind, alert, acked, resolved, verdict in found
    ]


def compute_stats(
    rows: Sequence[StatsRow],
    start: date,
    end: date,
    tz: tzinfo | None,
    groups: Sequence[PatrolGroupConfig] = (),
) -> AlertStats:
    """The statistics of ``rows`` (those outside the days are ignored) from ``start`` to
    ``end``; ``groups`` own events by building and floor, as they do for notifications."""
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    local = [(row, datetime.fromtimestamp(row.alert_ts, tz)) for row in rows]
    kept = [(row, moment) for row, moment in local if start <= moment.date() <= end]
    in_range = [row for row, _ in kept]
    day_of = [moment.date() for _, moment in kept]
    return AlertStats(
        start=start,
        end=end,
        total=len(in_range),
        days=days,
        by_type=_series(days, day_of, [r.type.value for r in in_range], _type_order),
        by_building=_series(days, day_of, [r.building for r in in_range], lambda key: key),
        response_times=[_times(name, owned) for name, owned in _by_group(in_range, groups)],
        busiest_cameras=_busiest(in_range),
        by_hour=_by_hour([moment.hour for _, moment in kept]),
        false_alarms=_false_alarms(in_range),
    )


def percentiles(values: Sequence[float]) -> tuple[float | None, float | None]:
    """(median, 90th percentile) with linear interpolation; (None, None) for no values."""
    if not values:
        return None, None
    median, p90 = np.percentile(np.asarray(values, dtype=np.float64), [50, 90])
    return float(median), float(p90)


def _verdict(value: str | None) -> Verdict | None:
    return None if value is None else Verdict(value)


def _type_order(key: str) -> int:
    return list(EventType).index(EventType(key))


def _series(
    days: list[date], day_of: list[date], keys: list[str], order: Callable[[str], Any]
) -> list[DaySeries]:
    index = {day: i for i, day in enumerate(days)}
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    for day, key in zip(day_of, keys, strict=True):
        counts[key][index[day]] += 1
    ordered = sorted(counts, key=order)
    return [DaySeries(key=key, counts=counts[key]) for key in ordered]


def _by_group(
    rows: list[StatsRow], groups: Sequence[PatrolGroupConfig]
) -> Iterable[tuple[str, list[StatsRow]]]:
    """Every group (an event two groups own counts for both), then the events none owns."""
    places = {(r.building, r.floor) for r in rows}
    owners = {place: [g.name for g in groups if g.owns(*place)] for place in places}
    owned: dict[str, list[StatsRow]] = {g.name: [] for g in groups}
    orphans: list[StatsRow] = []
    for r in rows:
        names = owners[(r.building, r.floor)]
        for name in names:
            owned[name].append(r)
        if not names:
            orphans.append(r)
    yield from owned.items()
    if orphans or not groups:
        yield NO_GROUP, orphans


def _times(group: str, rows: list[StatsRow]) -> ResponseTimes:
    acks = [max(0.0, r.acknowledged_at - r.alert_ts) for r in rows if r.acknowledged_at is not None]
    fixes = [max(0.0, r.resolved_at - r.alert_ts) for r in rows if r.resolved_at is not None]
    ack_median, ack_p90 = percentiles(acks)
    fix_median, fix_p90 = percentiles(fixes)
    return ResponseTimes(
        group=group,
        alerts=len(rows),
        acknowledged=len(acks),
        acknowledge_median_s=ack_median,
        acknowledge_p90_s=ack_p90,
        resolved=len(fixes),
        resolve_median_s=fix_median,
        resolve_p90_s=fix_p90,
    )


def _camera_names(rows: list[StatsRow]) -> dict[str, str]:
    """Each camera's name in its latest event."""
    latest = sorted(rows, key=lambda r: r.alert_ts)
    return {r.camera_id: r.camera_name or r.camera_id for r in latest}


def _busiest(rows: list[StatsRow]) -> list[CameraCount]:
    counts = Counter(r.camera_id for r in rows)
    names = _camera_names(rows)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:BUSIEST_CAMERAS]
    return [CameraCount(camera_id=c, camera_name=names[c], alerts=n) for c, n in ranked]


def _by_hour(hours: list[int]) -> list[int]:
    counts = Counter(hours)
    return [counts.get(hour, 0) for hour in range(24)]


def _false_alarms(rows: list[StatsRow]) -> list[FalseAlarmShare]:
    reviewed = Counter(r.camera_id for r in rows if r.verdict is not None)
    false = Counter(r.camera_id for r in rows if r.verdict is Verdict.FALSE_ALARM)
    names = _camera_names(rows)
    shares = [
        FalseAlarmShare(
            camera_id=camera,
            camera_name=names[camera],
            reviewed=n,
            false_alarms=false[camera],
            share=false[camera] / n,
        )
        for camera, n in reviewed.items()
    ]
    return sorted(shares, key=lambda s: (-s.share, -s.reviewed, s.camera_id))
