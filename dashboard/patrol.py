"""The patroller's page: one alert opened from a signed link (``/p/{token}``), no account needed.

The patroller can say "on my way" (stamped on the event and its trail; an open event is
acknowledged by it), acknowledge, and resolve with a note and an optional photo (checked and
re-encoded by :mod:`alerts.photos`, kept as evidence under the media folder). Only the resolve
route takes a body larger than the guard's usual 64 KiB (:data:`PATROL_UPLOADS`).

The token (:mod:`alerts.links`) is the only credential. Every route takes the event id from the
verified claim, never from the request, so a link reaches its own event and nothing else. The
actions are plain HTML form POSTs answered with a redirect (POST/redirect/GET), so they work
without JavaScript; ``static/patrol.js`` only remembers the name and guards against double taps.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import SecretStr

from alerts.access_log import AccessAction
from alerts.errors import EventNotFound, EventStateError, PhotoRejected, PhotoTooLarge
from alerts.links import LinkClaim, LinkError, LinkExpired, verify_link
from alerts.photos import MAX_PHOTO_BYTES, checked_photo
from alerts.store import EventStore
from alerts.store_checks import MAX_NOTE_LEN
from alerts.stored import StoredEvent
from dashboard.audit import PATROL_LINK_ACTOR, log_access
from dashboard.guard import BodyLimit
from dashboard.i18n import Texts
from dashboard.pages import LangParam, PageContext, base_path, request_texts
from dashboard.views import EventView, event_view, format_time

PATROLLER_PREFIX = "patroller:"  # the audit trail's actor is "patroller:<name>"
MAX_NAME_LEN = 100
MAX_TOKEN_LEN = 512  # real tokens are about 150 characters

# The resolve form's body: the photo and a little room for the name, the note and the framing.
PHOTO_FORM_BYTES = MAX_PHOTO_BYTES + 64 * 1024
PATROL_UPLOADS: tuple[BodyLimit, ...] = ((re.compile(r"/p/[^/]+/resolve"), PHOTO_FORM_BYTES),)

Action = Literal["on_my_way", "acknowledge", "resolve"]
DenyReason = Literal["expired", "invalid", "gone"]
DENY_STATUS: dict[DenyReason, int] = {"expired": 410, "invalid": 403, "gone": 404}
DENY_TEXTS: dict[DenyReason, tuple[str, str]] = {
    "expired": ("link_expired_title", "link_expired_text"),
    "invalid": ("link_invalid_title", "link_invalid_text"),
    "gone": ("event_gone_title", "event_gone_text"),
}
DONE_TEXTS: dict[str, str] = {
    "on_my_way": "done_on_my_way",
    "acknowledge": "done_acknowledged",
    "resolve": "done_resolved",
}
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Vary": "Accept-Language",
    "X-Robots-Tag": "noindex, nofollow",
}

FormText = Annotated[str, Form()]
FormPhoto = Annotated[UploadFile | None, File(description="JPEG, PNG or WebP, at most 5 MiB")]
T = TypeVar("T")


class LinkDenied(Exception):
    """The link does not open its event; answered with an error page, never with details."""

    def __init__(self, reason: DenyReason) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FormState:
    """What the patroller typed, and what was wrong with it (None: nothing)."""

    name: str = ""
    note: str = ""
    problem: str | None = None


def add_patrol_routes(app: FastAPI, ctx: PageContext, secret: SecretStr) -> None:
    """Serve ``/p/{token}`` (page, snapshot, clip, acknowledge, resolve) for links signed with
    ``secret``; the secret itself is never rendered."""
    key = secret.get_secret_value()

    def claim_of(token: str) -> LinkClaim:
        if len(token) > MAX_TOKEN_LEN:
            raise LinkDenied("invalid")
        try:
            return verify_link(token, key, ctx.clock())
        except LinkExpired:
            raise LinkDenied("expired") from None
        except LinkError:
            raise LinkDenied("invalid") from None

    app.include_router(_patrol_router(ctx, claim_of))
    app.add_exception_handler(LinkDenied, _denied_handler(ctx))


def _patrol_router(ctx: PageContext, claim_of: Callable[[str], LinkClaim]) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/p/{token}", response_class=HTMLResponse)
    def page(request: Request, token: str, lang: LangParam = None, done: str = "") -> Response:
        claim = claim_of(token)
        texts = request_texts(ctx, request, lang)
        flash = texts(DONE_TEXTS[done]) if done in DONE_TEXTS else None
        return _render(ctx, request, texts, token, claim, FormState(), flash=flash)

    def media(
        request: Request,
        token: str,
        path_of: Callable[[str], Path],
        viewed: AccessAction,
        media_type: str,
    ) -> FileResponse:
        """One of the event's files, the view logged (ClipMissing, PhotoMissing: JSON 404)."""
        event_id = claim_of(token).event_id
        path = _existing(lambda: path_of(event_id))
        log_access(ctx.store, request, PATROL_LINK_ACTOR, viewed, event_id)
        return FileResponse(path, media_type=media_type, headers=PRIVATE_HEADERS)

    @router.get("/p/{token}/snapshot.jpg", response_class=FileResponse)
    def snapshot(request: Request, token: str) -> FileResponse:
        viewed = AccessAction.VIEWED_SNAPSHOT
        return media(request, token, ctx.store.snapshot_path, viewed, "image/jpeg")

    @router.get("/p/{token}/clip.mp4", response_class=FileResponse)
    def clip(request: Request, token: str) -> FileResponse:
        return media(request, token, ctx.store.clip_path, AccessAction.VIEWED_CLIP, "video/mp4")

    @router.get("/p/{token}/photo.jpg", response_class=FileResponse)
    def photo(request: Request, token: str) -> FileResponse:
        return media(request, token, ctx.store.photo_path, AccessAction.VIEWED_PHOTO, "image/jpeg")

    def act(
        request: Request,
        token: str,
        lang: str | None,
        action: Action,
        form: FormState,
        upload: UploadFile | None = None,
    ) -> Response:
        claim = claim_of(token)
        texts = request_texts(ctx, request, lang)
        form = _checked_form(texts, form.name, form.note)
        if form.problem is not None:
            return _render(ctx, request, texts, token, claim, form, status_code=422)
        try:
            jpeg = _photo_of(upload)
        except PhotoRejected as exc:
            problem = texts("photo_too_large" if isinstance(exc, PhotoTooLarge) else "photo_bad")
            bad = dataclasses.replace(form, problem=problem)
            return _render(ctx, request, texts, token, claim, bad, status_code=422)
        try:
            _existing(lambda: _perform(ctx.store, action, claim.event_id, form, jpeg))
        except EventStateError:
            changed = dataclasses.replace(form, problem=texts("changed_meanwhile"))
            return _render(ctx, request, texts, token, claim, changed, status_code=409)
        query = urlencode({"lang": texts.lang, "done": action})
        return RedirectResponse(f"{base_path(request)}/p/{token}?{query}", status_code=303)

    @router.post("/p/{token}/on-my-way", response_class=HTMLResponse)
    def on_my_way(
        request: Request, token: str, lang: LangParam = None, name: FormText = ""
    ) -> Response:
        return act(request, token, lang, "on_my_way", FormState(name))

    @router.post("/p/{token}/acknowledge", response_class=HTMLResponse)
    def acknowledge(
        request: Request,
        token: str,
        lang: LangParam = None,
        name: FormText = "",
        note: FormText = "",
    ) -> Response:
        return act(request, token, lang, "acknowledge", FormState(name, note))

    @router.post("/p/{token}/resolve", response_class=HTMLResponse)
    def resolve(
        request: Request,
        token: str,
        lang: LangParam = None,
        name: FormText = "",
        note: FormText = "",
        photo: FormPhoto = None,
    ) -> Response:
        """Resolve, with an optional photo of the place (multipart form)."""
        return act(request, token, lang, "resolve", FormState(name, note), photo)

    return router


