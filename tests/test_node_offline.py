"""The node_offline rule: one event per outage of a fleet's node, ended when it beats again,
and never a second one while the first is open (wherever the look runs)."""

from __future__ import annotations

import pytest

from alerts.events import EventType
from alerts.rules.node_offline import NodeSeen, look, node_subject

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("silent_s", "open_outage", "raised", "ended"),
    [
        (5.0, None, False, []),  # heard from lately
        (31.0, None, True, []),  # silent past the threshold: raised
        (31.0, "ev-1", False, []),  # already open (maybe raised by another node): nothing
        (2.0, "ev-1", False, ["ev-1"]),  # beats again: the outage ends
    ],
)
def test_one_event_per_outage(
    silent_s: float, open_outage: str | None, raised: bool, ended: list[str]
) -> None:
    outages = {} if open_outage is None else {"n1": open_outage}
    decided = look([NodeSeen("n1", NOW - silent_s)], outages, NOW, 30.0)
    assert [r.camera_id for r in decided.raise_] == ([node_subject("n1")] if raised else [])
    assert decided.end == ended
    for record in decided.raise_:
        assert (record.type, record.start_ts, record.alert_ts) == (
            EventType.NODE_OFFLINE,
            NOW - silent_s,
            NOW,
        )
