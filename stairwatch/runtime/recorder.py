"""The recorder thread: event changes reach the store off the inference path.

Snapshot encoding, the database write and message rendering (the outbox hook runs inside the
store's transaction) are slow and may block (a locked database, a full disk), so the inference
workers only :meth:`Recorder.submit` a job and go on detecting. One thread writes the jobs in the
order they were accepted, so each camera's changes reach the store in order.

A bounded queue: when it is full a job is refused and counted (``dropped``), never blocks the
caller. An accepted job is written: a store failure that may pass (database locked or down,
disk full) is retried with backoff for up to ``retry_for_s``; a refusal that cannot pass (the
event is gone, or already ended, or the camera's lease moved to another node) is counted as
``failed`` and logged. :meth:`Recorder.stop` writes what is still queued before it returns
(for up to ``flush_timeout_s``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from alerts.errors import EventNotFound, EventStateError, LeaseLost, SnapshotError, StoreError
from stairwatch.runtime.threads import GuardedThread
from streams.redact import redact_text

log = logging.getLogger(__name__)

RETRY_FIRST_S = 0.25
RETRY_CAP_S = 5.0


@dataclass(frozen=True, eq=False)
class RecordJob:
    """One write: ``write()`` stores one event change; ``what`` names it in logs."""

    write: Callable[[], None]
    what: str


@dataclass(frozen=True)
class RecorderStats:
    """The recorder's counters (jobs) and its current trouble.

    Attributes:
        queued: accepted jobs not written yet.
        accepted / dropped: jobs taken / refused because the queue was full.
        written / failed: jobs stored / given up (a refusal, or retried for ``retry_for_s``).
        retrying_s: seconds the job in hand has been retried, 0 when none is.
        last_error: the latest store error (credentials redacted), None before any.
    """

    queued: int
    accepted: int
    dropped: int
    written: int
    failed: int
    retrying_s: float
    last_error: str | None


class Recorder:
    """One thread writing :class:`RecordJob` s in order; ``start()``, ``submit()``, ``stop()``."""

    def __init__(
        self, capacity: int = 256, retry_for_s: float = 600.0, flush_timeout_s: float = 30.0
    ):
        if capacity < 1:
            raise ValueError(f"the recorder queue needs room for one job, got {capacity}")
        self._capacity = capacity
        self._retry_for_s = retry_for_s
        self._flush_timeout_s = flush_timeout_s
        self._jobs: deque[RecordJob] = deque()
        self._cond = threading.Condition()
        self._stopping = False
        self._flush_deadline = float("inf")
        self._accepted = self._dropped = self._written = self._failed = 0
        self._retrying_since: float | None = None
        self._last_error: str | None = None
        self._stop_requested = threading.Event()  # cuts a retry wait short
        self.thread = GuardedThread("recorder", self._run)

    def start(self) -> None:
        self.thread.start()

    def submit(self, job: RecordJob) -> bool:
        """Queue ``job``; False (counted as dropped) when the queue is full or stopped."""
        with self._cond:
            if self._stopping or len(self._jobs) >= self._capacity:
                self._dropped += 1
                log.error("recorder queue full: dropped %s", job.what)
                return False
            self._jobs.append(job)
            self._accepted += 1
            self._cond.notify_all()
            return True

    def stop(self) -> None:
        """Write what is queued (for up to ``flush_timeout_s``), then end the thread."""
        with self._cond:
            self._stopping = True
            self._flush_deadline = time.monotonic() + self._flush_timeout_s
            self._cond.notify_all()
        self._stop_requested.set()
        self.thread.join(self._flush_timeout_s + RETRY_CAP_S)
        with self._cond:
            if self._jobs:
                log.error("recorder stopped with %d change(s) not written", len(self._jobs))

    def stats(self) -> RecorderStats:
        with self._cond:
            since = self._retrying_since
            return RecorderStats(
                queued=len(self._jobs),
                accepted=self._accepted,
                dropped=self._dropped,
                written=self._written,
                failed=self._failed,
                retrying_s=0.0 if since is None else round(time.monotonic() - since, 1),
                last_error=self._last_error,
            )

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._jobs and not self._stopping:
                    self._cond.wait()
                if not self._jobs:
                    return
                job = self._jobs[0]
            written = self._write(job)
            with self._cond:
                self._jobs.popleft()
                self._written += int(written)
                self._failed += int(not written)
                self._retrying_since = None

    def _write(self, job: RecordJob) -> bool:
        """Write ``job``, retrying store errors that may pass; True once it is stored."""
        started, delay = time.monotonic(), RETRY_FIRST_S
        while True:
            try:
                job.write()
                return True
            except (EventNotFound, EventStateError, LeaseLost, SnapshotError) as exc:
                log.error("recorder: %s refused: %s", job.what, exc)
                self._trouble(str(exc), None)
                return False
            except (StoreError, OSError) as exc:
                self._trouble(str(exc), started)
                if not self._may_retry(started):
                    log.error("recorder: gave up on %s: %s", job.what, exc)
                    return False
                log.warning("recorder: %s not stored yet (%s), retrying", job.what, exc)
            except Exception as exc:  # a bug in one write must not stop the others
                log.exception("recorder: %s failed", job.what)
                self._trouble(f"{type(exc).__name__}: {exc}", None)
                return False
            self._stop_requested.wait(delay)
            delay = min(RETRY_CAP_S, delay * 2)

    def _may_retry(self, started: float) -> bool:
        now = time.monotonic()
        with self._cond:
            past_flush = self._stopping and now >= self._flush_deadline
        return now - started < self._retry_for_s and not past_flush

    def _trouble(self, message: str, retrying_since: float | None) -> None:
        with self._cond:
            self._last_error = redact_text(message)
            self._retrying_since = retrying_since


def write_at_once(job: RecordJob) -> bool:
    """Run ``job`` on the calling thread (for callers without a recorder: tests, tools)."""
    job.write()
    return True