def _existing(read: Callable[[], T]) -> T:
    """``read()``, with a vanished event (retention deleted it) as the "gone" page."""
    try:
        return read()
    except EventNotFound:
        raise LinkDenied("gone") from None


def _perform(
    store: EventStore, action: Action, event_id: str, form: FormState, jpeg: bytes | None
) -> None:
    actor, note = PATROLLER_PREFIX + form.name, form.note or None
    if action == "on_my_way":
        store.on_my_way(event_id, actor)
    elif action == "acknowledge":
        store.acknowledge(event_id, actor, note)
    elif jpeg is None:
        store.resolve(event_id, actor, note)
    else:
        store.resolve_with_photo(event_id, actor, note, jpeg)


def _photo_of(upload: UploadFile | None) -> bytes | None:
    """The checked, re-encoded JPEG of an uploaded photo; None when no file was chosen (a form
    with an empty file field still sends a part, with no name and no bytes)."""
    if upload is None:
        return None
    data = upload.file.read(MAX_PHOTO_BYTES + 1)
    if not data and not upload.filename:
        return None
    return checked_photo(data)


def _checked_form(texts: Texts, name: str, note: str) -> FormState:
    name, note = " ".join(name.split()), note.strip()
    if not name:
        return FormState(name, note, texts("name_required"))
    if len(name) > MAX_NAME_LEN or len(note) > MAX_NOTE_LEN:
        return FormState(name[:MAX_NAME_LEN], note[:MAX_NOTE_LEN], texts("too_long"))
    return FormState(name, note)


