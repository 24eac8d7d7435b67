"""The access log as the dashboard writes and shows it: who signed in, who viewed which snapshot,
clip or live picture (:mod:`alerts.access_log`). Admins read it at ``/audit`` and download it as
CSV. A view that cannot be logged is not served (the store error answers 503)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from alerts.access_log import AccessAction, AccessEntry
from alerts.store import EventStore
from dashboard.access import Admin
from dashboard.pages import LangParam, PageContext, base_path, request_texts
from dashboard.views import format_time

ANONYMOUS_ACTOR = "-"  # the dashboard has no sign-in
PATROL_LINK_ACTOR = "patrol-link"  # a patroller's signed link (no account, no name yet)
PAGE_ROWS = 200
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def client_address(request: Request) -> str | None:
    """The peer's address (behind a reverse proxy: the proxy's)."""
    return request.client.host if request.client else None


def log_access(
    store: EventStore, request: Request, actor: str, action: AccessAction, target: str | None
) -> None:
    store.access.record(actor or ANONYMOUS_ACTOR, action, target, client_address(request))


ActorParam = Annotated[str | None, Query(max_length=200)]
ActionParam = Annotated[AccessAction | None, Query()]
DayParam = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="local day")]


def spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula (a failed sign-in's name is anyone's)."""
    risky = cell.startswith(FORMULA_STARTS) and cell != ANONYMOUS_ACTOR
    return "'" + cell if risky else cell


def csv_download(header: Sequence[str], rows: Iterable[Sequence[str]], filename: str) -> Response:
    """A CSV attachment, UTF-8 with BOM (so spreadsheet programs read the Chinese names), no
    cell a formula, never cached."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }
    return Response("\ufeff" + out.getvalue(), media_type="text/csv", headers=headers)


def add_audit_routes(app: FastAPI, ctx: PageContext) -> None:
    app.include_router(_audit_router(ctx))


def _audit_router(ctx: PageContext) -> APIRouter:
    router = APIRouter()

    def entries(
        actor: str | None, action: AccessAction | None, day: str | None, limit: int
    ) -> list[AccessEntry]:
        since = until = None
        if day is not None:
            try:
                start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=ctx.tz)
                since = start.timestamp()
                until = (start + timedelta(days=1)).timestamp()  # wall-clock day, DST included
            except (ValueError, OverflowError):  # 2026-13-45; 9999-12-31 has no next day
                raise HTTPException(422, f"day {day!r} is not a date (YYYY-MM-DD)") from None
        return ctx.store.access.entries(
            limit, actor=actor or None, action=action, since=since, until=until
        )

    @router.get("/api/access-log", response_model=list[AccessEntry])
    def access_log(
        user: Admin,
        actor: ActorParam = None,
        action: ActionParam = None,
        day: DayParam = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = PAGE_ROWS,
    ) -> list[AccessEntry]:
        """Newest first (admins only)."""
        return entries(actor, action, day, limit)

    @router.get("/api/access-log.csv", response_class=Response)
    def access_log_csv(
        user: Admin, actor: ActorParam = None, action: ActionParam = None, day: DayParam = None
    ) -> Response:
        """The same as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese names)."""
        rows = [
            [
                datetime.fromtimestamp(e.at, ctx.tz).isoformat(timespec="seconds"),
                e.actor,
                e.action.value,
                e.target or "",
                e.address or "",
            ]
            for e in entries(actor, action, day, 100_000)
        ]
        header = ["time", "actor", "action", "target", "address"]
        return csv_download(header, rows, "stairwatch-access-log.csv")

    @router.get("/audit", response_class=HTMLResponse, include_in_schema=False)
    def audit_page(
        request: Request,
        user: Admin,
        lang: LangParam = None,
        actor: ActorParam = None,
        action: ActionParam = None,
        day: DayParam = None,
    ) -> HTMLResponse:
        texts = request_texts(ctx, request, lang)
        filters = {"actor": actor or "", "action": action.value if action else "", "day": day or ""}
        rows = [
            {
                "time": format_time(e.at, ctx.tz),
                "actor": e.actor,
                "action": texts(f"access_{e.action.value}"),
                "target": e.target or "",
                "address": e.address or "",
            }
            for e in entries(actor, action, day, PAGE_ROWS)
        ]
        context = {
            "texts": texts,
            "base": base_path(request),
            "rows": rows,
            "actions": [(a.value, texts(f"access_{a.value}")) for a in AccessAction],
            "filters": filters,
            "csv_query": "?" + urlencode(chosen)
            if (chosen := {k: v for k, v in filters.items() if v})
            else "",
            "user_name": user.name,
            "user_role": user.role.value,
        }
        response = ctx.templates.TemplateResponse(request, "audit.html", context)
        response.headers["Cache-Control"] = "no-store"
        return response

    return router
