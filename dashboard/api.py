"""The JSON API: events, their snapshots, clips and actions, camera health."""

from __future__ import annotations

import logging
from datetime import tzinfo
from os import PathLike
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from alerts.access_log import AccessAction
from alerts.deliveries import DeliveryRecord, event_deliveries
from alerts.errors import SnapshotError, StoreError
from alerts.events import EventStatus
from alerts.media import MAX_TRAINING_FRAMES
from alerts.reviews import ReviewCount, review_counts
from alerts.snapshot import jpeg_size, picture_height
from alerts.store import EventStore
from alerts.stored import EventAction, StoredEvent
from dashboard.access import Access, Admin, Operator, Viewer
from dashboard.audit import log_access
from dashboard.auth import User
from dashboard.filters import MAX_UNIX_S, FindQuery, find_query_dependency
from dashboard.schemas import (
    ActorNote,
    Assignment,
    CameraStatus,
    CameraStatusProvider,
    Health,
    PublicHealth,
    ReviewBody,
    ServiceHealth,
    ServiceHealthProvider,
)

log = logging.getLogger(__name__)

Responses = dict[int | str, dict[str, Any]]
MAX_OFFSET = 1_000_000_000  # far beyond any store; keeps SQL integers in range
NO_STORE = {"Cache-Control": "no-store"}
STORE_UNAVAILABLE = "the event store is unavailable; see the service's log"
NEXT_PAGE_HEADERS = {
    "X-Next-Cursor": {"description": "cursor of the next page; absent on the last page"},
    "Link": {"description": 'the next page\'s URL, rel="next"'},
}
NOT_FOUND: Responses = {404: {"description": "no such event"}}
CONFLICT: Responses = {409: {"description": "the event's status does not allow it"}}
SIGNED_IN: Responses = {
    401: {"description": "nobody signed in (session cookie or HTTP Basic)"},
    403: {"description": "the user's role does not allow it"},
}


