"""Supervised threads: every long-lived thread of the service is a :class:`GuardedThread` (or,
for threads owned by a package, such as a live camera's stream readers, something else that
fits :class:`Supervised`), and one :class:`Supervisor` thread restarts any that died of an
exception.

A guarded thread whose target returns has finished (a file camera at its end, a stop): it is
not restarted. One whose target raised is dead: the supervisor starts it again (the same target,
a new thread) at once, counts the restart and keeps the error for the health report.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from streams.redact import redact_text

log = logging.getLogger(__name__)

SUPERVISE_PERIOD_S = 1.0


@dataclass(frozen=True)
class ThreadHealth:
    """One guarded thread: alive now, restarts so far, the error that last killed it and when
    (``time.monotonic()``)."""

    name: str
    alive: bool
    restarts: int
    last_crash: str | None
    crashed_at: float | None


class Supervised(Protocol):
    """A thread the supervisor can check and restart."""

    @property
    def name(self) -> str: ...

    @property
    def dead(self) -> bool: ...

    def restart(self) -> None: ...

    def health(self) -> ThreadHealth: ...


class GuardedThread:
    """A daemon thread running ``target`` that remembers whether it died of an exception."""

    def __init__(self, name: str, target: Callable[[], None]):
        self.name = name
        self._target = target
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._crashed = False
        self._restarts = 0
        self._last_crash: str | None = None
        self._crashed_at: float | None = None

    def start(self) -> None:
        with self._lock:
            self._crashed = False
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def join(self, timeout_s: float | None = None) -> None:
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)

    @property
    def dead(self) -> bool:
        """Ended by an exception (and not restarted since)."""
        with self._lock:
            thread = self._thread
            return self._crashed and thread is not None and not thread.is_alive()

    def restart(self) -> None:
        with self._lock:
            self._restarts += 1
        self.start()

    def health(self) -> ThreadHealth:
        with self._lock:
            thread = self._thread
            alive = thread is not None and thread.is_alive()
            return ThreadHealth(
                self.name, alive, self._restarts, self._last_crash, self._crashed_at
            )

    def _run(self) -> None:
        try:
            self._target()
        except BaseException as exc:
            log.exception("thread %s died", self.name)
            with self._lock:
                self._crashed = True
                self._crashed_at = time.monotonic()
                self._last_crash = redact_text(f"{type(exc).__name__}: {exc}")


class Supervisor:
    """Restarts dead :class:`GuardedThread` s every ``period_s``; ``start()`` / ``stop()``."""

    def __init__(
        self,
        threads: Callable[[], Sequence[Supervised]],
        period_s: float = SUPERVISE_PERIOD_S,
        on_pass: Callable[[float], None] | None = None,
    ):
        self._threads = threads
        self._period_s = period_s
        self._on_pass = on_pass
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5.0)

    def check(self) -> int:
        """One pass: restart the dead threads; returns how many were restarted."""
        restarted = 0
        for thread in self._threads():
            if thread.dead and not self._stop.is_set():
                log.error("restarting thread %s", thread.name)
                thread.restart()
                restarted += 1
        return restarted

    def _run(self) -> None:
        while not self._stop.wait(self._period_s):
            try:
                self.check()
                if self._on_pass is not None:
                    self._on_pass(time.monotonic())
            except Exception:  # the supervisor itself must keep going
                log.exception("supervisor pass failed")
