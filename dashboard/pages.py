"""The HTML page and the fragments its script swaps in when something changed.

The server renders every card (one renderer, one catalogue); the script fetches
``/partials/events`` when the live feed (``dashboard/feed.py``) says an event changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from alerts.changes import BEFORE_ALL, latest_mark
from alerts.deliveries import delivery_counts
from alerts.events import EventStatus
from alerts.fleet import FleetStore
from alerts.reviews import review_counts
from alerts.store import EventStore
from alerts.stored import StoredEvent
from dashboard.access import Access
from dashboard.auth import Role, User
from dashboard.fleet_panel import FleetFilter, fleet_filter, fleet_panel
from dashboard.i18n import Lang, Texts, pick_lang
from dashboard.schemas import CameraStatusProvider, DashboardSettings
from dashboard.shed_views import panel_rows
from dashboard.views import (
    camera_view,
    event_view,
    format_time,
    reason_options,
    verdict_rows,
)

LangParam = Annotated[str | None, Query(max_length=20, description="zh-CN or en")]
StatusParam = Annotated[EventStatus | None, Query()]


@dataclass(frozen=True)
class PageContext:
    store: EventStore
    cameras: CameraStatusProvider | None
    settings: DashboardSettings
    tz: tzinfo | None
    templates: Jinja2Templates
    clock: Callable[[], float]
    live: bool = False  # the live view exists
    zone_pages: bool = False  # so do the zone drawing pages
    node_offline_after_s: float = 30.0  # a fleet's node not heard from this long: offline


@dataclass(frozen=True)
class FilterLink:
    label: str
    count: int
    href: str
    active: bool


def request_texts(ctx: PageContext, request: Request, lang: str | None) -> Texts:
    """The catalogue for ``lang`` (a query parameter), else the browser's, else the default."""
    chosen: Lang = pick_lang(
        lang, request.headers.get("accept-language"), ctx.settings.default_lang
    )
    return Texts(chosen)


def base_path(request: Request) -> str:
    """Where the app is mounted ("" at the root), for links and redirects."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def page_router(ctx: PageContext, access: Access) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    viewer = access.require(Role.VIEWER)  # raises NotSignedIn: pages redirect to the login

    def render(
        request: Request, name: str, lang: str | None, status: EventStatus | None
    ) -> HTMLResponse:
        user = viewer(request)
        response = ctx.templates.TemplateResponse(
            request, name, _context(ctx, request, request_texts(ctx, request, lang), status, user)
        )
        response.headers["Vary"] = "Accept-Language"
        response.headers["Cache-Control"] = "no-store"
        return response

    @router.get("/", response_class=HTMLResponse)
    def index(request: Request, lang: LangParam = None, status: StatusParam = None) -> HTMLResponse:
        return render(request, "index.html", lang, status)

    @router.get("/partials/events", response_class=HTMLResponse)
    def events_fragment(
        request: Request, lang: LangParam = None, status: StatusParam = None
    ) -> HTMLResponse:
        return render(request, "_events.html", lang, status)

    @router.get("/partials/cameras", response_class=HTMLResponse)
    def cameras_fragment(request: Request, lang: LangParam = None) -> HTMLResponse:
        return render(request, "_cameras.html", lang, None)

    return router


def _context(
    ctx: PageContext, request: Request, texts: Texts, status: EventStatus | None, user: User
) -> dict[str, Any]:
    lang = texts.lang
    base = base_path(request)
    now = ctx.clock()
    limit = ctx.settings.page_size
    feed_after = latest_mark(ctx.store.engine)  # before the list: the feed replays from here
    chosen = fleet_filter(request)
    events = ctx.store.list_events(limit=limit, status=status, node=chosen.node, site=chosen.site)
    statuses = ctx.cameras.camera_statuses() if ctx.cameras is not None else []
    return {
        "texts": texts,
        "base": base,
        "status": status.value if status else "",
        "limit": limit,
        "refresh_ms": round(ctx.settings.refresh_s * 1000),
        "now_text": format_time(now, ctx.tz)[11:],  # the clock time; the script keeps it current
        "script_messages": texts.script_messages(),
        "feed_messages": texts.feed_messages(),
        "feed_after": (feed_after or BEFORE_ALL).text(),
        "list_state": [_list_state(e) for e in events],
        "events": [event_view(e, texts, ctx.tz, now, base) for e in events],
        "deliveries": _delivery_texts(ctx.store, texts, [e.id for e in events]),
        "cameras": [camera_view(c, texts) for c in statuses],
        "sheds": panel_rows(ctx.store, texts, now),
        "filters": _filters(ctx.store, texts, status, chosen),
        "reasons": reason_options(texts),
        "verdict_rows": verdict_rows(review_counts(ctx.store.engine), texts),
        "other_lang_href": "?" + urlencode(_query(texts.other_lang(), status, chosen)),
        "user_name": user.name,  # empty without login
        "user_role": user.role.value,
        "can_act": user.role.allows(Role.OPERATOR),
        "live_href": f"{base}/live?lang={lang}" if ctx.live else None,
        "audit_href": f"{base}/audit?lang={lang}" if user.role.allows(Role.ADMIN) else None,
        "fleet": fleet_panel(
            FleetStore(ctx.store.engine), texts, now, ctx.node_offline_after_s, chosen
        ),
        "fleet_filter": chosen,
    }


def _list_state(event: StoredEvent) -> dict[str, str | float | None]:
    """What the page's script compares to tell whether its list changed (app.js signatureOf)."""
    return {
        "id": event.id,
        "status": event.status.value,
        "updated_at": event.updated_at,
        "end_ts": event.end_ts,
    }


def _delivery_texts(store: EventStore, texts: Texts, event_ids: list[str]) -> dict[str, str]:
    """Per event, e.g. "sent 2 · failed 1": its immediate messages and on-site responses."""
    out = {}
    for event_id, counts in delivery_counts(store.engine, event_ids).items():
        parts = [
            f"{texts(key)} {n}"
            for key, n in (
                ("delivery_sent", counts.delivered),
                ("delivery_waiting", counts.waiting),
                ("delivery_failed", counts.failed),
            )
            if n
        ]
        out[event_id] = " · ".join(parts)
    return out


def _filters(
    store: EventStore, texts: Texts, current: EventStatus | None, fleet: FleetFilter
) -> list[FilterLink]:
    counts = store.count_by_status()
    links = [
        FilterLink(
            texts("all"),
            sum(counts.values()),
            "?" + urlencode(_query(texts.lang, None, fleet)),
            current is None,
        )
    ]
    for status in EventStatus:
        href = "?" + urlencode(_query(texts.lang, status, fleet))
        links.append(FilterLink(texts.status(status), counts[status], href, current == status))
    return links


def _query(lang: Lang, status: EventStatus | None, fleet: FleetFilter) -> dict[str, str]:
    return {"lang": lang, **({"status": status.value} if status else {}), **fleet.query()}
