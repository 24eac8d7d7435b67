"""Where things can go in a rendered scene: ground band with perspective scale, windows, outlets."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from lab.synth.shapes import Color, Facing


@dataclass(frozen=True)
class GroundBand:
    """Image rows ``y_far``..``y_near`` where objects can stand, seen by a level pinhole camera
    (``horizon_y`` px, focal ``focal_px``, ``cam_height_m`` above the floor). Walkable x at a row is
    interpolated between ``x_far`` and ``x_near`` (left, right). ``top_down``: a ceiling camera
    looking straight down at a floor ``top_down_px_per_m`` px per metre, centred on the image."""

    y_far: float
    y_near: float
    x_far: tuple[float, float]
    x_near: tuple[float, float]
    horizon_y: float
    focal_px: float
    cam_height_m: float
    top_down_px_per_m: float | None = None
    center_xy: tuple[float, float] = (0.0, 0.0)

    def x_range(self, y: float) -> tuple[float, float]:
        t = min(1.2, max(0.0, (y - self.y_far) / max(1.0, self.y_near - self.y_far)))
        return (
            self.x_far[0] + t * (self.x_near[0] - self.x_far[0]),
            self.x_far[1] + t * (self.x_near[1] - self.x_far[1]),
        )

    def px_per_m(self, y: float) -> float:
        """Pixels per metre for an object standing at row ``y``."""
        if self.top_down_px_per_m is not None:
            return self.top_down_px_per_m
        return max(1.0, (y - self.horizon_y) / self.cam_height_m)

    def facing(self, x: float, y: float, yaw_deg: float) -> Facing:
        """How an object standing at pixel (x, y) with ``yaw_deg`` is seen from this camera."""
        if self.top_down_px_per_m is not None:
            dx, dy = x - self.center_xy[0], y - self.center_xy[1]
            dist = math.hypot(dx, dy)
            pitch = 90 - math.degrees(math.atan2(dist, self.cam_height_m * self.top_down_px_per_m))
            roll = math.degrees(math.atan2(dx, -dy)) if dist > 1 else 0.0
            return Facing(yaw_deg, pitch, roll)
        return Facing(yaw_deg, math.degrees(math.atan2(y - self.horizon_y, self.focal_px)))


@dataclass(frozen=True)
class Stroke:
    """A foreground line (railing bar, door frame) drawn over objects: pixels, BGR."""

    p0: tuple[float, float]
    p1: tuple[float, float]
    thickness: int
    color: Color


@dataclass(frozen=True)
class SceneLayout:
    kind: str
    ground: GroundBand
    windows: tuple[tuple[float, float, float, float], ...] = ()
    """Facade windows (x0, y0, x1, y1) px: flying wires hang from their sills."""
    outlets: tuple[tuple[float, float], ...] = ()
    """Wall sockets / high points (px) where a charging cable can start."""
    foreground: tuple[Stroke, ...] = field(default=())


def draw_foreground(image: np.ndarray, layout: SceneLayout) -> None:
    """Draw the scene's occluders (railings, frames) over whatever objects were placed."""
    for s in layout.foreground:
        p0 = (round(s.p0[0]), round(s.p0[1]))
        p1 = (round(s.p1[0]), round(s.p1[1]))
        cv2.line(image, p0, p1, s.color, s.thickness, cv2.LINE_AA)
