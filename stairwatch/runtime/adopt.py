"""Events a camera's previous node left open, carried on by the node that takes the camera over.

When a node takes a camera's lease, it reads the camera's unended events from the store. Its
rules start afresh; an event they raise of the same type and zone within that type's quiet
window (the time the rule needs to raise it, plus a start-up margin) is the same stay seen
again: it continues the stored event (its updates and its end go there) and is not stored or
alerted a second time. A stored event not found again in time is ended, with the audit note
``not seen again after the camera moved``. Each stored event continues at most one new one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from alerts.events import EventRecord, EventType
from alerts.stored import StoredEvent

NOT_SEEN_AGAIN = "not seen again after the camera moved"


@dataclass(frozen=True)
class Adopted:
    """A stored open event, continued by a new one like it before ``until`` (monotonic)."""

    event_id: str
    type: EventType
    zone: str | None
    until: float


class Adoptions:
    """One camera's adopted events, consumed by :meth:`claim` or :meth:`expired`. Thread-safe."""

    def __init__(self, events: list[StoredEvent], windows: dict[EventType, float], now: float):
        """``windows``: per type, seconds after ``now`` (monotonic) a new event may continue
        a stored one."""
        self._adopted = [
            Adopted(e.id, e.type, e.zone, now + windows.get(e.type, 0.0)) for e in events
        ]
        self._lock = threading.Lock()

    def claim(self, event: EventRecord, now: float) -> str | None:
        """The stored event ``event`` (just raised) continues, if any; it is then used up."""
        with self._lock:
            for i, adopted in enumerate(self._adopted):
                if (adopted.type, adopted.zone) == (event.type, event.zone) and now < adopted.until:
                    del self._adopted[i]
                    return adopted.event_id
            return None

    def expired(self, now: float) -> list[Adopted]:
        """The stored events whose window passed with no new event like them (to be ended)."""
        with self._lock:
            gone = [a for a in self._adopted if now >= a.until]
            self._adopted = [a for a in self._adopted if now < a.until]
            return gone
