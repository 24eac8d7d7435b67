"""Reconnect delays: exponential backoff with jitter, as a pure function."""

from __future__ import annotations

import random


def next_backoff(
    attempt: int, rng: random.Random, base_s: float = 0.5, cap_s: float = 30.0
) -> float:
    """Seconds to wait before reconnect attempt ``attempt`` (0 = first retry).

    The ceiling doubles per attempt from ``base_s`` up to ``cap_s``; the delay is drawn uniformly
    from [ceiling / 2, ceiling] ("equal jitter"), so cameras that drop together (a switch reboot)
    do not all reconnect in the same instant, yet every wait is at least half the ceiling.
    """
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, got {attempt}")
    ceiling = min(cap_s, base_s * 2.0 ** min(attempt, 62))
    return ceiling / 2.0 + rng.uniform(0.0, ceiling / 2.0)
