"""The dashboard as child processes of ``stairwatch run`` (``server.process: own``), so its
requests never wait for the interpreter lock the pipeline's threads hold; ``server.workers`` of
them accept on one socket the service binds (:class:`DashboardWorkers`), each on its own lock.

The child is ``stairwatch serve --config FILE --child``: the configuration's path on its command
line, never a secret. It serves until its standard input closes, which the parent does on stop
(and the system does when the parent dies, however it dies). It runs in a session of its own,
so a Ctrl-C in the terminal reaches only the parent, which then stops it.

:class:`DashboardChild` fits the supervisor's :class:`Supervised`: a child that exited while
it should run is started again (after a pause that doubles while it keeps failing at once), and
its restarts show in the health report like a thread's.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from stairwatch.runtime.run_dir import RunDir
from stairwatch.runtime.threads import ThreadHealth

log = logging.getLogger(__name__)

STOP_S = 5.0  # a stopping child gets this long to end its responses, then SIGTERM, then SIGKILL
QUICK_EXIT_S = 10.0  # a child that exits sooner than this after its start failed at once
MAX_PAUSE_S = 30.0
READY_POLL_S = 0.05
LISTEN_BACKLOG = 2048  # uvicorn's


def child_command(
    config: Path, log_level: str, worker: int = 1, listen_fd: int | None = None
) -> list[str]:
    """The child's command line: this interpreter, the configuration's path, the log level,
    which of the dashboard's processes it is and the inherited socket it accepts on."""
    fd = [] if listen_fd is None else ["--listen-fd", str(listen_fd)]
    return [sys.executable, "-m", "stairwatch", "serve", "--config", str(config.resolve()),
            "--log-level", log_level, "--child", "--worker", str(worker), *fd]  # fmt: skip


