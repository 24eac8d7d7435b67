"""The live view: every camera's newest picture on one page, refreshed every few seconds.

The runtime hands over JPEGs (:class:`CameraPictureProvider`); the page shows each camera with its
state, so a picture from a camera that went offline is never taken for a live one.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from alerts.access_log import AccessAction
from dashboard.access import Viewer
from dashboard.audit import log_access
from dashboard.auth import Role
from dashboard.pages import LangParam, PageContext, base_path, request_texts
from dashboard.schemas import CameraPictureProvider
from dashboard.views import camera_view

PICTURE_REFRESH_S = 2.0


def add_live_routes(app: FastAPI, ctx: PageContext, pictures: CameraPictureProvider) -> None:
    app.include_router(_live_router(ctx, pictures))


def _live_router(ctx: PageContext, pictures: CameraPictureProvider) -> APIRouter:
    router = APIRouter()

    def camera_ids() -> set[str]:
        return {c.id for c in ctx.cameras.camera_statuses()} if ctx.cameras else set()

    @router.get(
        "/api/cameras/{camera_id}/latest.jpg",
        response_class=Response,
        responses={
            200: {"content": {"image/jpeg": {}}},
            404: {"description": "no such camera, or no picture from it yet"},
        },
    )
    def latest_picture(camera_id: str, request: Request, user: Viewer) -> Response:
        """The camera's newest picture (JPEG, at most 640 px wide), never cached."""
        if camera_id not in camera_ids():
            raise HTTPException(404, f"no camera {camera_id!r}")
        jpeg = pictures.latest_picture(camera_id)
        if jpeg is None:
            raise HTTPException(404, f"no picture from camera {camera_id!r} yet")
        log_access(ctx.store, request, user.name, AccessAction.VIEWED_LIVE, camera_id)
        return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    @router.get("/live", response_class=HTMLResponse, include_in_schema=False)
    def live_page(request: Request, user: Viewer, lang: LangParam = None) -> HTMLResponse:
        texts = request_texts(ctx, request, lang)
        statuses = ctx.cameras.camera_statuses() if ctx.cameras else []
        context = {
            "texts": texts,
            "base": base_path(request),
            "cameras": [camera_view(c, texts) for c in statuses],
            "refresh_ms": round(PICTURE_REFRESH_S * 1000),
            "user_name": user.name,
            "user_role": user.role.value,
            "zone_pages": ctx.zone_pages and user.role.allows(Role.ADMIN),
        }
        response = ctx.templates.TemplateResponse(request, "live.html", context)
        response.headers["Cache-Control"] = "no-store"
        return response

    return router
