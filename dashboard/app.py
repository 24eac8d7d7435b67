"""The web dashboard: a JSON API over the event store and one HTML page for people on duty.

Build it with :func:`create_app`; nothing is created at import. Endpoints are plain ``def`` so
FastAPI runs the (blocking) store calls in its thread pool.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alerts.errors import (
    ClipMissing,
    EventNotFound,
    EventStateError,
    PhotoMissing,
    SnapshotMissing,
    StoreError,
    TrainingFrameMissing,
)
from alerts.fleet import FleetStore
from alerts.notify_config import PatrolGroupConfig
from alerts.store import EventStore
from dashboard.access import Access, NotSignedIn, install_access
from dashboard.api import STORE_UNAVAILABLE, api_router
from dashboard.audit import add_audit_routes, log_access
from dashboard.auth import Account, Authenticator
from dashboard.feed import add_feed_routes
from dashboard.guard import RequestGuard
from dashboard.live import add_live_routes
from dashboard.login import add_login_routes
from dashboard.nodes import nodes_router
from dashboard.pages import PageContext, page_router
from dashboard.patrol import PATROL_UPLOADS, add_patrol_routes
from dashboard.purge import add_purge_routes
from dashboard.schemas import (
    CameraPictureProvider,
    CameraStatusProvider,
    CameraZonesProvider,
    DashboardSettings,
    ServiceHealthProvider,
    served_hosts,
)
from dashboard.sheds import add_shed_routes
from dashboard.signed_out import SignedOut
from dashboard.stats import add_stats_routes
from dashboard.views import resolve_timezone
from dashboard.zones import add_zone_routes

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"

# Prometheus' text exposition format (version 0.0.4).
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
NODE_OFFLINE_AFTER_S = 30.0  # a fleet node not heard from this long shows as offline

# Everything comes from this server: no CDN, no inline scripts (JSON data blocks are not run).
# blob: images are snapshots the review dialog fetched itself (to read their layout header).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)


def create_app(
    store: EventStore,
    cameras: CameraStatusProvider | None = None,
    settings: DashboardSettings | None = None,
    metrics: Callable[[], bytes] | None = None,
    pictures: CameraPictureProvider | None = None,
    zones: CameraZonesProvider | None = None,
    service: ServiceHealthProvider | None = None,
    patrol_groups: Sequence[PatrolGroupConfig] = (),
    node_offline_after_s: float = NODE_OFFLINE_AFTER_S,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The dashboard over ``store``; ``cameras`` reports stream health (None: no cameras shown);
    ``metrics`` returns the Prometheus text served at ``GET /metrics`` (None: no such route);
    ``settings.link_secret`` turns on the patrollers' signed one-alert pages under ``/p/``;
    ``settings.users`` turns on signing in (pages need a viewer, actions an operator);
    ``pictures`` (with ``cameras``) turns on the live view at ``/live``, and ``zones`` (with
    both) the zone drawing pages at ``/cameras/{id}/zones``; ``service`` the viewers' ``GET
    /api/health`` (health problems, thread restarts, the recorder's queue); ``patrol_groups``
    the groups whose response times the statistics page reports. ``GET /api/nodes`` lists the
    fleet's nodes, online when heard from within ``node_offline_after_s``. ``clock``: Unix
    seconds now (what "today" is on the statistics page)."""
    settings = settings or DashboardSettings()
    context = PageContext(
        store=store,
        cameras=cameras,
        settings=settings,
        tz=resolve_timezone(settings.timezone),
        templates=Jinja2Templates(directory=TEMPLATES_DIR),
        clock=clock,
        live=pictures is not None and cameras is not None,
        zone_pages=zones is not None and pictures is not None and cameras is not None,
        node_offline_after_s=node_offline_after_s,
    )
    # Swagger/ReDoc pages load their scripts from a CDN, so they are off; /openapi.json stays.
    app = FastAPI(title="stairwatch dashboard", docs_url=None, redoc_url=None)
    token = settings.metrics_token
    access = Access(
        _authenticator(settings),
        record=lambda request, name, action: log_access(store, request, name, action, None),
        metrics_token=token.get_secret_value() if token else None,
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_access(app, access)
    add_feed_routes(app, store, settings.feed_keepalive_s)  # before /api/events/{event_id}
    app.include_router(api_router(store, cameras, service, context.tz))
    app.include_router(nodes_router(FleetStore(store.engine), node_offline_after_s))
    app.include_router(page_router(context, access))
    add_login_routes(app, context, access)
    add_audit_routes(app, context)
    add_purge_routes(app, context)
    add_stats_routes(app, context, patrol_groups)
    add_shed_routes(app, context, access)
    if pictures is not None and cameras is not None:
        add_live_routes(app, context, pictures)
    if zones is not None and context.zone_pages:
        add_zone_routes(app, context, zones)
    if metrics is not None:
        _add_metrics_route(app, access, metrics)
    if settings.link_secret is not None:
        add_patrol_routes(app, context, settings.link_secret)
    _add_error_handlers(app)
    uploads = PATROL_UPLOADS if settings.link_secret is not None else ()
    app.add_middleware(RequestGuard, hosts=served_hosts(settings), larger_bodies=uploads)
    app.add_middleware(SecurityHeaders)
    return app


def _authenticator(settings: DashboardSettings) -> Authenticator | None:
    if not settings.users:
        return None
    secret = settings.session_secret
    accounts = {
        u.name: Account(u.name, u.role, u.password_hash.get_secret_value()) for u in settings.users
    }
    return Authenticator(
        accounts,
        secret.get_secret_value().encode() if secret else secrets.token_bytes(32),
        settings.session_hours * 3600,
        share=settings.processes,
        signed_out=SignedOut(settings.signed_out_path),
    )


def _add_metrics_route(app: FastAPI, access: Access, metrics: Callable[[], bytes]) -> None:
    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        """Per-camera state tells which cameras are blind: signed-in users or the token only."""
        if not access.may_monitor(request):
            raise NotSignedIn()
        return Response(content=metrics(), media_type=METRICS_CONTENT_TYPE)


def _add_error_handlers(app: FastAPI) -> None:
    """Store errors as JSON ``{"detail": ...}``; the most specific class wins. A failing store
    answers a fixed text: the driver's message (tables, paths, addresses) stays in the log."""
    statuses: list[tuple[type[StoreError], int]] = [
        (EventNotFound, 404),
        (SnapshotMissing, 404),
        (ClipMissing, 404),
        (PhotoMissing, 404),
        (TrainingFrameMissing, 404),
        (EventStateError, 409),
        (StoreError, 503),
    ]
    for exc_class, status in statuses:

        def handler(_request: Request, exc: Exception, status: int = status) -> JSONResponse:
            if status != 503:
                return JSONResponse({"detail": str(exc)}, status_code=status)
            log.error("dashboard: the event store failed: %s", exc)
            return JSONResponse({"detail": STORE_UNAVAILABLE}, status_code=503)

        app.add_exception_handler(exc_class, handler)


class SecurityHeaders:
    """Adds the security headers to every answer that does not set them itself. A plain ASGI
    middleware: the decorator kind (BaseHTTPMiddleware) costs a task and two streams a request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
