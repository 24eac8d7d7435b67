"""The sheds: ``GET /api/sheds`` (viewers: every shed's spots now and its occupancy over a range),
the dashboard's shed panel, and the residents' public page ``/public/sheds``.

The public page needs no sign-in and shows only how many spots of each shed are free: no camera,
no picture, no spot names. It is rate limited per client address and as a whole
(:mod:`dashboard.throttle`), so it cannot be used to load the service. A shed whose latest
sample is older than :data:`STALE_AFTER_S` (its camera is down) shows no count rather than an
old one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from alerts.occupancy import ShedSample
from dashboard.access import Access
from dashboard.auth import Role
from dashboard.i18n import Texts
from dashboard.pages import LangParam, PageContext, base_path, request_texts
from dashboard.shed_views import STALE_AFTER_S
from dashboard.throttle import TokenBuckets

HISTORY_S = 24 * 3600.0
MAX_RANGE_S = 31 * 86400.0
MAX_UNIX_S = 1e11
PUBLIC_BURST, PUBLIC_RATE = 20.0, 0.5  # per address: 20 at once, then one every 2 s
EVERYONE_BURST, EVERYONE_RATE = 200.0, 20.0  # all addresses together
PUBLIC_REFRESH_S = 60


class ShedPoint(BaseModel):
    """One shed at one moment, for charts."""

    at: float
    free: int
    total: int
    ebikes: int


class ShedSeries(BaseModel):
    camera_id: str
    shed: str
    points: list[ShedPoint]


class ShedsOut(BaseModel):
    """``GET /api/sheds``: every shed's latest sample (its spots) and the range's samples."""

    current: list[ShedSample]
    history: list[ShedSeries]


class Throttle:
    """Token buckets per address and for everyone, on ``clock`` (seconds); ``share``: one of
    this many processes on the same port, each allowing its share. Thread-safe."""

    def __init__(self, clock: Callable[[], float], share: int = 1):
        self._per_address = TokenBuckets.part(PUBLIC_BURST, PUBLIC_RATE, share)
        self._everyone = TokenBuckets.part(EVERYONE_BURST, EVERYONE_RATE, share)
        self._clock = clock
        self._lock = threading.Lock()

    def wait_s(self, address: str) -> float:
        """0.0 when the request may go ahead, else the seconds to wait."""
        with self._lock:
            now = self._clock()
            wait = self._per_address.take(address, now)
            return wait if wait > 0 else self._everyone.take(None, now)


def series(samples: Sequence[ShedSample]) -> list[ShedSeries]:
    """Samples (oldest first) -> one series per camera and shed, in first-seen order."""
    out: dict[tuple[str, str], ShedSeries] = {}
    for s in samples:
        key = (s.camera_id, s.shed)
        if key not in out:
            out[key] = ShedSeries(camera_id=s.camera_id, shed=s.shed, points=[])
        out[key].points.append(ShedPoint(at=s.at, free=s.free, total=s.total, ebikes=s.ebikes))
    return list(out.values())


@dataclass(frozen=True)
class PublicShed:
    """What a resident sees of one shed: its name and free spots (None: not known now)."""

    name: str
    free: int | None
    total: int


def public_sheds(current: Sequence[ShedSample], now: float, texts: Texts) -> list[PublicShed]:
    """Sheds by building and name (cameras sharing a shed add up), counts only."""
    totals: dict[tuple[str, str], tuple[int | None, int]] = {}
    for s in current:
        key = (s.building, s.shed)
        free, total = totals.get(key, (0, 0))
        fresh = now - s.at <= STALE_AFTER_S
        free = free + s.free if fresh and free is not None else None
        totals[key] = (free, total + s.total)
    return [
        PublicShed(_place(building, shed, texts), free, total)
        for (building, shed), (free, total) in sorted(totals.items())
    ]


def _place(building: str, shed: str, texts: Texts) -> str:
    return texts("shed_in_building").format(building=building, shed=shed) if building else shed


def add_shed_routes(app: FastAPI, ctx: PageContext, access: Access) -> None:
    router = APIRouter()
    store = ctx.store
    throttle = Throttle(ctx.clock, ctx.settings.processes)

    @router.get(
        "/api/sheds", response_model=ShedsOut, dependencies=[Depends(access.require(Role.VIEWER))]
    )
    def sheds(
        since: Annotated[
            float | None,
            Query(ge=0, le=MAX_UNIX_S, allow_inf_nan=False, description="Unix s; default 24 h ago"),
        ] = None,
        until: Annotated[
            float | None,
            Query(ge=0, le=MAX_UNIX_S, allow_inf_nan=False, description="Unix s; default now"),
        ] = None,
    ) -> ShedsOut | JSONResponse:
        end = ctx.clock() if until is None else until
        start = end - HISTORY_S if since is None else since
        if start > end or end - start > MAX_RANGE_S:
            detail = f"since..until must be ordered and span at most {MAX_RANGE_S / 86400:.0f} days"
            return JSONResponse({"detail": detail}, status_code=422)
        return ShedsOut(
            current=store.sheds.current(), history=series(store.sheds.history(start, end))
        )

    @router.get("/public/sheds", response_class=HTMLResponse, include_in_schema=False)
    def public_page(request: Request, lang: LangParam = None) -> Response:
        address = request.client.host if request.client else "-"
        wait = throttle.wait_s(address)
        if wait > 0:
            headers = {"Retry-After": str(max(1, round(wait)))}
            return Response("too many requests", status_code=429, headers=headers)
        texts = request_texts(ctx, request, lang)
        now = ctx.clock()
        response = ctx.templates.TemplateResponse(
            request,
            "public_sheds.html",
            {
                "texts": texts,
                "base": base_path(request),
                "sheds": public_sheds(store.sheds.current(), now, texts),
                "refresh_s": PUBLIC_REFRESH_S,
                "other_lang_href": f"?lang={texts.other_lang()}",
            },
        )
        response.headers["Vary"] = "Accept-Language"
        response.headers["Cache-Control"] = f"public, max-age={PUBLIC_REFRESH_S // 2}"
        return response

    app.include_router(router)
