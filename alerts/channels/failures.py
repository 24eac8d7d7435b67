"""Fixed texts for delivery failures: what is stored as an outbox row's ``last_error``, logged
and shown to every dashboard viewer.

An exception's own text may quote the URL, a header or what the server answered (and with them
a password or a robot's key), so it is never used: each class of failure has one fixed text.
"""

from __future__ import annotations

import errno
import http.client
import smtplib
import socket
import ssl
import urllib.error

CONNECTION_REFUSED = "connection refused"
CONNECTION_RESET = "connection reset"
TIMEOUT = "timeout"
TLS_ERROR = "TLS error"
INVALID_URL = "invalid URL"
UNKNOWN_HOST = "host name not found"
UNREACHABLE = "network unreachable"
BAD_REPLY = "bad HTTP reply"
NETWORK_ERROR = "network error"
SMTP_ERROR = "SMTP error"
UNEXPECTED = "unexpected error"


def http_status(code: int) -> str:
    """``HTTP 500``: a status, never the body that came with it."""
    return f"HTTP {code}"


def describe(exc: BaseException) -> str:
    """One of this module's fixed texts for ``exc`` (``urllib``'s wrapped reason included)."""
    if isinstance(exc, urllib.error.HTTPError):
        return http_status(exc.code)
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        return describe(exc.reason)
    if isinstance(exc, urllib.error.URLError):
        return NETWORK_ERROR
    return _describe_plain(exc)


def _describe_plain(exc: BaseException) -> str:
    fixed: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
        ((ssl.SSLError, ssl.CertificateError), TLS_ERROR),
        (TimeoutError, TIMEOUT),
        (ConnectionRefusedError, CONNECTION_REFUSED),
        ((ConnectionResetError, ConnectionAbortedError, BrokenPipeError), CONNECTION_RESET),
        (socket.gaierror, UNKNOWN_HOST),
        (http.client.InvalidURL, INVALID_URL),
        (smtplib.SMTPServerDisconnected, CONNECTION_RESET),
        (smtplib.SMTPException, SMTP_ERROR),
        (http.client.HTTPException, BAD_REPLY),
        (ValueError, INVALID_URL),  # urllib: "unknown url type", "nonnumeric port"
    )
    for kinds, text in fixed:
        if isinstance(exc, kinds):
            return text
    if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return UNREACHABLE
    if isinstance(exc, OSError):
        return NETWORK_ERROR
    return UNEXPECTED
