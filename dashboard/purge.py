"""Deletion requests from the dashboard (admins only): ``/admin/purge`` asks what to remove (a
camera, everything before a date, or one event), shows what that would remove, and removes it
only once confirmed (:mod:`alerts.purge`; each purge goes to the access log)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse

from alerts.purge import PurgeError, PurgeReport, purge, scope_for
from dashboard.access import Admin
from dashboard.audit import ANONYMOUS_ACTOR, client_address
from dashboard.auth import User
from dashboard.pages import LangParam, PageContext, base_path, request_texts

Selector = Literal["camera", "before", "event"]
SelectorForm = Annotated[Selector, Form()]
ValueForm = Annotated[str, Form(max_length=200)]
ConfirmForm = Annotated[str, Form(max_length=8)]


def add_purge_routes(app: FastAPI, ctx: PageContext) -> None:
    app.include_router(_purge_router(ctx))


def _purge_router(ctx: PageContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def page(
        request: Request, user: User, lang: str | None, status: int = 200, **more: Any
    ) -> HTMLResponse:
        texts = request_texts(ctx, request, lang)
        cameras = [c.id for c in ctx.cameras.camera_statuses()] if ctx.cameras else []
        context = {
            "texts": texts,
            "base": base_path(request),
            "cameras": cameras,
            "user_name": user.name,
            "user_role": user.role.value,
            "selector": "camera",
            "value": "",
            **more,
        }
        response = ctx.templates.TemplateResponse(request, "purge.html", context, status)
        response.headers["Cache-Control"] = "no-store"
        return response

    @router.get("/admin/purge", response_class=HTMLResponse)
    def purge_form(request: Request, user: Admin, lang: LangParam = None) -> HTMLResponse:
        return page(request, user, lang)

    @router.post("/admin/purge", response_class=HTMLResponse)
    def purge_action(
        request: Request,
        user: Admin,
        selector: SelectorForm,
        value: ValueForm = "",
        confirm: ConfirmForm = "",
        lang: LangParam = None,
    ) -> HTMLResponse:
        """Without ``confirm=yes`` a dry run: the counts and a button to confirm."""
        try:
            report = _carry_out(ctx, request, user, selector, value, confirm == "yes")
        except PurgeError as exc:
            return page(request, user, lang, 400, error=str(exc), selector=selector, value=value)
        return page(request, user, lang, report=report, selector=selector, value=value)

    return router


def _carry_out(
    ctx: PageContext, request: Request, user: User, selector: Selector, value: str, real: bool
) -> PurgeReport:
    given: dict[str, str | None] = {"camera": None, "before": None, "event": None}
    given[selector] = value
    scope = scope_for(given["camera"], given["before"], given["event"], ctx.tz)
    known = {c.id for c in ctx.cameras.camera_statuses()} if ctx.cameras else set()
    return purge(
        ctx.store,
        scope,
        actor=user.name or ANONYMOUS_ACTOR,
        dry_run=not real,
        address=client_address(request),
        known_cameras=known,
    )
