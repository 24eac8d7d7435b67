"""An open-loop HTTP load client: requests at set times, whatever the answers before them.

It runs in its own process (the server's process is what is measured) and speaks just enough
HTTP/1.1 (GET, keep-alive, ``Content-Length`` bodies) to cost the machine little: a general client
(httpx) took a fifth of a core at 100 requests a second, which on two cores is the server's.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

MAX_IN_FLIGHT = 64  # connections: requests waiting for an answer, at most
LATE_S = 0.010  # a request sent this much after its set time counts as late
TIMEOUT_S = 30.0
PAGE_SIZE = 50  # the dashboard's page
STALE = (ConnectionError, asyncio.IncompleteReadError)  # a kept-alive connection the server closed


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names


class Connections:
    """Keep-alive connections to one server, at most :data:`MAX_IN_FLIGHT` at once."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def get(self, path: str) -> Answer:
        async with self._slots:
            if self._idle:  # the server may have closed it meanwhile (its keep-alive timeout)
                try:
                    return await self._on(self._idle.pop(), path)
                except STALE:
                    pass
            return await self._on(await self._open(), path)

    async def _on(
        self, connection: tuple[asyncio.StreamReader, asyncio.StreamWriter], path: str
    ) -> Answer:
        reader, writer = connection
        try:
            answer = await asyncio.wait_for(self._exchange(reader, writer, path), TIMEOUT_S)
        except BaseException:
            writer.close()
            raise
        self._idle.append(connection)
        return answer

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self.host, self.port)

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str
    ) -> Answer:
        target = quote(path, safe="/?&=%:+-_.~")
        writer.write(f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode())
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        status = int(status_line.split()[1])
        headers = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        await reader.readexactly(int(headers.get("content-length", "0")))
        return Answer(status, headers)

    def close(self) -> None:
        for _, writer in self._idle:
            writer.close()


def run_client(base: str, queries: list[str], rate: float, seconds: float, out: Any) -> None:
    """Ask ``GET /api/events?<query>&limit=50`` ``rate`` times a second for ``seconds``, taking
    ``queries`` in turn, and every other time the next page of an earlier answer (its
    ``X-Next-Cursor``); put ``[latency_s or None, late, error or None]`` per request on
    ``out`` (an error: the exception's class, or ``HTTP <status>`` for a status other than
    200)."""
    out.put(asyncio.run(_open_loop(base, queries, rate, seconds)))


async def _open_loop(base: str, queries: list[str], rate: float, seconds: float) -> list[Any]:
    connections = Connections(base)
    pending: deque[str] = deque(maxlen=MAX_IN_FLIGHT)  # next pages still to ask for
    results: list[list[Any]] = []

    async def one(params: str, due: float, follow: bool) -> None:
        sent = time.monotonic()
        late = sent - due > LATE_S
        try:
            answer = await connections.get(f"/api/events?{params}&limit={PAGE_SIZE}")
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError, TimeoutError) as exc:
            results.append([None, late, type(exc).__name__])
            return
        if answer.status != 200:
            results.append([None, late, f"HTTP {answer.status}"])
            return
        cursor = answer.headers.get("x-next-cursor")
        if follow and cursor:
            pending.append(f"{params}&cursor={cursor}")
        results.append([time.monotonic() - sent, late, None])

    start = time.monotonic() + 0.5
    tasks = []
    for i in range(int(rate * seconds)):
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        follow = not (i % 2 and pending)
        params = queries[(i // 2) % len(queries)] if follow else pending.popleft()
        tasks.append(asyncio.create_task(one(params, due, follow)))
    await asyncio.gather(*tasks)
    connections.close()
    return results
