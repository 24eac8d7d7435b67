"""Zones drawn by installers: polygons in normalized image coordinates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
from numpy.typing import NDArray

Polygon = Sequence[tuple[float, float]]
"""Vertices (x, y) normalized to [0, 1] of the frame width and height, x right and y down: the
one polygon type of zones, motion-ignore areas and privacy masks."""


class ZoneKind(StrEnum):
    """What a zone is for; the rules decide what each kind means."""

    NO_PARKING = "no_parking"
    ELEVATOR = "elevator"
    SHED = "shed"
    CABLE_WATCH = "cable_watch"
    EXIT = "exit"  # a fire exit or an aisle that must stay clear (sheds and stairwells alike)


@dataclass(frozen=True)
class Zone:
    """A named polygon.

    Attributes:
        name: unique within its camera.
        kind: what the zone is for.
        polygon: vertices (x, y) normalized to [0, 1] of the frame width and height,
            x right and y down; at least 3.
        spots: a ``shed``'s charging spots, each a named polygon of kind ``shed`` (their names
            unique within the shed); none for other kinds.
    """

    name: str
    kind: ZoneKind
    polygon: Polygon
    spots: tuple[Zone, ...] = ()

    def contains(self, points: NDArray[np.floating], width: int, height: int) -> NDArray[np.bool_]:
        """Which of the (N, 2) pixel points lie inside the zone (even-odd rule; edges count in)."""
        poly = np.asarray(self.polygon, np.float64) * np.array([width, height], np.float64)
        return points_in_polygon(np.asarray(points, np.float64), poly)

    def pixel_polygon(self, width: int, height: int) -> NDArray[np.int32]:
        """(K, 2) int32 vertices in pixels, for drawing."""
        poly = np.asarray(self.polygon, np.float64) * np.array([width, height], np.float64)
        return np.round(poly).astype(np.int32)


def points_in_polygon(
    points: NDArray[np.float64], polygon: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """Vectorised ray casting. ``points`` (N, 2), ``polygon`` (K, 2), same units."""
    if len(points) == 0:
        return np.zeros(0, bool)
    x = points[:, 0][:, None]
    y = points[:, 1][:, None]
    x1, y1 = polygon[:, 0][None, :], polygon[:, 1][None, :]
    x2, y2 = np.roll(polygon[:, 0], -1)[None, :], np.roll(polygon[:, 1], -1)[None, :]
    crosses = (y1 > y) != (y2 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at_y = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
    inside = (np.sum(crosses & (x < x_at_y), axis=1) % 2) == 1
    on_edge = _on_any_edge(x, y, x1, y1, x2, y2)
    return np.asarray(inside | on_edge)


def _on_any_edge(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    x1: NDArray[np.float64],
    y1: NDArray[np.float64],
    x2: NDArray[np.float64],
    y2: NDArray[np.float64],
) -> NDArray[np.bool_]:
    cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
    within = (
        (np.minimum(x1, x2) - 1e-9 <= x)
        & (x <= np.maximum(x1, x2) + 1e-9)
        & (np.minimum(y1, y2) - 1e-9 <= y)
        & (y <= np.maximum(y1, y2) + 1e-9)
    )
    return np.asarray(np.any((np.abs(cross) < 1e-9) & within, axis=1))


def keep_mask(width: int, height: int, polygons: Sequence[Polygon]) -> NDArray[np.uint8]:
    """(height, width) uint8: 0 inside any of the normalized ``polygons``, 255 elsewhere."""
    keep = np.full((height, width), 255, np.uint8)
    scale = np.array([width, height], np.float64)
    for polygon in polygons:
        pixels = np.round(np.asarray(polygon, np.float64) * scale).astype(np.int32)
        cv2.fillPoly(keep, [pixels], 0)
    return keep
