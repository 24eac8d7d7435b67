"""Hide credentials in camera URLs before they reach logs, health snapshots or the dashboard.

Cameras take passwords unencoded, so a password may hold ``/ ? # @ :``: the user information is
taken to run from ``://`` to the URL's last ``@``. A URL with another ``@`` later in its path or
query loses more than its password to redaction, never less.
"""

from __future__ import annotations

import re

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_URL_WITH_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S*@\S*")
MASK = "***"


def split_credentials(url: str) -> tuple[str, str, str, str] | None:
    """``rtsp://user:pw@host/x`` -> ``("rtsp://", "user", "pw", "host/x")``; None without a
    password (or when ``url`` is not ``scheme://...``)."""
    scheme = _SCHEME.match(url)
    if scheme is None:
        return None
    rest = url[scheme.end() :]
    at = rest.rfind("@")
    user, colon, password = rest[:at].partition(":")
    if at < 0 or not colon:
        return None
    return scheme.group(0), user, password, rest[at + 1 :]


def redact_url(url: str) -> str:
    """``rtsp://user:secret@host/x`` -> ``rtsp://user:***@host/x``; other strings unchanged."""
    parts = split_credentials(url)
    if parts is None:
        return url
    scheme, user, _password, rest = parts
    return f"{scheme}{user}:{MASK}@{rest}"


def redact_text(text: str) -> str:
    """Redact every URL with credentials inside free text (error messages from FFmpeg/OpenCV)."""
    return _URL_WITH_USERINFO.sub(lambda match: redact_url(match.group(0)), text)
