"""When a per-frame step that need not run on every frame runs again. Pure function."""

from __future__ import annotations


def too_soon(last_ts: float | None, ts: float, every_s: float, slack_s: float) -> bool:
    """Whether ``ts`` comes less than ``every_s`` (less ``slack_s``: frame times jitter by a few
    milliseconds) after the step last ran at ``last_ts`` (steady seconds; None: never ran). A
    clock that went backwards, as when a clip loops, runs it at once."""
    return last_ts is not None and 0.0 <= ts - last_ts < every_s - slack_s