def listening_socket(host: str, port: int) -> socket.socket:
    """``host:port`` bound and listening, for the dashboard's processes to inherit and all
    accept on: a connection goes to whichever is free first, and a process that dies loses
    none of the queued ones (the parent keeps the socket). Unlike SO_REUSEPORT it lets no
    other program share the port, and a port in use fails here, at the start."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn decides
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit it: a small answer is not held back for the next one.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(LISTEN_BACKLOG)  # inherited only where passed (Popen's pass_fds)
    except OSError:
        sock.close()
        raise
    return sock


def session_line(secret: str | None) -> bytes:
    """What a child reads first on its standard input: the session secret all the dashboard's
    processes sign cookies with (``secret``, else a new one for this run), so a session made
    on one is valid on the others. Never on a command line, in the environment or a file."""
    return ((secret or secrets.token_urlsafe(32)) + "\n").encode()


class DashboardChild:
    """One child process running ``command``; ``start()`` / ``stop()``, and :class:`Supervised`
    (``name``, ``dead``, ``restart()``, ``health()``) for the service's supervisor."""

    def __init__(
        self,
        command: Sequence[str],
        ready_path: Path,
        name: str = "dashboard process",
        first_line: bytes = b"",
        keep_fds: Sequence[int] = (),
    ) -> None:
        """``first_line``: written to its input at each start (:func:`session_line`);
        ``keep_fds``: descriptors it inherits (the listening socket)."""
        self.name = name
        self._command = list(command)
        self._ready_path = ready_path
        self._first_line = first_line
        self._keep_fds = tuple(keep_fds)
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._started_at = 0.0
        self._exit_seen_at: float | None = None
        self._stopping = False
        self._restarts = 0
        self._quick_exits = 0
        self._last_exit: str | None = None
        self._exited_at: float | None = None

    def start(self) -> None:
        self._ready_path.unlink(missing_ok=True)
        with self._lock:
            self._stopping = False
            self._started_at = time.monotonic()
            self._exit_seen_at = None
            self._process = process = subprocess.Popen(
                self._command, stdin=subprocess.PIPE, start_new_session=True,
                pass_fds=self._keep_fds,
            )  # fmt: skip
        if self._first_line and process.stdin is not None:
            try:
                process.stdin.write(self._first_line)
                process.stdin.flush()
            except OSError:  # it died already: the supervisor sees it exited
                pass

    def wait_ready(self, timeout_s: float) -> bool:
        """Wait until the child says it listens (it writes its process id to ``ready_path``);
        False when it exited or ``timeout_s`` passed first."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            process = self._process
        while process is not None and process.poll() is None and time.monotonic() < deadline:
            try:
                if self._ready_path.read_text().strip() == str(process.pid):
                    return True
            except OSError:
                pass
            time.sleep(READY_POLL_S)
        return False

    @property
    def dead(self) -> bool:
        """Exited while it should run, and its pause before the next start is over."""
        with self._lock:
            process = self._process
            if self._stopping or process is None or process.poll() is None:
                return False
            now = time.monotonic()
            if self._exit_seen_at is None:
                self._exit_seen_at = now
            return now - self._exit_seen_at >= self._pause_s()

    def restart(self) -> None:
        with self._lock:
            process = self._process
            code = process.returncode if process is not None else None
            lived_s = time.monotonic() - self._started_at
            self._quick_exits = self._quick_exits + 1 if lived_s < QUICK_EXIT_S else 0
            self._restarts += 1
            self._last_exit = _exit_text(code)
            self._exited_at = time.monotonic()
        log.warning("the %s %s; starting it again", self.name, self._last_exit)
        self.start()

    def health(self) -> ThreadHealth:
        with self._lock:
            alive = self._process is not None and self._process.poll() is None
            return ThreadHealth(self.name, alive, self._restarts, self._last_exit, self._exited_at)

    @property
    def pid(self) -> int | None:
        with self._lock:
            return None if self._process is None else self._process.pid

    def begin_stop(self) -> None:
        """Close its input: it ends its responses and exits (and is not started again)."""
        with self._lock:
            self._stopping = True
            process = self._process
        if process is not None and process.stdin is not None:
            with contextlib.suppress(OSError):  # the pipe broke: it is gone already
                process.stdin.close()

    def stop(self) -> None:
        """:meth:`begin_stop`, then wait, terminate or kill it."""
        self.begin_stop()
        with self._lock:
            process = self._process
        if process is None:
            return
        for end in (None, process.terminate, process.kill):
            if end is not None:
                end()
            try:
                process.wait(STOP_S)
                return
            except subprocess.TimeoutExpired:
                continue

    def _pause_s(self) -> float:
        """How long an exited child waits for its next start: none at first, then 1 s, 2 s,
        4 s ... while it keeps exiting within :data:`QUICK_EXIT_S` of its start."""
        if self._quick_exits == 0:
            return 0.0
        return min(MAX_PAUSE_S, 2.0 ** (self._quick_exits - 1))


class DashboardWorkers:
    """``workers`` dashboard processes (``stairwatch serve --config FILE --child``) accepting
    on one socket bound to ``host:port`` here (``port`` 0: a free one), with one session
    secret (``secret``, else a new one): ``start()``, ``wait_ready()``, ``stop()``, and
    :attr:`children` for the supervisor. Raises OSError when the port cannot be bound."""

    def __init__(self, config: Path, log_level: str, host: str, port: int, workers: int,
                 run_dir: RunDir, secret: str | None) -> None:  # fmt: skip
        self._socket = listening_socket(host, port)
        fd, line = self._socket.fileno(), session_line(secret)
        self.children = [
            DashboardChild(
                child_command(config, log_level, i, fd),
                run_dir.ready_path_of(i),
                f"dashboard process {i}",
                line,
                (fd,),
            )
            for i in range(1, workers + 1)
        ]

    @property
    def port(self) -> int:
        return int(self._socket.getsockname()[1])

    def start(self) -> None:
        for child in self.children:
            child.start()

    def wait_ready(self, timeout_s: float) -> bool:
        """Whether all listen within ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        return all([c.wait_ready(max(0.0, deadline - time.monotonic())) for c in self.children])

    def stop(self) -> None:
        for child in self.children:  # all end their responses at once
            child.begin_stop()
        for child in self.children:
            child.stop()
        self._socket.close()


def _exit_text(code: int | None) -> str:
    if code is None:
        return "was never started"
    if code < 0:
        return f"was killed by signal {-code}"
    return f"exited with code {code}"
