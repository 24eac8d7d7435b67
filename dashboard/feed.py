"""The live feed: ``GET /api/events/stream`` sends each new or changed event as a Server-Sent
Event, so open dashboards learn of it at once instead of polling.

Each stream is an async generator that reads the store's change cursor (``alerts/changes.py``:
an event's ``updated_at``, then id, indexed) every :data:`POLL_S`; no thread and no queue per
client: a stream reads at its own pace, at most :data:`MAX_READ` changes at a time, and a client
that stops reading only stalls its own generator. A message is the event's whole current state
(the JSON of ``GET /api/events/{id}``) with the id ``<updated_at>_<event id>``; a reconnect sends
it back as ``Last-Event-ID`` (or a page passes it as ``?after=``) and gets every event changed
after it. Messages are at-least-once: the store stamps a change before its transaction commits,
so a stream also looks :data:`LOOKBACK_S` behind its cursor for changes that committed late, and a
resumed stream replays that window; a client treats a message as "this event is now so". When
more changed than one read holds, the stream sends ``event: reset`` instead (reload the list).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

import uvicorn
from fastapi import FastAPI, Header, HTTPException, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from alerts.changes import ChangeMark, events_by_id, latest_mark, marks_since, parse_mark
from alerts.errors import StoreError
from alerts.store import EventStore
from alerts.stored import StoredEvent
from dashboard.access import Viewer

log = logging.getLogger(__name__)

POLL_S = 0.5  # how often a stream reads the change cursor
# Longer than the SQLite busy timeout (10 s) plus a snapshot write: a change stamped up to this
# long before it commits is still sent.
LOOKBACK_S = 30.0
MAX_READ = 500  # changes one read may return; more means "reset", never a long replay
MAX_STREAM_S = 300.0  # then the browser reconnects, signing in again (roles, expired sessions)
RETRY_MS = 2000  # the browser's reconnect delay
STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}  # nginx: no buffering


class LiveFeeds:
    """The app's open streams (``app.state.live_feeds``); once closed, each ends within
    :data:`POLL_S`."""

    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


class FeedClosingServer(uvicorn.Server):
    """A uvicorn server that ends the app's live feeds when it stops: each is an endless
    response, which uvicorn would otherwise wait on until every browser went away."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        feeds = getattr(getattr(self.config.app, "state", None), "live_feeds", None)
        if isinstance(feeds, LiveFeeds):
            feeds.close()
        await super().shutdown(sockets)


@dataclass
class FeedCursor:
    """One stream's place: it reads changes at or after ``since`` (store time, Unix seconds),
    has sent up to ``high``, and remembers which marks it sent within the look-back window."""

    since: float
    high: ChangeMark | None = None
    sent: dict[str, float] = field(default_factory=dict)  # event id -> updated_at sent

    @classmethod
    def resume(cls, mark: ChangeMark | None) -> FeedCursor:
        """After ``mark`` (None: from the start), the look-back window behind it included."""
        if mark is None:
            return cls(since=0.0)
        return cls(since=mark.at - LOOKBACK_S, high=mark, sent={mark.event_id: mark.at})

    @classmethod
    def restart(cls, mark: ChangeMark | None) -> FeedCursor:
        """After ``mark`` with no look-back: the client reloads its list instead."""
        cursor = cls.resume(mark)
        if mark is not None:
            cursor.since = mark.at
        return cursor

    def unsent(self, marks: list[ChangeMark]) -> list[ChangeMark]:
        return [m for m in marks if self.sent.get(m.event_id, -1.0) < m.at]

    def record(self, mark: ChangeMark) -> ChangeMark:
        """Note ``mark`` as sent; returns the newest mark sent so far."""
        self.sent[mark.event_id] = max(mark.at, self.sent.get(mark.event_id, mark.at))
        if self.high is None or mark > self.high:
            self.high = mark
        return self.high

    def advance(self) -> None:
        """Move the window up behind ``high`` and forget marks that fell out of it."""
        if self.high is not None:
            self.since = max(self.since, self.high.at - LOOKBACK_S)
        self.sent = {key: at for key, at in self.sent.items() if at >= self.since}


