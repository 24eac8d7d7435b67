"""Signed, expiring links to one alert, so a patroller can open and resolve it without an account.

A token is ``<payload>.<signature>``, both unpadded base64url: the payload is
``<event id>.<expiry in whole Unix seconds>`` and the signature its HMAC-SHA256 under the
link secret. The dashboard serves ``/p/{token}``; it must call :func:`verify_link` first and
grant nothing but viewing and resolving that one event.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
from dataclasses import dataclass

from alerts.errors import AlertsError

MAX_EVENT_ID_LEN = 64
MAKE_SECRET = 'python3 -c "import secrets; print(secrets.token_urlsafe(32))"'
MIN_BASE64_CHARS = 43  # 32 bytes in base64 without padding
MIN_HEX_DIGITS = 64  # 32 bytes in hex
_BASE64 = re.compile(r"^[A-Za-z0-9_\-+/]+=*$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
# Words of the placeholders people paste from examples (32 random bytes spell one about once
# in ten million: `stairwatch gen-secret` draws again then).
_PLACEHOLDER_WORDS = ("change", "replace", "secret", "password", "example", "placeholder")


class LinkError(AlertsError):
    """The token is malformed, forged or expired."""


class LinkExpired(LinkError):
    """The token was genuine but its time is up."""


@dataclass(frozen=True)
class LinkClaim:
    """What a valid token grants: access to ``event_id`` until ``expires_at`` (Unix seconds)."""

    event_id: str
    expires_at: int


def check_link_secret(secret: str) -> None:
    """Raise ValueError (never quoting ``secret``) unless it is 32 random bytes: at least 43
    characters of (URL-safe) base64 or 64 hex digits, not a placeholder, not one character
    repeated. Anyone who can guess it can forge links that open clips and resolve alerts."""
    how = (
        f"must be 32 random bytes: at least {MIN_BASE64_CHARS} characters of URL-safe base64 "
        f"or {MIN_HEX_DIGITS} hex digits; make one with `stairwatch gen-secret` or {MAKE_SECRET}"
    )
    if any(word in secret.lower() for word in _PLACEHOLDER_WORDS):
        raise ValueError(f"is a placeholder, not a secret: it {how}")
    if not _BASE64.match(secret):
        raise ValueError(how)
    digits = secret.rstrip("=")
    needed = MIN_HEX_DIGITS if _HEX.match(digits) else MIN_BASE64_CHARS
    if len(digits) < needed or len(set(digits)) < 8:
        raise ValueError(f"is too short or too regular: it {how}")


def sign_link(event_id: str, expires_at: float, secret: str | bytes) -> str:
    """A URL-safe token for ``event_id`` valid until ``expires_at`` (rounded up to a second)."""
    if not event_id or "." in event_id or len(event_id) > MAX_EVENT_ID_LEN:
        raise LinkError("an event id must be 1-64 characters without '.'")
    payload = f"{event_id}.{math.ceil(expires_at)}".encode()
    return f"{_b64(payload)}.{_b64(_mac(payload, secret))}"


def verify_link(token: str, secret: str | bytes, now: float) -> LinkClaim:
    """The claim in ``token``.

    Raises :class:`LinkError` if it is forged or malformed, :class:`LinkExpired` if too late.
    """
    try:
        payload_part, mac_part = token.split(".")
        payload, mac = _unb64(payload_part), _unb64(mac_part)
    except (ValueError, binascii.Error):
        raise LinkError("malformed link token") from None
    if not hmac.compare_digest(mac, _mac(payload, secret)):
        raise LinkError("link token signature does not match")
    try:
        event_id, expiry = payload.decode().split(".")
        expires_at = int(expiry)
    except (UnicodeDecodeError, ValueError):
        raise LinkError("malformed link token payload") from None
    if now >= expires_at:
        raise LinkExpired(f"link expired at {expires_at}")
    return LinkClaim(event_id=event_id, expires_at=expires_at)


def link_url(public_url: str, token: str) -> str:
    """``https://host/base`` + token -> ``https://host/base/p/<token>``."""
    return f"{public_url.rstrip('/')}/p/{token}"


def _mac(payload: bytes, secret: str | bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, payload, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text:
        raise ValueError("empty part")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
