"""The calling thread's CPU priority (Linux: a thread's nice value is its own, and threads it
starts inherit it)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

READER_NICENESS = 5
"""How much nicer than the rest of the service camera readers run: when the cores are short,
the scheduler gives them to inference first, and the decode plans shrink the readers' work to
what inference can use (measured: stairwatch bench, README "How many cameras one box serves")."""


def lower_thread_priority(steps: int = READER_NICENESS) -> None:
    """Make the calling thread ``steps`` nicer (lower priority)."""
    _renice(lambda now: now + steps)


def thread_niceness_at_least(level: int) -> None:
    """Make the calling thread at least as nice as ``level`` (never less nice than it is)."""
    _renice(lambda now: max(now, level))


def _renice(nicer: Callable[[int], int]) -> None:
    """Set the calling thread's nice value to ``nicer(its nice value now)``; where the system
    cannot, it runs at its priority (logged at debug level, nothing else changes)."""
    try:
        tid = threading.get_native_id()
        now = os.getpriority(os.PRIO_PROCESS, tid)
        wanted = nicer(now)
        if wanted != now:
            os.setpriority(os.PRIO_PROCESS, tid, wanted)
    except (AttributeError, OSError) as exc:  # no setpriority (Windows), or not allowed
        log.debug("thread priority unchanged: %s", exc)
