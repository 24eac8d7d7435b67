"""Is a network camera's server there at all? A TCP connect, far cheaper than opening the stream.

The reader backs off exponentially between failed opens (a broken stream must not be hammered),
but when the failure was a server that did not answer, it probes the server's port about once a
second meanwhile and reconnects as soon as the port accepts: a camera is back within a second or
two of its server, however long the outage was.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int


def endpoint_of(source: str | int) -> Endpoint | None:
    """The TCP endpoint of an ``rtsp://``, ``rtsps://`` or ``http(s)://`` source; None for files,
    devices and URLs without a host."""
    if not isinstance(source, str) or "://" not in source:
        return None
    try:
        parts = urlsplit(source)
        port = parts.port
    except ValueError:  # a malformed port: opening the stream will say what is wrong
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return Endpoint(parts.hostname, port if port is not None else DEFAULT_PORTS[scheme])


def accepts_connections(endpoint: Endpoint, timeout_s: float) -> bool:
    """Whether ``endpoint`` completes a TCP handshake within ``timeout_s`` seconds."""
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=timeout_s):
            return True
    except OSError:
        return False
