"""Checks of the URLs stairwatch sends to (webhooks, chat robots, on-site devices).

Such a URL may carry a token, so nothing here ever puts the URL (or part of it) into an error
message: errors say what is wrong, the caller names the field.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, SecretStr

USERINFO_HINT = (
    "must not carry a user name or password (user:password@host): the HTTP client does not "
    "send them, and error texts would show them; put the credentials in a header instead, "
    'e.g. headers: {Authorization: "Basic <base64 of user:password>"}'
)


def check_outgoing_url(url: str) -> None:
    """Raise ValueError (without the URL in its text) unless ``url`` is an ``http://`` or
    ``https://`` URL with a host, a numeric port (if any) and no user name or password."""
    if not url.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        port, parts = None, None
    if parts is None or "@" in parts.netloc:
        # A password holding / ? or # cuts the netloc short, so look past it too.
        raise ValueError(USERINFO_HINT if "@" in url else "is not a valid URL (bad port?)")
    if not parts.hostname:
        raise ValueError("has no host name")
    if port == 0:
        raise ValueError("port 0 is not a port")


def _checked(value: SecretStr) -> SecretStr:
    check_outgoing_url(value.get_secret_value())
    return value


OutgoingUrl = Annotated[SecretStr, AfterValidator(_checked)]
"""A configured URL stairwatch sends to: secret (it may hold a token) and checked on load."""


def safe_origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, never its user, password, path or query (which may
    hold a key); ``?`` stands for a part that cannot be read."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "?"
    if "@" in parts.netloc or not parts.scheme.isalpha():
        return "?"
    return f"{parts.scheme}://{host}{port}"


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (a host name may resolve anywhere: not loopback)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
