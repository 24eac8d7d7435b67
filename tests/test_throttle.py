"""The shared "too soon to run again" check of per-frame steps (cable finder, tamper measure)."""

from __future__ import annotations

import pytest

from vision.throttle import too_soon


@pytest.mark.parametrize(
    ("last_ts", "ts", "every_s", "slack_s", "soon"),
    [
        (None, 5.0, 1.0, 0.01, False),  # never ran
        (5.0, 5.5, 1.0, 0.01, True),
        (5.0, 5.999, 1.0, 0.01, False),  # jitter within the slack
        (5.0, 5.96, 1.0, 0.05, False),
        (5.0, 5.96, 1.0, 0.01, True),
        (5.0, 6.0, 1.0, 0.0, False),
        (5.0, 0.5, 1.0, 0.01, False),  # the clock went backwards: run at once
        (5.0, 5.0, 0.0, 0.0, False),  # every frame
    ],
)
def test_too_soon(
    last_ts: float | None, ts: float, every_s: float, slack_s: float, soon: bool
) -> None:
    assert too_soon(last_ts, ts, every_s, slack_s) is soon
