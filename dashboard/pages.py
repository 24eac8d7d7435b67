"""The HTML page and the fragments its script swaps in when something changed.

The server renders every card (one renderer, one catalogue); the script fetches
``/partials/events`` when the live feed (``dashboard/feed.py``) says an event changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from alerts.changes import BEFORE_ALL, latest_mark
from alerts.deliveries import delivery_counts
from alerts.event_query import EventFilter
from alerts.events import EventStatus
from alerts.fleet import FleetStore
from alerts.reviews import review_counts
from alerts.store import EventStore
from alerts.stored import StoredEvent
from dashboard.access import Access
from dashboard.auth import Role, User
from dashboard.filter_bar import filter_bar
from dashboard.filters import FindQuery, find_query_dependency
from dashboard.fleet_panel import FleetFilter, fleet_panel
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

    find_query = find_query_dependency(ctx.tz)

    def render(request: Request, name: str, lang: str | None, find: FindQuery) -> HTMLResponse:
        user = viewer(request)
        response = ctx.templates.TemplateResponse(
            request,
            name,
            _context(
                ctx, request, request_texts(ctx, request, lang), find, user, name == "index.html"
            ),
        )
        response.headers["Vary"] = "Accept-Language"
        response.headers["Cache-Control"] = "no-store"
        return response

    # The filters come as a local dependency (its dates are in the site's time zone), which an
    # Annotated alias cannot name: hence the defaults.
    @router.get("/", response_class=HTMLResponse)
    def index(
        request: Request,
        lang: LangParam = None,
        find: FindQuery = Depends(find_query),  # noqa: B008
    ) -> HTMLResponse:
        return render(request, "index.html", lang, find)

    @router.get("/partials/events", response_class=HTMLResponse)
    def events_fragment(
        request: Request,
        lang: LangParam = None,
        find: FindQuery = Depends(find_query),  # noqa: B008
    ) -> HTMLResponse:
        return render(request, "_events.html", lang, find)

    @router.get("/partials/cameras", response_class=HTMLResponse)
    def cameras_fragment(request: Request, lang: LangParam = None) -> HTMLResponse:
        return render(request, "_cameras.html", lang, FindQuery(EventFilter()))

    return router


def _context(
    ctx: PageContext,
    request: Request,
    texts: Texts,
    find: FindQuery,
    user: User,
    whole_page: bool,
) -> dict[str, Any]:
    lang = texts.lang
    base = base_path(request)
    now = ctx.clock()
    limit = ctx.settings.page_size
    feed_after = latest_mark(ctx.store.engine)  # before the list: the feed replays from here
    page = ctx.store.find_events(find.filter, limit, find.cursor)
    events = page.events
    chosen = FleetFilter(site=find.filter.site, node=find.filter.node)
    statuses = ctx.cameras.camera_statuses() if ctx.cameras is not None else []
    next_token = None if page.next is None else page.next.token()
    choices = ctx.store.filter_choices() if whole_page else None  # the form is not refreshed
    return {
        "texts": texts,
        "base": base,
        "status": find.params.get("status", ""),
        "limit": limit,
        "filter_bar": filter_bar(find, choices, texts, next_token),
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
        "filters": _filters(ctx.store, texts, find),
        "reasons": reason_options(texts),
        "verdict_rows": verdict_rows(review_counts(ctx.store.engine), texts),
        "other_lang_href": find.link(lang=texts.other_lang(), cursor=find.cursor_token()),
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


def _filters(store: EventStore, texts: Texts, find: FindQuery) -> list[FilterLink]:
    """The status links: each keeps the other filters (and starts from the newest)."""
    counts = store.count_by_status()
    current = find.filter.status
    links = [
        FilterLink(
            texts("all"),
            sum(counts.values()),
            find.link(lang=texts.lang, status=None),
            current is None,
        )
    ]
    for status in EventStatus:
        href = find.link(lang=texts.lang, status=status.value)
        links.append(FilterLink(texts.status(status), counts[status], href, current == status))
    return links