def api_router(
    store: EventStore,
    cameras: CameraStatusProvider | None,
    service: ServiceHealthProvider | None = None,
    tz: tzinfo | None = None,
) -> APIRouter:
    """``tz``: the site's time zone, for the dates of event filters (None: the server's)."""
    router = APIRouter()
    viewer = [Depends(_signed_in)]

    if service is not None:

        @router.get("/api/health", response_model=ServiceHealth, dependencies=viewer)
        def service_health() -> ServiceHealth:
            """What is wrong with the running service (cameras, threads, the recorder)."""
            return service.service_health()

    @router.get(
        "/healthz",
        response_model=Health | PublicHealth,
        responses={503: {"description": "the event store is unavailable"}},
    )
    def healthz(request: Request) -> Health | PublicHealth | JSONResponse:
        """``{"status": "ok"}`` for anyone (liveness probes); counts only for a signed-in user
        or the metrics token. Never the store's error text."""
        try:
            open_events = store.count(status=EventStatus.OPEN)
        except StoreError as exc:
            log.error("dashboard: health check: the event store failed: %s", exc)
            return JSONResponse({"status": "error"}, status_code=503)
        access: Access = request.app.state.access
        if not access.may_monitor(request):
            return PublicHealth(status="ok")
        camera_count = len(cameras.camera_statuses()) if cameras is not None else 0
        return Health(status="ok", events_open=open_events, cameras=camera_count)

    find_query = find_query_dependency(tz)

    @router.get(
        "/api/events",
        response_model=list[StoredEvent],
        dependencies=viewer,
        responses={200: {"headers": NEXT_PAGE_HEADERS}},
    )
    async def list_events(
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        find: FindQuery = Depends(find_query),  # noqa: B008 (a local: Annotated cannot name it)
    ) -> Response:
        """Newest first by alert time, filtered (see the parameters). When more match, the
        ``X-Next-Cursor`` header holds the ``cursor`` of the next page and ``Link`` its URL
        (keyset paging: no event twice or skipped while events come in); ``offset`` is the
        older, slower way and cannot be combined with ``cursor``."""
        if offset and find.cursor is not None:
            raise HTTPException(422, "offset and cursor cannot be combined: use cursor")
        # The store and the JSON in one trip to the thread pool (the dependencies run on the
        # event loop): each trip costs about as much CPU as the page's query.
        return await run_in_threadpool(event_page, store, find, limit, offset)

    @router.get(
        "/api/events/{event_id}",
        response_model=StoredEvent,
        responses=NOT_FOUND,
        dependencies=viewer,
    )
    def get_event(event_id: str) -> StoredEvent:
        return store.get(event_id)

    @router.get(
        "/api/events/{event_id}/actions",
        response_model=list[EventAction],
        responses=NOT_FOUND,
        dependencies=viewer,
    )
    def event_actions(event_id: str) -> list[EventAction]:
        """The audit trail, oldest first."""
        return store.actions(event_id)

    @router.get(
        "/api/events/{event_id}/deliveries",
        response_model=list[DeliveryRecord],
        responses=NOT_FOUND,
        dependencies=viewer,
    )
    def deliveries(event_id: str) -> list[DeliveryRecord]:
        """The messages owed for the event (alerts, reminders, ends, escalations to patrol
        groups, on-site responses) and their delivery state, oldest first."""
        store.get(event_id)
        return event_deliveries(store.engine, event_id)

    @router.get(
        "/api/events/{event_id}/snapshot.jpg",
        response_class=FileResponse,
        responses={**NOT_FOUND, 200: {"content": {"image/jpeg": {}}}},
    )
    def snapshot(event_id: str, request: Request, user: Viewer) -> FileResponse:
        path = store.snapshot_path(event_id)
        log_access(store, request, user.name, AccessAction.VIEWED_SNAPSHOT, event_id)
        # Residents' pictures: no browser or proxy keeps a copy (and a better snapshot may
        # replace the file while the event goes on).
        return FileResponse(
            path, media_type="image/jpeg", headers={**NO_STORE, **picture_header(path)}
        )

    @router.get(
        "/api/events/{event_id}/clip.mp4",
        response_class=FileResponse,
        responses={
            404: {"description": "no such event, or it has no clip"},
            200: {"content": {"video/mp4": {}}},
            206: {"description": "the byte range asked for (Range header)"},
        },
    )
    def clip(event_id: str, request: Request, user: Viewer) -> FileResponse:
        path = store.clip_path(event_id)
        log_access(store, request, user.name, AccessAction.VIEWED_CLIP, event_id)
        # FileResponse answers Range requests (206), which browsers use to seek and stream.
        return FileResponse(path, media_type="video/mp4", headers=NO_STORE)

    @router.get(
        "/api/events/{event_id}/photo.jpg",
        response_class=FileResponse,
        responses={
            404: {"description": "no such event, or it was resolved without a photo"},
            200: {"content": {"image/jpeg": {}}},
        },
    )
    def photo(event_id: str, request: Request, user: Viewer) -> FileResponse:
        """The photo a patroller resolved the event with (re-encoded JPEG), logged."""
        path = store.photo_path(event_id)
        log_access(store, request, user.name, AccessAction.VIEWED_PHOTO, event_id)
        return FileResponse(path, media_type="image/jpeg", headers=NO_STORE)

    @router.get(
        "/api/events/{event_id}/training/{index}.jpg",
        response_class=FileResponse,
        responses={
            404: {"description": "no such event, or it keeps no such frame"},
            200: {"content": {"image/jpeg": {}}},
        },
    )
    def training_frame(
        event_id: str,
        index: Annotated[int, Path(ge=0, le=MAX_TRAINING_FRAMES - 1)],
        request: Request,
        user: Admin,
    ) -> FileResponse:
        """One of the frames kept to learn from (``training_frames`` of the event says how
        many; 0 is the frame it was raised on), unredacted: admins only, logged."""
        path = store.training_frame_path(event_id, index)
        log_access(store, request, user.name, AccessAction.VIEWED_TRAINING, event_id)
        return FileResponse(path, media_type="image/jpeg", headers=NO_STORE)

    @router.post(
        "/api/events/{event_id}/acknowledge",
        response_model=StoredEvent,
        responses={**NOT_FOUND, **CONFLICT, **SIGNED_IN},
    )
    def acknowledge(event_id: str, body: ActorNote, user: Operator) -> StoredEvent:
        return store.acknowledge(event_id, _actor(user, body.actor), body.note)

    @router.post(
        "/api/events/{event_id}/assign",
        response_model=StoredEvent,
        responses={**NOT_FOUND, **CONFLICT, **SIGNED_IN},
    )
    def assign(event_id: str, body: Assignment, user: Operator) -> StoredEvent:
        return store.assign(event_id, _actor(user, body.actor), body.assignee)

    @router.post(
        "/api/events/{event_id}/resolve",
        response_model=StoredEvent,
        responses={**NOT_FOUND, **CONFLICT, **SIGNED_IN},
    )
    def resolve(event_id: str, body: ActorNote, user: Operator) -> StoredEvent:
        return store.resolve(event_id, _actor(user, body.actor), body.note)

    @router.post(
        "/api/events/{event_id}/review",
        response_model=StoredEvent,
        responses={**NOT_FOUND, **SIGNED_IN},
    )
    def review(event_id: str, body: ReviewBody, user: Operator) -> StoredEvent:
        """Confirmed or false alarm (with a reason); replaces any earlier verdict, the trail
        keeps them all. A false alarm resolves the event and leaves digests and escalation."""
        return store.review(event_id, _actor(user, body.actor), body.verdict_only())

    @router.get("/api/reviews/summary", response_model=list[ReviewCount], dependencies=viewer)
    def review_summary(
        since: Annotated[
            float | None,
            Query(ge=0, le=MAX_UNIX_S, allow_inf_nan=False, description="Unix seconds"),
        ] = None,
    ) -> list[ReviewCount]:
        """Reviewed events per camera, verdict and reason."""
        return review_counts(store.engine, since)

    @router.get("/api/cameras", response_model=list[CameraStatus], dependencies=viewer)
    def camera_list() -> list[CameraStatus]:
        return cameras.camera_statuses() if cameras is not None else []

    return router


