"""One HTTP request (a JSON POST, mostly) with the standard library, mapped onto retryable
and permanent errors.

URLs of chat robots carry their access keys, and servers may echo a request's headers, so an
error names only the scheme and host and a fixed text (:mod:`alerts.channels.failures`).
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alerts.channels.base import USER_AGENT
from alerts.channels.failures import describe, http_status
from alerts.errors import DeliveryRefused, NotifierError
from alerts.urls import safe_origin

MAX_REPLY_BYTES = 64 * 1024
RETRYABLE_STATUS = frozenset({408, 425, 429})


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: bytes

    def json(self) -> dict[str, Any]:
        """The reply as a JSON object; NotifierError if it is not one."""
        try:
            value = json.loads(self.body or b"{}")
        except ValueError:
            raise NotifierError(f"reply is not JSON (HTTP {self.status})") from None
        if not isinstance(value, dict):
            raise NotifierError(f"reply is not a JSON object (HTTP {self.status})")
        return value


def post(url: str, body: bytes, headers: Mapping[str, str], timeout_s: float) -> HttpReply:
    """POST ``body``; see :func:`send`."""
    return send("POST", url, body, headers, timeout_s)


def send(
    method: str, url: str, body: bytes | None, headers: Mapping[str, str], timeout_s: float
) -> HttpReply:
    """One request; 2xx returns, 408/425/429/5xx and network trouble raise NotifierError,
    other statuses raise DeliveryRefused."""
    all_headers = {"User-Agent": USER_AGENT, **headers}
    where = safe_origin(url)
    try:
        request = urllib.request.Request(url, data=body, headers=all_headers, method=method)
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return HttpReply(int(response.status), response.read(MAX_REPLY_BYTES))
    except urllib.error.HTTPError as exc:
        message = f"{where} answered {http_status(exc.code)}"
        if exc.code in RETRYABLE_STATUS or exc.code >= 500:
            raise NotifierError(message) from None
        raise DeliveryRefused(message) from None
    except (OSError, ValueError, http.client.HTTPException) as exc:
        # ValueError: a URL urllib cannot use (no scheme, a port that is not a number).
        raise NotifierError(f"cannot reach {where}: {describe(exc)}") from None


def json_body(value: Any) -> bytes:
    """Compact UTF-8 JSON (Chinese text stays readable in logs and payload dumps)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
