"""Who is asking, and may they: FastAPI dependencies over an :class:`Authenticator`.

With no users configured there is no login and every visitor may do everything (the service
refuses that on a non-loopback address unless told otherwise). With users, pages need a signed-in
viewer, actions an operator, the zone page an admin. Machine routes (the JSON API under
``/api/``, ``/metrics`` and ``/healthz``) also take HTTP Basic, never the HTML pages: a browser
that remembers Basic credentials must not carry them to pages. ``/metrics`` and the details of
``/healthz`` also open to a configured bearer token (for a Prometheus server without an account).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alerts.access_log import AccessAction
from dashboard.auth import Authenticator, Role, User
from dashboard.throttle import Throttled

log = logging.getLogger(__name__)

SESSION_COOKIE = "stairwatch_session"
# No sign-in configured: everyone may do everything, and actions name their actor.
ANONYMOUS = User(name="", role=Role.ADMIN)
MACHINE_PREFIXES = ("/api/",)
MACHINE_PATHS = frozenset({"/metrics", "/healthz"})

# Writes a sign-in attempt to the access log: (request, name tried, what happened).
RecordAttempt = Callable[[Request, str, AccessAction], None]


class NotSignedIn(Exception):
    """Nobody (valid) is signed in."""


class NotAllowed(Exception):
    """Signed in, but the role does not allow this."""

    def __init__(self, user: User, needed: Role):
        super().__init__(f"{user.name} is a {user.role.value}; this needs {needed.value}")
        self.user = user
        self.needed = needed


class Access:
    """Resolves the requesting user; ``authenticator`` None means no login at all.
    ``record`` logs HTTP Basic failures and refusals; ``metrics_token`` (None: none) opens
    ``/metrics`` and health details to ``Authorization: Bearer <token>``."""

    def __init__(
        self,
        authenticator: Authenticator | None,
        record: RecordAttempt | None = None,
        metrics_token: str | None = None,
    ):
        self.authenticator = authenticator
        self._record = record
        self._metrics_token = metrics_token.encode() if metrics_token else None

    def current(self, request: Request) -> User | None:
        """The signed-in user (cookie, or Basic credentials on machine routes),
        :data:`ANONYMOUS` without login, or None. Raises :class:`Throttled` when Basic
        credentials come too often."""
        auth = self.authenticator
        if auth is None:
            return ANONYMOUS
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            user = auth.session_user(cookie)
            if user is not None:
                return user
        if not is_machine_route(request):
            return None
        return self._basic_user(auth, request)

    def has_metrics_token(self, request: Request) -> bool:
        if self._metrics_token is None:
            return False
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        given = value.strip().encode()
        return scheme.lower() == "bearer" and hmac.compare_digest(given, self._metrics_token)

    def may_monitor(self, request: Request) -> bool:
        """Whether the request may read ``/metrics`` and health details: any signed-in user,
        or the metrics token."""
        return self.has_metrics_token(request) or self.current(request) is not None

    def _basic_user(self, auth: Authenticator, request: Request) -> User | None:
        credentials = _basic_credentials(request.headers.get("authorization", ""))
        if credentials is None:
            return None
        name, password = credentials
        address = request.client.host if request.client else None
        try:
            user = auth.check_basic(name, password, address)
        except Throttled:
            log.warning("dashboard: HTTP Basic sign-in of %r refused: too many tries", name)
            self._note(request, name, AccessAction.SIGN_IN_LOCKED)
            raise
        if user is None:
            log.warning("dashboard: wrong HTTP Basic credentials for %r", name)
            self._note(request, name, AccessAction.SIGN_IN_FAILED)
        return user

    def _note(self, request: Request, name: str, action: AccessAction) -> None:
        if self._record is not None:
            self._record(request, name, action)

    def may_hash(self, request: Request) -> bool:
        """Whether finding the user may hash a password: HTTP Basic credentials on a machine
        route (slow on purpose, so never on the event loop)."""
        header = request.headers.get("authorization", "")
        return (
            self.authenticator is not None
            and header[:6].lower() == "basic "
            and is_machine_route(request)
        )

    def require(self, role: Role) -> Callable[[Request], User]:
        """A dependency that returns the user when their role allows ``role``."""

        def dependency(request: Request) -> User:
            user = self.current(request)
            if user is None:
                raise NotSignedIn()
            if not user.role.allows(role):
                raise NotAllowed(user, role)
            return user

        return dependency


def _app_requires(role: Role) -> Callable[[Request], Awaitable[User]]:
    """:meth:`Access.require` of the app's own :class:`Access` (``app.state.access``), on the
    event loop: a session cookie costs an HMAC there, less than the hop to the thread pool a
    plain function dependency takes. HTTP Basic credentials, which may hash a password, are
    checked in the thread pool."""

    async def dependency(request: Request) -> User:
        access: Access = request.app.state.access
        check = access.require(role)
        if access.may_hash(request):
            return await run_in_threadpool(check, request)
        return check(request)

    return dependency


Viewer = Annotated[User, Depends(_app_requires(Role.VIEWER))]
Operator = Annotated[User, Depends(_app_requires(Role.OPERATOR))]
Admin = Annotated[User, Depends(_app_requires(Role.ADMIN))]


def _basic_credentials(header: str) -> tuple[str, str] | None:
    """(name, password) from an ``Authorization: Basic`` header, else None."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        name, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (name, password) if sep else None


def route_path(request: Request) -> str:
    """The request's path inside the app (without the mount point)."""
    path = request.url.path
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return path[len(root) :] if root and path.startswith(root) else path


def is_machine_route(request: Request) -> bool:
    path = route_path(request)
    return path.startswith(MACHINE_PREFIXES) or path in MACHINE_PATHS


def install_access(app: FastAPI, access: Access) -> None:
    """Make ``access`` the app's (for :data:`Viewer` and :data:`Operator`). Pages redirect to
    the login page; the API and fragments answer 401 / 403 in JSON."""
    app.state.access = access

    def not_signed_in(request: Request, _exc: Exception) -> Response:
        if _wants_page(request):
            base = str(request.scope.get("root_path", "")).rstrip("/")
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            query = urlencode({"next": target})
            return RedirectResponse(f"{base}/login?{query}", status_code=303)
        return JSONResponse({"detail": "sign in first"}, status_code=401)

    def not_allowed(_request: Request, exc: Exception) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=403)

    def throttled(_request: Request, exc: Exception) -> Response:
        wait = exc.retry_after_s if isinstance(exc, Throttled) else 60.0
        headers = {"Retry-After": str(max(1, round(wait)))}
        return JSONResponse({"detail": "too many sign-in tries"}, status_code=429, headers=headers)

    app.add_exception_handler(NotSignedIn, not_signed_in)
    app.add_exception_handler(NotAllowed, not_allowed)
    app.add_exception_handler(Throttled, throttled)


def _wants_page(request: Request) -> bool:
    path = request.url.path
    return (
        request.method == "GET"
        and not path.startswith(("/api/", "/partials/"))
        and "text/html" in request.headers.get("accept", "")
    )
