"""Hide credentials in camera URLs before they reach logs, health snapshots or the dashboard."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_URL_WITH_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/@]+@[^\s]*")


def redact_url(url: str) -> str:
    """``rtsp://user:secret@host/x`` -> ``rtsp://user:***@host/x``; other strings unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def redact_text(text: str) -> str:
    """Redact every URL with credentials inside free text (error messages from FFmpeg/OpenCV)."""
    return _URL_WITH_USERINFO.sub(lambda match: redact_url(match.group(0)), text)
