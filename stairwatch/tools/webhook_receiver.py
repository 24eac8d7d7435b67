"""A local HTTP receiver for notification tests and the delivery fault script.

Listens on 127.0.0.1 only, records every request, and answers with a configurable status and
JSON body (HTTP 200 and ``{"errcode": 0, "code": 0}`` by default, which every chat robot format
reads as success). ``stop()`` closes the port (the receiver is "down"); ``start()`` opens the
same port again.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

OK_BODY = {"errcode": 0, "errmsg": "ok", "code": 0, "msg": "success"}


@dataclass(frozen=True)
class Received:
    """One request as it arrived; ``at`` is the wall clock (Unix seconds) on arrival."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float
    status: int = 200

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    """What the receiver answers; change it while running (thread-safe enough: one assignment)."""

    status: int = 200
    body: dict[str, Any] = field(default_factory=lambda: dict(OK_BODY))
    delay_s: float = 0.0


class WebhookReceiver:
    def __init__(self, port: int = 0, reply: Reply | None = None) -> None:
        self.port = port
        self.reply = reply or Reply()
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> WebhookReceiver:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler_class())
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="webhook-receiver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def accepted(self) -> list[Received]:
        """The requests answered with a 2xx status."""
        return [r for r in self.received() if 200 <= r.status < 300]

    def wait_for(self, done: Callable[[list[Received]], bool], timeout_s: float) -> list[Received]:
        """Poll until ``done(received)`` holds; returns what arrived (check it), even on timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            got = self.received()
            if done(got) or time.monotonic() > deadline:
                return got
            time.sleep(0.02)

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _record(self, request: Received) -> None:
        with self._lock:
            self._received.append(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PUT(self) -> None:
                self._handle("PUT")

            def do_GET(self) -> None:
                self._handle("GET")

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                reply = receiver.reply
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                parts = urlsplit(self.path)
                receiver._record(
                    Received(
                        method=method,
                        path=parts.path,
                        query=parse_qs(parts.query),
                        headers={k: v for k, v in self.headers.items()},
                        body=body,
                        at=time.time(),
                        status=reply.status,
                    )
                )
                data = json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender died after sending (the kill scenario): it was received

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler
