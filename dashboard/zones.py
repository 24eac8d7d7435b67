"""The zone drawing page: a camera's newest picture with its configured zones and privacy masks,
where an installer clicks a new polygon (a zone or a mask) and copies it into the configuration
as YAML (the page changes nothing)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse

from dashboard.access import Admin
from dashboard.pages import LangParam, PageContext, base_path, request_texts
from dashboard.schemas import CameraZonesProvider
from vision.zones import ZoneKind


def add_zone_routes(app: FastAPI, ctx: PageContext, zones: CameraZonesProvider) -> None:
    app.include_router(_zone_router(ctx, zones))


def _zone_router(ctx: PageContext, zones: CameraZonesProvider) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/cameras/{camera_id}/zones", response_class=HTMLResponse)
    def zone_page(
        request: Request, camera_id: str, user: Admin, lang: LangParam = None
    ) -> HTMLResponse:
        outlines = zones.camera_zones(camera_id)
        if outlines is None:
            raise HTTPException(404, f"no camera {camera_id!r}")
        texts = request_texts(ctx, request, lang)
        context = {
            "texts": texts,
            "base": base_path(request),
            "camera_id": camera_id,
            "zones": [z.model_dump() for z in outlines],
            "masks": [m.model_dump() for m in zones.camera_privacy_masks(camera_id)],
            "kinds": [(k.value, texts(f"kind_{k.value}")) for k in ZoneKind],
        }
        response = ctx.templates.TemplateResponse(request, "zones.html", context)
        response.headers["Cache-Control"] = "no-store"
        return response

    return router
