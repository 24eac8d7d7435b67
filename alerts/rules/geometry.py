"""Box and zone geometry for the rules, in normalized frame coordinates (x right, y down)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from alerts.events import Box
from alerts.params import Anchor
from vision.detections import Detections
from vision.zones import Zone, points_in_polygon

_GRID = np.array([0.0, 0.5, 1.0])


def normalized_boxes(detections: Detections, width: int, height: int) -> list[Box]:
    """Each row's pixel box as a :class:`Box` normalized to the frame, clipped to [0, 1]."""
    scale = np.array([width, height, width, height], np.float64)
    xyxy = np.clip(detections.xyxy.astype(np.float64) / scale, 0.0, 1.0)
    return [Box(*(float(v) for v in row)) for row in xyxy]


def box_height_px(box: Box, height: int) -> float:
    return max((box.y2 - box.y1) * height, 1.0)


def box_width_px(box: Box, width: int) -> float:
    return max((box.x2 - box.x1) * width, 1.0)


def box_area(box: Box) -> float:
    return max(box.x2 - box.x1, 0.0) * max(box.y2 - box.y1, 0.0)


def box_centre(box: Box) -> tuple[float, float]:
    return (box.x1 + box.x2) / 2, (box.y1 + box.y2) / 2


def iou(a: Box, b: Box) -> float:
    inter = box_area(Box(max(a.x1, b.x1), max(a.y1, b.y1), min(a.x2, b.x2), min(a.y2, b.y2)))
    union = box_area(a) + box_area(b) - inter
    return inter / union if union > 0 else 0.0


def overlap_of(a: Box, b: Box) -> float:
    """Share of ``a``'s area that ``b`` covers."""
    inter = box_area(Box(max(a.x1, b.x1), max(a.y1, b.y1), min(a.x2, b.x2), min(a.y2, b.y2)))
    area = box_area(a)
    return inter / area if area > 0 else 0.0


def touches(a: Box, b: Box) -> bool:
    """Whether the boxes overlap or share an edge."""
    return a.x1 <= b.x2 and b.x1 <= a.x2 and a.y1 <= b.y2 and b.y1 <= a.y2


def expanded(box: Box, dx: float, dy: float) -> Box:
    return Box(box.x1 - dx, box.y1 - dy, box.x2 + dx, box.y2 + dy)


def centre_distance_px(a: Box, b: Box, width: int, height: int) -> float:
    (ax, ay), (bx, by) = box_centre(a), box_centre(b)
    return float(np.hypot((ax - bx) * width, (ay - by) * height))


def anchor_points(box: Box, anchor: Anchor) -> NDArray[np.float64]:
    """(K, 2) normalized points of the box that stand for the object's place."""
    if anchor is Anchor.BOTTOM_CENTER:
        return np.array([[(box.x1 + box.x2) / 2, box.y2]])
    if anchor is Anchor.CENTER:
        return np.array([list(box_centre(box))])
    xs = box.x1 + _GRID * (box.x2 - box.x1)
    ys = box.y1 + _GRID * (box.y2 - box.y1)
    return np.array([[x, y] for y in ys for x in xs])


def zone_depth_px(zone: Zone, points: NDArray[np.float64], width: int, height: int) -> float:
    """How deep the deepest of the normalized ``points`` lies inside the zone, in pixels:
    positive inside, negative outside (minus the distance to the edge), 0 on the edge."""
    scale = np.array([width, height], np.float64)
    px = points * scale
    poly = np.asarray(zone.polygon, np.float64) * scale
    inside = points_in_polygon(px, poly)
    dist = _distance_to_edges(px, poly)
    return float(np.max(np.where(inside, dist, -dist)))


def zone_area(zone: Zone) -> float:
    """Normalized area of the zone's polygon (shoelace)."""
    p = np.asarray(zone.polygon, np.float64)
    x, y = p[:, 0], p[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def _distance_to_edges(
    points: NDArray[np.float64], poly: NDArray[np.float64]
) -> NDArray[np.float64]:
    a = poly[None, :, :]
    b = np.roll(poly, -1, axis=0)[None, :, :]
    p = points[:, None, :]
    ab = b - a
    length2 = np.maximum(np.sum(ab * ab, axis=2), 1e-12)
    t = np.clip(np.sum((p - a) * ab, axis=2) / length2, 0.0, 1.0)
    nearest = a + t[..., None] * ab
    return np.asarray(np.min(np.linalg.norm(p - nearest, axis=2), axis=1))
