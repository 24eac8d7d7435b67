"""The event filters of ``GET /api/events`` and of the page, read from the query string.

One dependency serves both, so a page's URL and the API take the same parameters: building,
floor, camera, type, severity, status, verdict (``confirmed`` / ``false_alarm`` / ``none``),
``from`` and ``to`` (ISO dates, or date-times, in the site's time zone; ``to`` as a date includes
that whole day), ``since`` (Unix seconds) and ``cursor`` (the ``next`` of the page before).
An empty value means no filter (what an untouched form field sends); a bad one is a 422 that
names the parameter and the value, in FastAPI's own format.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Annotated, NoReturn, TypeVar
from urllib.parse import urlencode

from fastapi import Query
from fastapi.exceptions import RequestValidationError

from alerts.event_query import BadCursor, Cursor, EventFilter, VerdictFilter
from alerts.events import EventStatus, EventType, Severity

E = TypeVar("E", bound=StrEnum)

MAX_UNIX_S = 1e11  # the year 5138: beyond it a time is a mistake, not a filter


def _choices(enum: type[StrEnum]) -> str:
    return "one of " + ", ".join(m.value for m in enum)


Text = Annotated[str | None, Query(max_length=200)]
DateParam = Annotated[
    str | None,
    Query(max_length=40, description="ISO date (YYYY-MM-DD) or date-time, site time zone"),
]


@dataclass(frozen=True)
class FindQuery:
    """What the request asks for: the filter, where to start, and the filter's parameters as
    given (non-empty ones, cursor left out), to build links that keep it."""

    filter: EventFilter
    cursor: Cursor | None = None
    params: dict[str, str] = field(default_factory=dict)

    def cursor_token(self) -> str | None:
        return None if self.cursor is None else self.cursor.token()

    def link(self, **changes: str | None) -> str:
        """``?...`` with this filter and ``changes`` (None removes a parameter)."""
        params = {**self.params, **changes}
        return "?" + urlencode({k: v for k, v in params.items() if v is not None})


def find_query_dependency(tz: tzinfo | None) -> Callable[..., Awaitable[FindQuery]]:
    """A FastAPI dependency reading the filters; dates are in ``tz`` (None: the server's).
    It only parses, so it runs on the event loop (async), sparing a hop to the thread pool."""

    async def find_query(
        building: Text = None,
        floor: Text = None,
        camera: Text = None,
        type: Annotated[str | None, Query(description=_choices(EventType))] = None,
        severity: Annotated[str | None, Query(description=_choices(Severity))] = None,
        status: Annotated[str | None, Query(description=_choices(EventStatus))] = None,
        verdict: Annotated[str | None, Query(description=_choices(VerdictFilter))] = None,
        date_from: Annotated[DateParam, Query(alias="from")] = None,
        date_to: Annotated[DateParam, Query(alias="to")] = None,
        since: Annotated[
            float | None,
            Query(ge=0, le=MAX_UNIX_S, allow_inf_nan=False, description="Unix seconds"),
        ] = None,
        cursor: Annotated[
            str | None, Query(max_length=200, description="the next page: a page's cursor")
        ] = None,
        node: Annotated[str | None, Query(max_length=200, description="a fleet's node")] = None,
        site: Annotated[str | None, Query(max_length=200, description="its nodes' site")] = None,
    ) -> FindQuery:
        given = {
            "building": building,
            "floor": floor,
            "camera": camera,
            "type": type,
            "severity": severity,
            "status": status,
            "verdict": verdict,
            "from": date_from,
            "to": date_to,
            "since": None if since is None else repr(since),
            "node": node,
            "site": site,
        }
        params = {k: v.strip() for k, v in given.items() if v is not None and v.strip()}
        return parse_find_query(params, cursor or None, tz)

    return find_query


def parse_find_query(params: dict[str, str], cursor: str | None, tz: tzinfo | None) -> FindQuery:
    """``params``: non-empty filter parameters by name. Raises RequestValidationError."""
    start = _moment("from", params.get("from"), tz, end_of_day=False)
    end = _moment("to", params.get("to"), tz, end_of_day=True)
    if start is not None and end is not None and start >= end:
        _reject("to", params["to"], f"must be after from ({params['from']})")
    since = float(params["since"]) if "since" in params else None
    if since is not None:
        start = since if start is None else max(start, since)
    which = EventFilter(
        building=params.get("building"),
        floor=params.get("floor"),
        camera_id=params.get("camera"),
        type=_enum("type", EventType, params.get("type")),
        severity=_enum("severity", Severity, params.get("severity")),
        status=_enum("status", EventStatus, params.get("status")),
        verdict=_enum("verdict", VerdictFilter, params.get("verdict")),
        start=start,
        end=end,
        node=params.get("node"),
        site=params.get("site"),
    )
    return FindQuery(which, _cursor(cursor), params)


def _enum(name: str, enum: type[E], value: str | None) -> E | None:
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        _reject(name, value, f"must be {_choices(enum)}")


def _moment(name: str, value: str | None, tz: tzinfo | None, *, end_of_day: bool) -> float | None:
    """Unix seconds of an ISO date (its midnight; with ``end_of_day`` the next midnight) or
    date-time (as given; without an offset, in ``tz``)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value) + timedelta(days=1 if end_of_day else 0)
            moment = datetime.combine(day, time(), tz)
        else:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=tz)
        return moment.timestamp()
    except (ValueError, OverflowError, OSError):
        _reject(name, value, "must be an ISO date (YYYY-MM-DD) or date-time")


def _cursor(token: str | None) -> Cursor | None:
    if token is None:
        return None
    try:
        return Cursor.parse(token)
    except BadCursor as exc:
        _reject("cursor", token[:80], str(exc))


def _reject(name: str, value: str, message: str) -> NoReturn:
    raise RequestValidationError(
        [
            {
                "type": "value_error",
                "loc": ("query", name),
                "msg": f"{name} {message}, got {value!r}",
                "input": value,
            }
        ]
    )
