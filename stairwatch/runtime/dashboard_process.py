"""The dashboard as a child process of ``stairwatch run`` (``server.process: own``), so its
requests never wait for the interpreter lock the pipeline's threads hold.

The child is ``stairwatch serve --config FILE --child``: the configuration's path on its command
line, never a secret. It serves until its standard input closes, which the parent does on stop
(and the system does when the parent dies, however it dies). It runs in a session of its own,
so a Ctrl-C in the terminal reaches only the parent, which then stops it.

:class:`DashboardChild` fits the supervisor's :class:`Supervised`: a child that exited while
it should run is started again (after a pause that doubles while it keeps failing at once), and
its restarts show in the health report like a thread's.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from stairwatch.runtime.threads import ThreadHealth

log = logging.getLogger(__name__)

STOP_S = 5.0  # a stopping child gets this long to end its responses, then SIGTERM, then SIGKILL
QUICK_EXIT_S = 10.0  # a child that exits sooner than this after its start failed at once
MAX_PAUSE_S = 30.0
READY_POLL_S = 0.05


def child_command(config: Path, log_level: str) -> list[str]:
    """The child's command line: this interpreter, the configuration's path, the log level."""
    return [sys.executable, "-m", "stairwatch", "serve", "--config", str(config.resolve()),
            "--log-level", log_level, "--child"]  # fmt: skip


class DashboardChild:
    """One child process running ``command``; ``start()`` / ``stop()``, and :class:`Supervised`
    (``name``, ``dead``, ``restart()``, ``health()``) for the service's supervisor."""

    name = "dashboard process"

    def __init__(self, command: Sequence[str], ready_path: Path) -> None:
        self._command = list(command)
        self._ready_path = ready_path
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
            self._process = subprocess.Popen(
                self._command, stdin=subprocess.PIPE, start_new_session=True
            )

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
        log.warning("the dashboard process %s; starting it again", self._last_exit)
        self.start()

    def health(self) -> ThreadHealth:
        with self._lock:
            alive = self._process is not None and self._process.poll() is None
            return ThreadHealth(self.name, alive, self._restarts, self._last_exit, self._exited_at)

    def stop(self) -> None:
        """Close its input (it ends its responses and exits), then terminate or kill it."""
        with self._lock:
            self._stopping = True
            process = self._process
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
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


def _exit_text(code: int | None) -> str:
    if code is None:
        return "was never started"
    if code < 0:
        return f"was killed by signal {-code}"
    return f"exited with code {code}"
