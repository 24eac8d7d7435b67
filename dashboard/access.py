"""Who is asking, and may they: FastAPI dependencies over an :class:`Authenticator`.

With no users configured there is no login and every visitor may do everything (the service
refuses that on a non-loopback address unless told otherwise). With users, pages need a signed-in
viewer, actions an operator, the zone page an admin; the JSON API also takes HTTP Basic.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from dashboard.auth import Authenticator, Role, User

log = logging.getLogger(__name__)

SESSION_COOKIE = "stairwatch_session"
# No sign-in configured: everyone may do everything, and actions name their actor.
ANONYMOUS = User(name="", role=Role.ADMIN)


class NotSignedIn(Exception):
    """Nobody (valid) is signed in."""


class NotAllowed(Exception):
    """Signed in, but the role does not allow this."""

    def __init__(self, user: User, needed: Role):
        super().__init__(f"{user.name} is a {user.role.value}; this needs {needed.value}")
        self.user = user
        self.needed = needed


class Access:
    """Resolves the requesting user; ``authenticator`` None means no login at all."""

    def __init__(self, authenticator: Authenticator | None):
        self.authenticator = authenticator

    def current(self, request: Request) -> User | None:
        """The signed-in user (cookie, or Basic credentials), :data:`ANONYMOUS` without login,
        or None."""
        auth = self.authenticator
        if auth is None:
            return ANONYMOUS
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            user = auth.session_user(cookie)
            if user is not None:
                return user
        return _basic_user(auth, request.headers.get("authorization", ""))

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


def _app_requires(role: Role) -> Callable[[Request], User]:
    """:meth:`Access.require` of the app's own :class:`Access` (``app.state.access``)."""

    def dependency(request: Request) -> User:
        access: Access = request.app.state.access
        return access.require(role)(request)

    return dependency


Viewer = Annotated[User, Depends(_app_requires(Role.VIEWER))]
Operator = Annotated[User, Depends(_app_requires(Role.OPERATOR))]
Admin = Annotated[User, Depends(_app_requires(Role.ADMIN))]


def _basic_user(auth: Authenticator, header: str) -> User | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        name, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if not sep:
        return None
    user = auth.check_basic(name, password)
    if user is None:
        log.warning("dashboard: wrong HTTP Basic credentials for %r", name)
    return user


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

    app.add_exception_handler(NotSignedIn, not_signed_in)
    app.add_exception_handler(NotAllowed, not_allowed)


def _wants_page(request: Request) -> bool:
    path = request.url.path
    return (
        request.method == "GET"
        and not path.startswith(("/api/", "/partials/"))
        and "text/html" in request.headers.get("accept", "")
    )
