"""The sign-in page and signing out (only when the dashboard has users)."""

from __future__ import annotations

import logging
import re
from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from alerts.access_log import AccessAction
from dashboard.access import SESSION_COOKIE, Access
from dashboard.audit import client_address, log_access
from dashboard.auth import Authenticator
from dashboard.i18n import Texts
from dashboard.pages import LangParam, PageContext, base_path, request_texts
from dashboard.schemas import secure_cookies
from dashboard.throttle import Throttled

log = logging.getLogger(__name__)

FormText = Annotated[str, Form(max_length=2000)]


def add_login_routes(app: FastAPI, ctx: PageContext, access: Access) -> None:
    if access.authenticator is not None:
        app.include_router(_login_router(ctx, access.authenticator))


# A path on this site: no scheme, no second slash or backslash a browser reads as another host,
# no whitespace or control characters (browsers drop tabs and newlines: "/\t/evil" is "//evil").
_LOCAL_PATH = re.compile(r"/(?![/\\])[^\\\s\x00-\x1f\x7f]*")


def safe_next(target: str) -> str:
    """Where to go after signing in: a path on this site, never another site."""
    return target if _LOCAL_PATH.fullmatch(target) else "/"


def _login_router(ctx: PageContext, auth: Authenticator) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def page(
        request: Request, texts: Texts, target: str, problem: str | None, status_code: int
    ) -> HTMLResponse:
        context = {
            "texts": texts,
            "base": base_path(request),
            "next": safe_next(target),
            "problem": texts(problem) if problem else None,
        }
        response = ctx.templates.TemplateResponse(
            request, "login.html", context, status_code=status_code
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    @router.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, lang: LangParam = None, next: str = "/") -> HTMLResponse:
        return page(request, request_texts(ctx, request, lang), next, None, 200)

    @router.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        lang: LangParam = None,
        name: FormText = "",
        password: FormText = "",
        next: FormText = "/",
    ) -> Response:
        texts = request_texts(ctx, request, lang)
        name = name.strip()
        try:
            user = auth.check(name, password, client_address(request))
        except Throttled as refused:
            log.warning("dashboard: sign-in of %r refused: %s", name, refused.reason)
            log_access(ctx.store, request, name, AccessAction.SIGN_IN_LOCKED, None)
            refusal = page(request, texts, next, "login_locked", 429)
            refusal.headers["Retry-After"] = str(max(1, round(refused.retry_after_s)))
            return refusal
        if user is None:
            log.warning("dashboard: wrong name or password for %r", name)
            log_access(ctx.store, request, name, AccessAction.SIGN_IN_FAILED, None)
            return page(request, texts, next, "login_failed", 401)
        log.info("dashboard: %s (%s) signed in", user.name, user.role.value)
        log_access(ctx.store, request, user.name, AccessAction.SIGNED_IN, None)
        response = RedirectResponse(base_path(request) + safe_next(next), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            auth.session_cookie(user),
            max_age=int(auth.session_s),
            path="/",
            httponly=True,
            samesite="strict",
            secure=secure_cookies(ctx.settings, request.url.scheme),
        )
        return response

    @router.post("/logout")
    def logout(request: Request) -> RedirectResponse:
        cookie = request.cookies.get(SESSION_COOKIE)
        user = auth.sign_out(cookie) if cookie else None
        if user is not None:
            log_access(ctx.store, request, user.name, AccessAction.SIGNED_OUT, None)
        response = RedirectResponse(f"{base_path(request)}/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return router