def message(mark: ChangeMark, event: StoredEvent) -> str:
    """One Server-Sent Event: ``id`` and one ``data`` line of JSON."""
    return f"id: {mark.text()}\ndata: {event.model_dump_json()}\n\n"


def reset_message(mark: ChangeMark | None) -> str:
    id_line = "" if mark is None else f"id: {mark.text()}\n"
    return f"event: reset\n{id_line}data: {{}}\n\n"


def next_chunk(engine: Engine, cursor: FeedCursor) -> str:
    """What the stream sends next ("" when nothing changed); moves ``cursor``. Blocking."""
    marks = marks_since(engine, cursor.since, MAX_READ)
    if len(marks) >= MAX_READ:
        latest = latest_mark(engine)
        restarted = FeedCursor.restart(latest)
        cursor.since, cursor.high, cursor.sent = restarted.since, restarted.high, restarted.sent
        return reset_message(latest)
    new = cursor.unsent(marks)
    parts = []
    for event in events_by_id(engine, [m.event_id for m in new]):
        high = cursor.record(ChangeMark(event.updated_at, event.id))
        parts.append(message(high, event))  # the id says "all up to here", late or not
    for mark in new:
        cursor.record(mark)  # deleted meanwhile: not read again
    cursor.advance()
    return "".join(parts)


async def event_stream(
    engine: Engine, cursor: FeedCursor, keepalive_s: float, feeds: LiveFeeds
) -> AsyncIterator[str]:
    """Messages as events change, a keep-alive comment when idle, for :data:`MAX_STREAM_S`.
    Ends early when ``feeds`` closes or the store fails (the browser retries; its next connect
    gets the 503)."""
    yield f"retry: {RETRY_MS}\n\n"
    started = last_sent = time.monotonic()
    while time.monotonic() - started < MAX_STREAM_S and not feeds.closed:
        try:
            chunk = await run_in_threadpool(next_chunk, engine, cursor)
        except StoreError as exc:
            log.error("dashboard: live feed: the event store failed: %s", exc)
            return
        now = time.monotonic()
        if chunk:
            yield chunk
            last_sent = now
        elif now - last_sent >= keepalive_s:
            yield ": keep-alive\n\n"
            last_sent = now
        await asyncio.sleep(POLL_S)


def start_cursor(store: EventStore, last_event_id: str | None, after: str | None) -> FeedCursor:
    """Where a stream starts: after ``Last-Event-ID``, else after ``?after=``, else now."""
    given = last_event_id or after
    if given is None:  # what is in the window now counts as known; later commits in it do not
        cursor = FeedCursor.resume(latest_mark(store.engine))
        for mark in marks_since(store.engine, cursor.since, MAX_READ):
            cursor.record(mark)
        return cursor
    try:
        return FeedCursor.resume(parse_mark(given))
    except StoreError as exc:
        raise HTTPException(400, f"Last-Event-ID / after: {exc}") from None


def add_feed_routes(app: FastAPI, store: EventStore, keepalive_s: float) -> None:
    """``GET /api/events/stream`` for viewers and up (as ``GET /api/events``). Add it before
    ``/api/events/{event_id}``, which would take ``stream`` for an id. Serve the app with
    :class:`FeedClosingServer`, so that stopping it ends the streams."""
    feeds = LiveFeeds()
    app.state.live_feeds = feeds

    @app.get(
        "/api/events/stream",
        response_class=StreamingResponse,
        include_in_schema=False,  # an endless body: no fuzzer or client generator can use it
    )
    def event_feed(
        _user: Viewer,
        last_event_id: Annotated[str | None, Header(max_length=200)] = None,
        after: Annotated[str | None, Query(max_length=200)] = None,
    ) -> StreamingResponse:
        """Server-Sent Events: each new or changed event, as ``GET /api/events/{id}`` gives it."""
        cursor = start_cursor(store, last_event_id, after)
        return StreamingResponse(
            event_stream(store.engine, cursor, keepalive_s, feeds),
            media_type="text/event-stream",
            headers=STREAM_HEADERS,
        )
