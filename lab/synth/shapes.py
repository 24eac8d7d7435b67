"""Tiny 3-D primitive renderer: objects are lists of primitives in metres, drawn orthographically.

Object coordinates: x toward the object's front, y up, z toward the object's left; the origin is
the ground point under the object's centre. A :class:`Facing` turns the object (yaw) and tilts the
camera (pitch: 0 = level, 90 = straight down); primitives are painted far to near.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

Color = tuple[int, int, int]
"""BGR, 0-255."""


def scaled(color: Color, k: float) -> Color:
    """``color`` times ``k``, clipped to 0-255."""
    return (min(255, int(color[0] * k)), min(255, int(color[1] * k)), min(255, int(color[2] * k)))


_LIGHT = np.array([0.35, 0.8, 0.5]) / np.linalg.norm([0.35, 0.8, 0.5])


@dataclass(frozen=True)
class Facing:
    """How the camera sees an object.

    ``yaw_deg``: 0 = side view, front to the image right; -90 = front toward the camera;
    90 = back toward the camera. ``pitch_deg``: camera elevation, 0 level, 90 top-down.
    ``roll_deg``: rotates the drawing about the anchor (top-down cameras: tall things lean
    away from the image centre).
    """

    yaw_deg: float
    pitch_deg: float = 10.0
    roll_deg: float = 0.0


@dataclass(frozen=True)
class Tube:
    """A cylinder with round caps from ``p0`` to ``p1`` (metres), ``radius`` in metres."""

    p0: tuple[float, float, float]
    p1: tuple[float, float, float]
    radius: float
    color: Color


@dataclass(frozen=True)
class Ball:
    center: tuple[float, float, float]
    radius: float
    color: Color


@dataclass(frozen=True)
class Prism:
    """A polygon ``profile`` (K, 2) in the x-y plane, extruded from ``z0`` to ``z1`` (metres)."""

    profile: tuple[tuple[float, float], ...]
    z0: float
    z1: float
    color: Color


@dataclass(frozen=True)
class Wheel:
    """A wheel in the x-y plane: ``solid`` (scooter disc wheel) or spoked (bicycle, see-through)."""

    center: tuple[float, float, float]
    radius: float
    half_width: float
    tire: Color
    rim: Color
    solid: bool = True


Primitive = Tube | Ball | Prism | Wheel


@dataclass(frozen=True)
class Model:
    """A drawable object: primitives in metres and its nominal height (metres)."""

    parts: tuple[Primitive, ...]
    height_m: float
    footprint_m: tuple[float, float] = (0.3, 0.3)
    """Half length (x) and half width (z) of the ground shadow, metres."""
    offset_m: tuple[float, float] = (0.0, 0.0)
    """Shadow centre (x, z), moved along by :meth:`translated`."""

    def translated(self, dx: float, dy: float, dz: float) -> Model:
        parts = tuple(_translate(p, (dx, dy, dz)) for p in self.parts)
        offset = (self.offset_m[0] + dx, self.offset_m[1] + dz)
        return Model(parts, self.height_m, self.footprint_m, offset)


@dataclass(frozen=True)
class ObjectRender:
    """What was drawn: tight ``box`` (x0, y0, x1, y1) in pixels (not clipped to the image) and
    ``outline`` (N, 2) float32 pixel points on the silhouette, to re-box after lens distortion.
    ``plug_xy``: where a charging cable plugs in (e-bike battery), if the object has one."""

    box: tuple[float, float, float, float]
    outline: np.ndarray = field(repr=False)
    plug_xy: tuple[float, float] | None = None


def _translate(p: Primitive, d: tuple[float, float, float]) -> Primitive:
    def add(q: tuple[float, float, float]) -> tuple[float, float, float]:
        return (q[0] + d[0], q[1] + d[1], q[2] + d[2])

    if isinstance(p, Tube):
        return Tube(add(p.p0), add(p.p1), p.radius, p.color)
    if isinstance(p, Ball):
        return Ball(add(p.center), p.radius, p.color)
    if isinstance(p, Wheel):
        return Wheel(add(p.center), p.radius, p.half_width, p.tire, p.rim, p.solid)
    prof = tuple((x + d[0], y + d[1]) for x, y in p.profile)
    return Prism(prof, p.z0 + d[2], p.z1 + d[2], p.color)


@dataclass(frozen=True)
class Projector:
    """Object metres -> image pixels for one anchor, scale and facing."""

    anchor_xy: tuple[float, float]
    px_per_m: float
    facing: Facing

    def rotate(self, pts: np.ndarray) -> np.ndarray:
        """(N, 3) object points -> (N, 3) camera-aligned (X right, U screen-up, D toward camera)."""
        th, ph = math.radians(self.facing.yaw_deg), math.radians(self.facing.pitch_deg)
        x, y, z = pts[:, 0], pts[:, 1], pts[:, 2]
        wx = x * math.cos(th) + z * math.sin(th)
        wz = -x * math.sin(th) + z * math.cos(th)
        up = y * math.cos(ph) - wz * math.sin(ph)
        depth = wz * math.cos(ph) + y * math.sin(ph)
        return np.stack([wx, up, depth], axis=1)

    def rotate_normal(self, n: np.ndarray) -> np.ndarray:
        return self.rotate(n[None, :])[0]

    def to_pixels(self, cam: np.ndarray) -> np.ndarray:
        """Camera-aligned (N, 3) -> (N, 2) float pixels."""
        r = math.radians(self.facing.roll_deg)
        sx, sy = cam[:, 0], -cam[:, 1]
        rx = sx * math.cos(r) - sy * math.sin(r)
        ry = sx * math.sin(r) + sy * math.cos(r)
        return np.stack(
            [self.anchor_xy[0] + self.px_per_m * rx, self.anchor_xy[1] + self.px_per_m * ry], 1
        )

    def point(self, p: tuple[float, float, float]) -> tuple[float, float]:
        uv = self.to_pixels(self.rotate(np.array([p], float)))[0]
        return (float(uv[0]), float(uv[1]))


def _shade(color: Color, normal_cam: np.ndarray) -> Color:
    return scaled(color, 0.5 + 0.6 * max(0.0, float(normal_cam @ _LIGHT)))


def _circle_pts(center: tuple[float, float, float], radius: float, z: float, n: int) -> np.ndarray:
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack(
        [center[0] + radius * np.cos(a), center[1] + radius * np.sin(a), np.full(n, z)], 1
    )


def _poly(img: np.ndarray, pts: np.ndarray, color: Color) -> None:
    cv2.fillPoly(img, [np.round(pts * 16).astype(np.int32)], color, cv2.LINE_AA, shift=4)


def _draw_prism(img: np.ndarray, p: Prism, proj: Projector) -> np.ndarray:
    prof = np.asarray(p.profile, float)
    k = len(prof)
    back = np.column_stack([prof, np.full(k, p.z0)])
    front = np.column_stack([prof, np.full(k, p.z1)])
    cb, cf = proj.rotate(back), proj.rotate(front)
    pb, pf = proj.to_pixels(cb), proj.to_pixels(cf)
    area = 0.5 * float(
        np.sum(prof[:, 0] * np.roll(prof[:, 1], -1) - np.roll(prof[:, 0], -1) * prof[:, 1])
    )
    sign = 1.0 if area > 0 else -1.0
    for i in range(k):
        j = (i + 1) % k
        ex, ey = prof[j] - prof[i]
        n = proj.rotate_normal(np.array([ey * sign, -ex * sign, 0.0]))
        if n[2] > 1e-6:
            _poly(img, np.array([pb[i], pb[j], pf[j], pf[i]]), _shade(p.color, n))
    nz = proj.rotate_normal(np.array([0.0, 0.0, 1.0]))
    if abs(nz[2]) > 1e-6:
        _poly(img, pf if nz[2] > 0 else pb, _shade(p.color, nz if nz[2] > 0 else -nz))
    return np.vstack([pb, pf])


def _draw_wheel(img: np.ndarray, w: Wheel, proj: Projector) -> np.ndarray:
    n = 20
    a = _circle_pts(w.center, w.radius, w.center[2] - w.half_width, n)
    b = _circle_pts(w.center, w.radius, w.center[2] + w.half_width, n)
    ca, cb = proj.rotate(a), proj.rotate(b)
    near = b if cb[:, 2].mean() >= ca[:, 2].mean() else a
    pa, pb = proj.to_pixels(ca), proj.to_pixels(cb)
    both = np.vstack([pa, pb])
    zc = near[0, 2]
    tire_px = max(1, round(proj.px_per_m * w.radius * (0.28 if w.solid else 0.09)))
    if w.solid:
        hull = cv2.convexHull(both.astype(np.float32))[:, 0]
        _poly(img, hull, w.tire)
        rim = proj.to_pixels(proj.rotate(_circle_pts(w.center, w.radius * 0.62, zc, n)))
        _poly(img, rim, w.rim)
        hub_poly = proj.to_pixels(proj.rotate(_circle_pts(w.center, w.radius * 0.2, zc, 10)))
        _poly(img, hub_poly, _shade(w.rim, np.array([0.0, 0.0, 1.0])))
        return both
    pad = tire_px / 2 + 0.5
    both = np.vstack([both + o for o in ((pad, 0), (-pad, 0), (0, pad), (0, -pad))])
    for ring in (pa, pb):
        cv2.polylines(img, [np.round(ring).astype(np.int32)], True, w.tire, tire_px, cv2.LINE_AA)
    hub = proj.point((w.center[0], w.center[1], zc))
    for ang in np.linspace(0, np.pi, 6, endpoint=False):
        for s in (1, -1):
            e = (
                w.center[0] + s * w.radius * math.cos(ang),
                w.center[1] + s * w.radius * math.sin(ang),
                zc,
            )
            q = proj.point(e)
            cv2.line(img, _ipt(hub), _ipt(q), w.rim, 1, cv2.LINE_AA)
    return both


def _ipt(p: tuple[float, float] | np.ndarray) -> tuple[int, int]:
    return (round(p[0]), round(p[1]))


def _draw_tube(img: np.ndarray, t: Tube, proj: Projector) -> np.ndarray:
    uv = proj.to_pixels(proj.rotate(np.array([t.p0, t.p1], float)))
    r_px = t.radius * proj.px_per_m
    thick = max(1, round(2 * r_px))
    cv2.line(img, _ipt(tuple(uv[0])), _ipt(tuple(uv[1])), t.color, thick, cv2.LINE_AA)
    offs = np.array([[r_px, 0], [-r_px, 0], [0, r_px], [0, -r_px]])
    return np.vstack([uv[0] + offs, uv[1] + offs])


def _draw_ball(img: np.ndarray, b: Ball, proj: Projector) -> np.ndarray:
    c = proj.point(b.center)
    r_px = max(1.0, b.radius * proj.px_per_m)
    cv2.circle(img, _ipt(c), max(1, round(r_px)), b.color, -1, cv2.LINE_AA)
    return np.array(c) + np.array([[r_px, 0], [-r_px, 0], [0, r_px], [0, -r_px]])


def _depth(p: Primitive, proj: Projector) -> float:
    if isinstance(p, Tube):
        pts = np.array([p.p0, p.p1], float)
    elif isinstance(p, Wheel):
        # Wheels sit inside fenders and fairings: paint them before parts at the same depth.
        return float(proj.rotate(np.array([p.center], float))[0, 2]) - 0.8 * p.radius
    elif isinstance(p, Ball):
        pts = np.array([p.center], float)
    else:
        xy = np.asarray(p.profile, float).mean(0)
        pts = np.array([[xy[0], xy[1], (p.z0 + p.z1) / 2]])
    return float(proj.rotate(pts)[:, 2].mean())


def _draw(img: np.ndarray, p: Primitive, proj: Projector) -> np.ndarray:
    if isinstance(p, Tube):
        return _draw_tube(img, p, proj)
    if isinstance(p, Ball):
        return _draw_ball(img, p, proj)
    if isinstance(p, Wheel):
        return _draw_wheel(img, p, proj)
    return _draw_prism(img, p, proj)


def box_of(points: np.ndarray) -> tuple[float, float, float, float]:
    """(N, 2) points -> (x0, y0, x1, y1)."""
    lo, hi = points.min(0), points.max(0)
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def draw_shadow(image: np.ndarray, model: Model, proj: Projector, strength: float = 0.35) -> None:
    """Darken a soft ellipse on the ground under ``model`` (not part of its outline)."""
    a = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    (hx, hz), (ox, oz) = model.footprint_m, model.offset_m
    ground = np.stack([ox + hx * np.cos(a), np.zeros(16), oz + hz * np.sin(a)], 1)
    pts = proj.to_pixels(proj.rotate(ground))
    sigma = max(1.0, (float(np.ptp(pts[:, 1])) + 8) / 6)
    # Room for the blur to fade out, so the shadow has no rectangular edge.
    pad = 4 + int(np.ceil(3 * sigma))
    x0, y0 = np.floor(pts.min(0)).astype(int) - pad
    x1, y1 = np.ceil(pts.max(0)).astype(int) + pad
    h, w = image.shape[:2]
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if cx1 - cx0 < 2 or cy1 - cy0 < 2:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.float32)
    cv2.fillPoly(mask, [np.round(pts - (x0, y0)).astype(np.int32)], 1.0, cv2.LINE_AA)
    mask = np.asarray(
        cv2.GaussianBlur(mask, (0, 0), sigma, borderType=cv2.BORDER_CONSTANT), np.float32
    )[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
    roi = image[cy0:cy1, cx0:cx1]
    roi[:] = np.rint(roi * (1.0 - strength * mask[..., None])).astype(np.uint8)


def draw_model(
    image: np.ndarray,
    model: Model,
    anchor_xy: tuple[float, float],
    height_px: float,
    facing: Facing,
) -> ObjectRender:
    """Draw one model standing on ``anchor_xy`` (pixels), ``height_px`` tall."""
    (render,) = render_group(
        image, (model,), Projector(anchor_xy, height_px / model.height_m, facing)
    )
    return render


def render_group(
    image: np.ndarray, models: tuple[Model, ...], proj: Projector
) -> tuple[ObjectRender, ...]:
    """Draw several models sharing one frame (e.g. a person pushing a bike), far parts first.

    Returns one :class:`ObjectRender` per model (amodal: occluded parts still count).
    """
    for m in models:
        draw_shadow(image, m, proj)
    items = [(_depth(p, proj), k, p) for k, m in enumerate(models) for p in m.parts]
    items.sort(key=lambda it: it[0])
    outlines: list[list[np.ndarray]] = [[] for _ in models]
    for _, k, p in items:
        outlines[k].append(_draw(image, p, proj))
    renders = []
    for pts in outlines:
        allpts = np.vstack(pts).astype(np.float32)
        hull = cv2.convexHull(allpts)[:, 0]
        renders.append(ObjectRender(box_of(allpts), hull))
    return tuple(renders)


def pad_box(box: np.ndarray, side: float, w: int, h: int) -> np.ndarray:
    """An xyxy pixel box grown to at least ``side`` px each way about its centre, clipped to
    the ``w`` x ``h`` image."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    hw, hh = max(side, box[2] - box[0]) / 2, max(side, box[3] - box[1]) / 2
    return np.array([max(0, cx - hw), max(0, cy - hh), min(w, cx + hw), min(h, cy + hh)])
