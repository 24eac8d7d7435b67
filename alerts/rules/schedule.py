"""Daily schedules in the site's local time (a shed's closed hours). Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, time, tzinfo

from alerts.notify_config import TimeWindow

DAY_S = 86400.0


def seconds_of_day(moment: time) -> float:
    return moment.hour * 3600.0 + moment.minute * 60.0 + moment.second + moment.microsecond / 1e6


def closed_for_s(wall_ts: float, tz: tzinfo | None, windows: Sequence[TimeWindow]) -> float | None:
    """How long the schedule has been closed at Unix time ``wall_ts`` (seconds; ``math.inf`` for
    an all-day window), or None when no window holds that local time. A window whose end is not
    after its start wraps midnight: ``22:00-06:00`` holds at 23:00 (closed 1 h) and at 05:00
    (closed 7 h). Where windows overlap, the longest-running one counts."""
    local = datetime.fromtimestamp(wall_ts, tz).time()
    now_s = seconds_of_day(local)
    spans = []
    for window in windows:
        if not window.contains(local):
            continue
        if window.start == window.end:
            return math.inf
        spans.append((now_s - seconds_of_day(window.start)) % DAY_S)
    return max(spans) if spans else None
