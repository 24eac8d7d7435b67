"""The calling thread's CPU priority (Linux: a thread's nice value is its own)."""

from __future__ import annotations

import logging
import os
import threading

log = logging.getLogger(__name__)

READER_NICENESS = 5
"""How much nicer than the rest of the service camera readers run: when the cores are short,
the scheduler gives them to inference first, and the decode plans shrink the readers' work to
what inference can use (measured: stairwatch bench, README "How many cameras one box serves")."""


def lower_thread_priority(steps: int = READER_NICENESS) -> None:
    """Make the calling thread ``steps`` nicer (lower priority); where the system cannot, it
    runs at its priority (logged once at debug level, nothing else changes)."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + steps)
    except (AttributeError, OSError) as exc:  # no setpriority (Windows), or not allowed
        log.debug("thread priority unchanged: %s", exc)
