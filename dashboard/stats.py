"""The statistics page (``/stats``), its numbers as JSON (``GET /api/stats``) and as CSV
(``GET /api/stats.csv``), for any signed-in viewer, over a range of local days.

The numbers come from :func:`alerts.stats.compute_stats`; the charts from
:mod:`dashboard.stats_charts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from alerts.notify_config import PatrolGroupConfig
from alerts.stats import MAX_DAYS, NO_GROUP, AlertStats, compute_stats, day_bounds, stats_rows
from dashboard.access import Viewer
from dashboard.audit import csv_download
from dashboard.i18n import Texts
from dashboard.pages import LangParam, PageContext, base_path, request_texts
from dashboard.stats_charts import stats_charts

DEFAULT_DAYS = 7  # without a range: the last week, today included
CSV_HEADER = ("section", "key", "name", "bucket", "value")
RESPONSE_FIELDS = (
    "alerts",
    "acknowledged",
    "acknowledge_median_s",
    "acknowledge_p90_s",
    "resolved",
    "resolve_median_s",
    "resolve_p90_s",
)
NO_STORE = {"Cache-Control": "no-store"}

FIRST_DAY, LAST_DAY = date(1970, 1, 2), date(9998, 12, 30)  # Unix seconds and dates hold
StartParam = Annotated[
    date | None,
    Query(
        ge=FIRST_DAY,
        le=LAST_DAY,
        description="first local day (YYYY-MM-DD); default: 6 days before end",
    ),
]
EndParam = Annotated[
    date | None,
    Query(ge=FIRST_DAY, le=LAST_DAY, description="last local day (YYYY-MM-DD); default: today"),
]


def add_stats_routes(
    app: FastAPI, ctx: PageContext, groups: Sequence[PatrolGroupConfig] = ()
) -> None:
    """``groups``: the patrol groups whose response times are reported (none: one bucket)."""
    app.include_router(_stats_router(ctx, tuple(groups)))


def stats_period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The days asked for, defaults filled in; :class:`ValueError` for an inverted or too long
    range."""
    last = end or (today if start is None else min(today, start + timedelta(DEFAULT_DAYS - 1)))
    first = start or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValueError(f"start {first} is after end {last}")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValueError(f"{(last - first).days + 1} days asked for; at most {MAX_DAYS}")
    return first, last


def stats_csv_rows(stats: AlertStats) -> list[list[str]]:
    """The statistics as long-format rows under :data:`CSV_HEADER` (machine keys, no labels)."""
    rows: list[list[str]] = []
    daily = (("alerts_by_type", stats.by_type), ("alerts_by_building", stats.by_building))
    for section, series in daily:
        for line in series:
            for day, count in zip(stats.days, line.counts, strict=True):
                rows.append([section, line.key, "", day.isoformat(), str(count)])
    for times in stats.response_times:
        for field in RESPONSE_FIELDS:
            value = getattr(times, field)
            rows.append(["response_times", times.group, "", field, _number(value)])
    for camera in stats.busiest_cameras:
        alerts = str(camera.alerts)
        rows.append(["busiest_cameras", camera.camera_id, camera.camera_name, "", alerts])
    for hour, count in enumerate(stats.by_hour):
        rows.append(["alerts_by_hour", "", "", f"{hour:02d}", str(count)])
    for share in stats.false_alarms:
        for field in ("reviewed", "false_alarms", "share"):
            value = getattr(share, field)
            rows.append(["false_alarms", share.camera_id, share.camera_name, field, _number(value)])
    return rows


def _number(value: float | None) -> str:
    """Counts as they are, seconds and shares to 3 decimals, nothing for no value."""
    if value is None:
        return ""
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def _stats_router(ctx: PageContext, groups: tuple[PatrolGroupConfig, ...]) -> APIRouter:
    router = APIRouter()

    def stats_for(start: date | None, end: date | None) -> AlertStats:
        today = datetime.fromtimestamp(ctx.clock(), ctx.tz).date()
        try:
            first, last = stats_period(start, end, today)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        rows = stats_rows(ctx.store.engine, *day_bounds(first, last, ctx.tz))
        return compute_stats(rows, first, last, ctx.tz, groups)

    @router.get(
        "/api/stats",
        response_model=AlertStats,
        responses={422: {"description": "start after end, or more than a year"}},
    )
    def stats_json(
        response: Response, _user: Viewer, start: StartParam = None, end: EndParam = None
    ) -> AlertStats:
        """Alerts per day by type and building, time to acknowledge and to resolve per patrol
        group, the busiest cameras and hours, and false-alarm shares, over local days."""
        response.headers.update(NO_STORE)
        return stats_for(start, end)

    @router.get("/api/stats.csv", response_class=Response)
    def stats_csv(_user: Viewer, start: StartParam = None, end: EndParam = None) -> Response:
        """The same numbers as CSV (UTF-8 with BOM), one value a row."""
        stats = stats_for(start, end)
        name = f"stairwatch-stats-{stats.start}-{stats.end}.csv"
        return csv_download(CSV_HEADER, stats_csv_rows(stats), name)

    @router.get("/stats", response_class=HTMLResponse, include_in_schema=False)
    def stats_page(
        request: Request,
        user: Viewer,
        lang: LangParam = None,
        start: StartParam = None,
        end: EndParam = None,
    ) -> HTMLResponse:
        texts = request_texts(ctx, request, lang)
        stats = stats_for(start, end)
        context = _page_context(request, texts, stats)
        context.update(user_name=user.name, user_role=user.role.value)
        response = ctx.templates.TemplateResponse(request, "stats.html", context)
        response.headers.update({**NO_STORE, "Vary": "Accept-Language"})
        return response

    return router


def _page_context(request: Request, texts: Texts, stats: AlertStats) -> dict[str, Any]:
    period = {"start": stats.start.isoformat(), "end": stats.end.isoformat()}
    return {
        "texts": texts,
        "base": base_path(request),
        "stats": stats,
        "period": period,
        "charts": stats_charts(stats, texts),
        "response_rows": [
            {
                "group": t.group if t.group != NO_GROUP else texts("stats_no_group"),
                "alerts": t.alerts,
                "acknowledged": t.acknowledged,
                "resolved": t.resolved,
                "times": [
                    "–" if s is None else texts.duration(s)
                    for s in (
                        t.acknowledge_median_s,
                        t.acknowledge_p90_s,
                        t.resolve_median_s,
                        t.resolve_p90_s,
                    )
                ],
            }
            for t in stats.response_times
        ],
        "csv_query": "?" + urlencode(period),
        "other_lang_href": "?" + urlencode({"lang": texts.other_lang(), **period}),
    }
