"""Floor geometry and keyframed motion for synthetic clips.

:class:`GroundMap` turns a scene's :class:`~.layout.GroundBand` into floor metres: ``X`` across
(from the band's left edge), ``Z`` away from the camera (level cameras: depth; ceiling cameras:
image-up). :class:`Track` moves a point through timed keyframes at constant speed per leg.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lab.synth.layout import GroundBand
from lab.synth.shapes import Facing

_HEADING_WINDOW_S = 0.4  # headings are smoothed over +- this, so corners turn gradually
_EPS_M = 1e-6


@dataclass(frozen=True)
class GroundMap:
    """Band coordinates (u, v), undistorted pixels (x, y) and floor metres (X, Z) of one scene."""

    band: GroundBand

    @property
    def top_down(self) -> bool:
        return self.band.top_down_px_per_m is not None

    def _edges(self, y: float) -> tuple[float, float]:
        b = self.band
        t = (y - b.y_far) / max(1.0, b.y_near - b.y_far)
        return (
            b.x_far[0] + t * (b.x_near[0] - b.x_far[0]),
            b.x_far[1] + t * (b.x_near[1] - b.x_far[1]),
        )

    def px_per_m(self, y: float) -> float:
        b = self.band
        if b.top_down_px_per_m is not None:
            return b.top_down_px_per_m
        return max(1.0, (y - b.horizon_y) / b.cam_height_m)

    def pixel(self, u: float, v: float) -> tuple[float, float]:
        b = self.band
        y = b.y_far + v * (b.y_near - b.y_far)
        left, right = self._edges(y)
        return left + u * (right - left), y

    def world(self, x: float, y: float) -> tuple[float, float]:
        """Undistorted pixel -> floor metres (X, Z)."""
        k = self.px_per_m(y)
        b = self.band
        if b.top_down_px_per_m is not None:
            return (x - b.x_far[0]) / k, (b.y_near - y) / k
        return (x - self._edges(y)[0]) / k, b.focal_px / k

    def to_pixel(self, xz: tuple[float, float]) -> tuple[float, float]:
        """Floor metres -> undistorted pixel."""
        b = self.band
        if b.top_down_px_per_m is not None:
            k = b.top_down_px_per_m
            return b.x_far[0] + xz[0] * k, b.y_near - xz[1] * k
        k = b.focal_px / max(xz[1], _EPS_M)
        y = b.horizon_y + k * b.cam_height_m
        return self._edges(y)[0] + xz[0] * k, y

    def facing(self, x: float, y: float, yaw_deg: float) -> Facing:
        """How an object at pixel (x, y) heading ``yaw_deg`` in floor metres (0 = +X, 90 = +Z)
        is drawn; ceiling cameras roll the drawing, so the yaw is turned to compensate."""
        f = self.band.facing(x, y, yaw_deg)
        if self.top_down:
            return Facing(yaw_deg + f.roll_deg, f.pitch_deg, f.roll_deg)
        return f


@dataclass(frozen=True)
class Key:
    """A keyframe in floor metres."""

    t: float
    x: float
    z: float
    backwards: bool = False


@dataclass(frozen=True)
class Track:
    """Piecewise-linear motion through ``keys`` (sorted by time, at least one)."""

    keys: tuple[Key, ...]
    rest_yaw_deg: float = 0.0

    @property
    def t0(self) -> float:
        return self.keys[0].t

    @property
    def t1(self) -> float:
        return self.keys[-1].t

    def alive(self, t: float) -> bool:
        return self.t0 - 1e-9 <= t <= self.t1 + 1e-9

    def _leg(self, t: float) -> int:
        """Index k of the leg keys[k] -> keys[k + 1] holding ``t`` (clamped)."""
        k = int(np.searchsorted([key.t for key in self.keys], t, side="right")) - 1
        return min(max(k, 0), len(self.keys) - 2)

    def position(self, t: float) -> tuple[float, float]:
        if len(self.keys) == 1 or t <= self.t0:
            return self.keys[0].x, self.keys[0].z
        if t >= self.t1:
            return self.keys[-1].x, self.keys[-1].z
        a, b = self.keys[self._leg(t)], self.keys[self._leg(t) + 1]
        f = (t - a.t) / max(b.t - a.t, 1e-9)
        return a.x + f * (b.x - a.x), a.z + f * (b.z - a.z)

    def _leg_length(self, k: int) -> float:
        a, b = self.keys[k], self.keys[k + 1]
        return math.hypot(b.x - a.x, b.z - a.z)

    def moving(self, t: float) -> bool:
        if len(self.keys) == 1 or not (self.t0 <= t < self.t1):
            return False
        return self._leg_length(self._leg(t)) > _EPS_M

    def distance(self, t: float) -> float:
        """Metres travelled from the start to ``t``."""
        total = 0.0
        for k in range(len(self.keys) - 1):
            a, b = self.keys[k], self.keys[k + 1]
            if t >= b.t:
                total += self._leg_length(k)
            elif t > a.t:
                total += self._leg_length(k) * (t - a.t) / max(b.t - a.t, 1e-9)
        return total

    def _leg_yaw(self, k: int) -> float:
        a, b = self.keys[k], self.keys[k + 1]
        yaw = math.degrees(math.atan2(b.z - a.z, b.x - a.x))
        return yaw + 180.0 if b.backwards else yaw

    def yaw(self, t: float) -> float:
        """Heading in degrees (0 = +X, 90 = +Z): where it goes, smoothed at corners; at rest,
        where it last went (or will first go); ``rest_yaw_deg`` if it never moves."""
        if len(self.keys) == 1:
            return self.rest_yaw_deg
        k = self._leg(t)
        if self._leg_length(k) > _EPS_M and self.keys[k + 1].backwards:
            return self._leg_yaw(k)
        lo, hi = max(self.t0, t - _HEADING_WINDOW_S), min(self.t1, t + _HEADING_WINDOW_S)
        (x0, z0), (x1, z1) = self.position(lo), self.position(hi)
        if math.hypot(x1 - x0, z1 - z0) > 1e-3 and not self._backwards_near(lo, hi):
            return math.degrees(math.atan2(z1 - z0, x1 - x0))
        before = [j for j in range(k, -1, -1) if self._leg_length(j) > _EPS_M]
        after = [j for j in range(k, len(self.keys) - 1) if self._leg_length(j) > _EPS_M]
        if before and self.keys[before[0]].t <= t:
            return self._leg_yaw(before[0])
        if after:
            return self._leg_yaw(after[0])
        return self.rest_yaw_deg

    def _backwards_near(self, lo: float, hi: float) -> bool:
        return any(
            self.keys[k + 1].backwards and self.keys[k].t < hi and self.keys[k + 1].t > lo
            for k in range(len(self.keys) - 1)
        )

    def rests(self) -> list[tuple[float, float]]:
        """Maximal time intervals during which it stands still (merged legs of zero length)."""
        out: list[tuple[float, float]] = []
        for k in range(len(self.keys) - 1):
            if self._leg_length(k) > _EPS_M:
                continue
            a, b = self.keys[k].t, self.keys[k + 1].t
            if out and abs(out[-1][1] - a) < 1e-9:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
        return out
