"""One HTTP request (a JSON POST, mostly) with the standard library, mapped onto retryable
and permanent errors.

URLs of chat robots carry their access keys, so errors name only the scheme and host.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from alerts.channels.base import USER_AGENT
from alerts.errors import DeliveryRefused, NotifierError

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


def host_of(url: str) -> str:
    """``scheme://host:port`` only: never the path or query, which may hold a key."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}" + (f":{parts.port}" if parts.port else "")


def post(url: str, body: bytes, headers: Mapping[str, str], timeout_s: float) -> HttpReply:
    """POST ``body``; see :func:`send`."""
    return send("POST", url, body, headers, timeout_s)


def send(
    method: str, url: str, body: bytes | None, headers: Mapping[str, str], timeout_s: float
) -> HttpReply:
    """One request; 2xx returns, 408/425/429/5xx and network trouble raise NotifierError,
    other statuses raise DeliveryRefused."""
    all_headers = {"User-Agent": USER_AGENT, **headers}
    request = urllib.request.Request(url, data=body, headers=all_headers, method=method)
    where = host_of(url)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return HttpReply(int(response.status), response.read(MAX_REPLY_BYTES))
    except urllib.error.HTTPError as exc:
        detail = exc.read(200).decode("utf-8", "replace").strip()
        message = f"{where} answered HTTP {exc.code}" + (f": {detail}" if detail else "")
        if exc.code in RETRYABLE_STATUS or exc.code >= 500:
            raise NotifierError(message) from None
        raise DeliveryRefused(message) from None
    except urllib.error.URLError as exc:
        raise NotifierError(f"cannot reach {where}: {exc.reason}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise NotifierError(f"cannot reach {where}: {type(exc).__name__}: {exc}") from None


def json_body(value: Any) -> bytes:
    """Compact UTF-8 JSON (Chinese text stays readable in logs and payload dumps)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