def _render(
    ctx: PageContext,
    request: Request,
    texts: Texts,
    token: str,
    claim: LinkClaim,
    form: FormState,
    *,
    flash: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    event = _existing(lambda: ctx.store.get(claim.event_id))
    link = f"{base_path(request)}/p/{token}"
    context: dict[str, Any] = {
        "texts": texts,
        "base": base_path(request),
        "e": _patrol_view(ctx, texts, event, link),
        "form": form,
        "flash": flash,
        "acknowledge_url": f"{link}/acknowledge?{urlencode({'lang': texts.lang})}",
        "resolve_url": f"{link}/resolve?{urlencode({'lang': texts.lang})}",
        "on_my_way_url": f"{link}/on-my-way?{urlencode({'lang': texts.lang})}",
        "max_photo_mib": MAX_PHOTO_BYTES // (1024 * 1024),
        "other_lang_href": "?" + urlencode({"lang": texts.other_lang()}),
        "valid_until": format_time(claim.expires_at, ctx.tz)[:16],
    }
    return ctx.templates.TemplateResponse(
        request, "patrol.html", context, status_code=status_code, headers=PRIVATE_HEADERS
    )


def _patrol_view(ctx: PageContext, texts: Texts, event: StoredEvent, link: str) -> EventView:
    """The dashboard's card data, with media behind the link instead of the open API."""
    view = event_view(event, texts, ctx.tz, ctx.clock(), "")
    clip_url = None if event.clip_path is None else f"{link}/clip.mp4"
    photo_url = None if event.photo_path is None else f"{link}/photo.jpg"
    return dataclasses.replace(
        view, snapshot_url=f"{link}/snapshot.jpg", clip_url=clip_url, photo_url=photo_url
    )


def _denied_handler(ctx: PageContext) -> Callable[[Request, Exception], Response]:
    def handler(request: Request, exc: Exception) -> Response:
        reason: DenyReason = exc.reason if isinstance(exc, LinkDenied) else "invalid"
        texts = request_texts(ctx, request, request.query_params.get("lang"))
        title, text = DENY_TEXTS[reason]
        context = {"texts": texts, "base": base_path(request), "title": title, "text": text}
        return ctx.templates.TemplateResponse(
            request,
            "patrol_error.html",
            context,
            status_code=DENY_STATUS[reason],
            headers=PRIVATE_HEADERS,
        )

    return handler
