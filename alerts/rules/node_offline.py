"""node_offline: a fleet's node not heard from for ``offline_after_s`` -> high; ENDED when it
beats again. One event per outage. Pure and stateless between looks: the open outages are
read from the store, so the look can move to any node (one at a time, under a lease) without
raising a second event for the same outage. Times are Unix seconds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from alerts.events import EventRecord, EventType, Severity
from alerts.rules.lifecycle import event_key

NODE_PREFIX = "node:"  # camera ids never hold ':' (config pattern), so no camera is mistaken


def node_subject(node_id: str) -> str:
    """The ``camera_id`` a node's outage events are stored under."""
    return NODE_PREFIX + node_id


@dataclass(frozen=True)
class NodeSeen:
    """A registered node and its last heartbeat (Unix seconds)."""

    node_id: str
    heartbeat_at: float


@dataclass(frozen=True)
class NodeLook:
    """What one look decided: outages to raise, and stored outage events (ids) to end."""

    raise_: list[EventRecord] = field(default_factory=list)
    end: list[str] = field(default_factory=list)


def look(
    nodes: Sequence[NodeSeen],
    open_outages: Mapping[str, str],
    now: float,
    offline_after_s: float,
) -> NodeLook:
    """``open_outages``: node id -> its unended node_offline event id."""
    decided = NodeLook()
    for node in nodes:
        silent_s = now - node.heartbeat_at
        outage = open_outages.get(node.node_id)
        if silent_s < offline_after_s:
            if outage is not None:
                decided.end.append(outage)
        elif outage is None:
            decided.raise_.append(_outage(node, now))
    return decided


def _outage(node: NodeSeen, now: float) -> EventRecord:
    subject = node_subject(node.node_id)
    return EventRecord(
        key=event_key(subject, EventType.NODE_OFFLINE, None, int(node.heartbeat_at)),
        camera_id=subject,
        zone=None,
        type=EventType.NODE_OFFLINE,
        severity=Severity.HIGH,
        track_id=None,
        confidence=1.0,
        start_ts=node.heartbeat_at,
        alert_ts=now,
    )
