"""Privacy: which parts of an evidence picture are pixelated before it is stored or sent.

Snapshots travel: into group chats, e-mail and the patrollers' phones. With
``privacy.redact_people`` a site pixelates the people the detector found in them: their heads
(``head``: the top :data:`HEAD_SHARE` of each person box, a little wider than the box) or their
whole bodies (``body``). The e-bike, the cable and the zone stay visible. Event clips are not
pixelated; they are shown only on the dashboard and the signed patroller pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from alerts.events import Box

HEAD_SHARE = 0.25  # of a standing person's box height
HEAD_WIDEN = 0.1  # of the box width on each side: heads turned sideways stick out


class PeopleRedaction(StrEnum):
    OFF = "off"
    HEAD = "head"
    BODY = "body"


def redaction_boxes(people: Iterable[Box], mode: PeopleRedaction) -> list[Box]:
    """The regions (normalized, clipped to the frame) to pixelate for these person boxes."""
    if mode is PeopleRedaction.OFF:
        return []
    regions = []
    for p in people:
        if mode is PeopleRedaction.BODY:
            region = p
        else:
            widen = HEAD_WIDEN * (p.x2 - p.x1)
            region = Box(p.x1 - widen, p.y1, p.x2 + widen, p.y1 + HEAD_SHARE * (p.y2 - p.y1))
        regions.append(
            Box(max(region.x1, 0.0), max(region.y1, 0.0), min(region.x2, 1.0), min(region.y2, 1.0))
        )
    return [r for r in regions if r.x2 > r.x1 and r.y2 > r.y1]
