"""Sessions signed out before their cookies expire, shared by the dashboard's processes.

With ``path`` None, in memory. With a path (the run directory's, when ``stairwatch run`` serves
the dashboard from several processes), every sign-out is also a line appended to that file
(``<session id> <expiry>``, mode 0600), and each process reads the lines added since it last
looked whenever the file grew, so a cookie signed out on one process is refused by all. Session
ids are random and say nothing without the secret that signs the cookies.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class SignedOut:
    """Session id -> Unix seconds its cookie expires anyway; thread-safe."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}
        self._read_to = 0  # bytes of the file already read

    def add(self, session_id: str, expires_at: float, now: float) -> None:
        with self._lock:
            self._expiry = {s: t for s, t in self._expiry.items() if t > now}
            self._expiry[session_id] = expires_at
        if self._path is None:
            return
        try:
            fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:  # one short write with O_APPEND: lines of several processes never interleave
                os.write(fd, f"{session_id} {expires_at!r}\n".encode())
            finally:
                os.close(fd)
        except OSError as exc:
            log.error("dashboard: a sign-out is not shared with the other processes: %s", exc)

    def __contains__(self, session_id: str) -> bool:
        with self._lock:
            self._read_new_lines()
            return session_id in self._expiry

    def _read_new_lines(self) -> None:
        if self._path is None:
            return
        try:
            if self._path.stat().st_size <= self._read_to:
                return
            with self._path.open("rb") as file:
                file.seek(self._read_to)
                added = file.read()
        except OSError:
            return
        complete = added[: added.rfind(b"\n") + 1]  # a line still being written: next time
        self._read_to += len(complete)
        for line in complete.decode(errors="replace").splitlines():
            session_id, _, expiry = line.partition(" ")
            try:
                self._expiry[session_id] = float(expiry)
            except ValueError:
                continue