def event_page(store: EventStore, find: FindQuery, limit: int, offset: int) -> Response:
    """``GET /api/events``' answer: the page as JSON, and the next page's cursor and link."""
    # Straight from the rows to JSON bytes: through StoredEvent and FastAPI's own path (to
    # dicts, then json.dumps) a page cost several times the query.
    page = store.find_events_json(find.filter, limit, find.cursor, offset)
    headers = {}
    if page.next is not None:
        token = page.next.token()
        link = find.link(limit=str(limit), cursor=token)
        headers = {"X-Next-Cursor": token, "Link": f'<{link}>; rel="next"'}
    return Response(page.events_json, media_type="application/json", headers=headers)


def picture_header(snapshot: PathLike) -> dict[str, str]:
    """``X-Picture-Height``: the rows of the snapshot that are the camera's picture (the rest is
    its caption), for the review dialog to normalize the boxes people draw; none when the file
    cannot tell."""
    try:
        with open(snapshot, "rb") as file:
            width, height = jpeg_size(file.read(65536))
        return {"X-Picture-Height": str(picture_height(width, height))}
    except (OSError, SnapshotError):
        return {}


async def _signed_in(user: Viewer) -> None:
    """A dependency: any signed-in user (viewer or more) may read."""


def _actor(user: User, named: str | None) -> str:
    """Who acts: the signed-in user (whatever the body says), else the name in the body."""
    if user.name:
        return user.name
    if not named:
        raise HTTPException(422, "actor is required: nobody is signed in to act as")
    return named
