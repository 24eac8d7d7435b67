"""Checks every request passes before routing, parsing or signing in (a plain ASGI middleware).

- Host: only names the dashboard is reached by (loopback, ``public_url``'s host, configured
  names) are served; others get 400, so a page whose DNS name was rebound to this machine's
  address cannot read or act on the dashboard.
- Origin: a state-changing request (POST, PUT, PATCH, DELETE) a browser sends from another site
  (``Sec-Fetch-Site`` other than same-origin, or an ``Origin`` that is not this host) gets 403,
  so no other page can act with the visitor's cookie, remembered Basic credentials or loopback
  trust.
  Clients that send neither header (curl, scripts) are not browsers and pass.
- Body: at most :data:`MAX_BODY_BYTES` (or the larger limit given for a path pattern, e.g. the
  patroller's photo upload); a longer one gets 413 as soon as its ``Content-Length``
  says so or, for a chunked body, as soon as that many bytes have arrived; nothing is parsed
  before the whole body is known to fit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# (pattern the whole path inside the app must match, body limit in bytes): routes that take uploads
BodyLimit = tuple[re.Pattern[str], int]

MAX_BODY_BYTES = 64 * 1024  # the largest real body (a sign-in form, a note) is a few KiB
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _TooLarge(Exception):
    pass


class _Gone(Exception):
    """The client went away before sending its whole body."""


class RequestGuard:
    """Wraps ``app``; ``hosts`` are the allowed Host names (lower case, IPv6 unbracketed);
    ``larger_bodies`` raise the body limit of the paths they match (the first match wins)."""

    def __init__(
        self,
        app: ASGIApp,
        hosts: frozenset[str],
        max_body: int = MAX_BODY_BYTES,
        larger_bodies: tuple[BodyLimit, ...] = (),
    ):
        self.app = app
        self.hosts = hosts
        self.max_body = max_body
        self.larger_bodies = larger_bodies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if host_name(host) not in self.hosts:
            await _answer(send, 400, "unknown host: add it to server.allowed_hosts")
            return
        if scope["method"] in UNSAFE_METHODS and _cross_site(headers, host):
            await _answer(send, 403, "cross-site request refused")
            return
        if not _may_have_body(headers):
            await self.app(scope, receive, send)
            return
        limit = self.body_limit(scope)
        try:
            body = await _read_body(headers, receive, limit)
        except _TooLarge:
            await _answer(send, 413, f"the body is larger than {limit} bytes")
            return
        except _Gone:
            return
        await self.app(scope, _replay(body, receive), send)

    def body_limit(self, scope: Scope) -> int:
        """The most body bytes the request's path may send."""
        path = _route_path(scope)
        return next((n for p, n in self.larger_bodies if p.fullmatch(path)), self.max_body)


def _route_path(scope: Scope) -> str:
    """The request's path inside the app (without the mount point)."""
    path, root = str(scope.get("path", "")), str(scope.get("root_path", "")).rstrip("/")
    return path[len(root) :] if root and path.startswith(root) else path


async def _read_body(headers: Headers, receive: Receive, limit: int) -> bytes:
    declared = headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise _TooLarge()
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise _Gone()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def host_name(host_header: str) -> str:
    """``Example.org:8000`` -> ``example.org``; ``[::1]:8000`` -> ``::1``."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _cross_site(headers: Headers, host: str) -> bool:
    """A browser says where a request comes from in ``Sec-Fetch-Site`` (all current ones), else
    in ``Origin``. ``Sec-Fetch-Site`` decides when present: under ``Referrer-Policy:
    no-referrer`` a same-origin form post carries ``Origin: null``."""
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = headers.get("origin")
    if origin is None:
        return False
    try:
        netloc = urlsplit(origin).netloc
    except ValueError:
        return True
    return origin == "null" or netloc.lower() != host.strip().lower()


def _may_have_body(headers: Headers) -> bool:
    return "content-length" in headers or "transfer-encoding" in headers


def _replay(body: bytes, rest: Receive) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await rest()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    if status == 413:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
