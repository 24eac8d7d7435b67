"""Small annotated JPEGs of false alarms and misses, for the report."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
from numpy.typing import NDArray

from alerts.events import Box, EventType
from vision.zones import Zone

THUMB_WIDTH = 360
_RED = (40, 40, 220)
_ORANGE = (0, 150, 255)


class Outcome(StrEnum):
    FALSE_ALARM = "false_alarm"
    MISS = "miss"


@dataclass(frozen=True)
class Thumbnail:
    """One annotated frame. ``jpeg``: encoded bytes, ``THUMB_WIDTH`` pixels wide."""

    clip: str
    outcome: Outcome
    type: EventType
    zone: str | None
    t: float
    jpeg: bytes


def annotate(image: NDArray[np.uint8], box: Box | None, zone: Zone | None) -> NDArray[np.uint8]:
    """A scaled-down copy of ``image`` (H, W, 3 BGR) with the zone outline and the event box."""
    h, w = image.shape[:2]
    scale = THUMB_WIDTH / w
    out = cv2.resize(image, (THUMB_WIDTH, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    oh, ow = out.shape[:2]
    if zone is not None:
        cv2.polylines(out, [zone.pixel_polygon(ow, oh)], isClosed=True, color=_ORANGE, thickness=2)
    if box is not None:
        p1 = (round(box.x1 * ow), round(box.y1 * oh))
        p2 = (round(box.x2 * ow), round(box.y2 * oh))
        cv2.rectangle(out, p1, p2, _RED, 2)
    return np.asarray(out, np.uint8)


def encode_jpeg(image: NDArray[np.uint8]) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(buf.tobytes())
