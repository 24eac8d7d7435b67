"""Indoor backgrounds: corridor, stairwell, elevator car (front view and ceiling top-down)."""

from __future__ import annotations

import numpy as np

from lab.synth.layout import GroundBand, SceneLayout, Stroke
from lab.synth.rooms import Pinhole, brushed, door, fill, floor_tiles, grime, line, side_wall
from lab.synth.shapes import Color, scaled
from lab.synth.specs import jitter, pick

_UPPER: tuple[Color, ...] = ((225, 228, 230), (200, 210, 215), (185, 200, 210), (215, 215, 205))
_LOWER: tuple[Color, ...] = (
    (150, 170, 110),
    (160, 150, 100),
    (200, 210, 215),
    (110, 140, 160),
    (120, 120, 120),
)
_FLOOR: tuple[Color, ...] = (
    (150, 150, 150),
    (120, 130, 140),
    (170, 175, 180),
    (100, 110, 120),
    (140, 160, 170),
)
_DOORS: tuple[Color, ...] = (
    (40, 40, 110),
    (40, 60, 90),
    (90, 90, 90),
    (60, 80, 60),
    (150, 150, 150),
)


def _pinhole(
    rng: np.random.Generator,
    w: int,
    h: int,
    cam_h: float,
    cam_x: float,
    f_scale: tuple[float, float],
    horizon: tuple[float, float],
) -> Pinhole:
    return Pinhole(
        w * rng.uniform(0.35, 0.65),
        h * rng.uniform(*horizon),
        w * rng.uniform(*f_scale),
        cam_x,
        cam_h,
    )


def _band(cam: Pinhole, h: int, xl: float, xr: float, z_near: float, z_far: float) -> GroundBand:
    y_near = min(cam.uv(0, 0, z_near)[1], h * 1.15)
    y_far = min(cam.uv(0, 0, z_far)[1], y_near - 0.2 * h)

    def z_at(y: float) -> float:
        return cam.focal_px * cam.cam_h / max(1.0, y - cam.horizon_y)

    far = (cam.uv(xl + 0.3, 0, z_at(y_far))[0], cam.uv(xr - 0.3, 0, z_at(y_far))[0])
    near = (cam.uv(xl + 0.3, 0, z_at(y_near))[0], cam.uv(xr - 0.3, 0, z_at(y_near))[0])
    return GroundBand(y_far, y_near, far, near, cam.horizon_y, cam.focal_px, cam.cam_h)


def _box_room(
    img: np.ndarray,
    rng: np.random.Generator,
    cam: Pinhole,
    xl: float,
    xr: float,
    depth: float,
    height: float,
    walls: tuple[Color, Color, Color],
    floor: Color,
) -> None:
    upper, lower, ceiling = walls
    zn = 0.08
    fill(
        img,
        cam.quad([(xl, height, zn), (xr, height, zn), (xr, height, depth), (xl, height, depth)]),
        ceiling,
    )
    fill(img, cam.quad([(xl, 0, zn), (xr, 0, zn), (xr, 0, depth), (xl, 0, depth)]), floor)
    split = float(rng.uniform(0.9, 1.4)) if rng.random() < 0.6 else 0.0
    for x in (xl, xr):
        side_wall(img, cam, x, zn, depth, height, jitter(rng, upper, 8), lower, split)
    fill(
        img,
        cam.quad([(xl, 0, depth), (xr, 0, depth), (xr, height, depth), (xl, height, depth)]),
        jitter(rng, upper, 15),
    )


def _lights(img: np.ndarray, cam: Pinhole, xc: float, height: float, zs: np.ndarray) -> None:
    for z in zs:
        fill(
            img,
            cam.quad(
                [
                    (xc - 0.3, height, z),
                    (xc + 0.3, height, z),
                    (xc + 0.3, height, z + 0.3),
                    (xc - 0.3, height, z + 0.3),
                ]
            ),
            (245, 250, 252),
        )


def corridor(rng: np.random.Generator, w: int, h: int) -> tuple[np.ndarray, SceneLayout]:
    img = np.zeros((h, w, 3), np.uint8)
    width = rng.uniform(1.6, 3.0)
    xl, xr, depth, height = -width / 2, width / 2, rng.uniform(10, 30), 2.8
    cam = _pinhole(
        rng,
        w,
        h,
        rng.uniform(2.0, 2.7),
        rng.uniform(-0.5, 0.5) * width / 2,
        (0.45, 0.9),
        (0.15, 0.45),
    )
    floor = pick(rng, _FLOOR, 15)
    _box_room(
        img,
        rng,
        cam,
        xl,
        xr,
        depth,
        height,
        (pick(rng, _UPPER, 10), pick(rng, _LOWER, 15), (235, 235, 235)),
        floor,
    )
    floor_tiles(
        img, cam, xl, xr, 0.3, depth, float(rng.choice([0.6, 0.8, 1.0])), jitter(rng, floor, 25)
    )
    _lights(img, cam, (xl + xr) / 2, height, np.arange(1.5, depth, rng.uniform(3, 6)))
    outlets = []
    for x in (xl, xr):
        for z in np.arange(rng.uniform(1.0, 4.0), depth - 1, rng.uniform(3.0, 7.0)):
            door(img, cam, x, float(z), 0.9, pick(rng, _DOORS, 15))
            oz = float(z) + 1.2
            oy = float(rng.choice([0.35, 1.3]))
            fill(
                img,
                cam.quad(
                    [(x, oy, oz), (x, oy + 0.09, oz), (x, oy + 0.09, oz + 0.09), (x, oy, oz + 0.09)]
                ),
                (235, 235, 235),
            )
            outlets.append(cam.uv(x, oy, oz + 0.05))
    img = grime(rng, img, 0.015)
    band = _band(cam, h, xl, xr, 0.8, depth * 0.7)
    return img, SceneLayout("corridor", band, outlets=tuple(outlets))


def stairwell(rng: np.random.Generator, w: int, h: int) -> tuple[np.ndarray, SceneLayout]:
    img = np.zeros((h, w, 3), np.uint8)
    width = rng.uniform(2.2, 3.2)
    xl, xr, z_stairs, riser, tread = -width / 2, width / 2, rng.uniform(2.8, 4.5), 0.16, 0.28
    n_steps = 14
    cam = _pinhole(
        rng, w, h, rng.uniform(2.0, 2.6), rng.uniform(-0.4, 0.4), (0.45, 0.8), (0.2, 0.45)
    )
    upper, lower, floor = pick(rng, _UPPER, 10), pick(rng, _LOWER, 15), pick(rng, _FLOOR, 15)
    top = z_stairs + n_steps * tread
    _box_room(
        img, rng, cam, xl, xr, top + 2, 3.0 + n_steps * riser, (upper, lower, (60, 60, 60)), floor
    )
    step_col = pick(rng, ((170, 170, 170), (140, 150, 160), (120, 120, 125)), 10)
    for k in range(n_steps - 1, -1, -1):
        z0, y0 = z_stairs + k * tread, k * riser
        fill(
            img,
            cam.quad(
                [
                    (xl, y0 + riser, z0),
                    (xr, y0 + riser, z0),
                    (xr, y0 + riser, z0 + tread),
                    (xl, y0 + riser, z0 + tread),
                ]
            ),
            step_col,
        )
        fill(
            img,
            cam.quad([(xl, y0, z0), (xr, y0, z0), (xr, y0 + riser, z0), (xl, y0 + riser, z0)]),
            scaled(step_col, 0.75),
        )
        line(img, cam.uv(xl, y0 + riser, z0), cam.uv(xr, y0 + riser, z0), (60, 60, 60))
    rail_col = pick(rng, ((40, 40, 40), (160, 160, 160), (30, 60, 120)), 10)
    rx = xr - 0.1
    line(img, cam.uv(rx, 0.95, z_stairs), cam.uv(rx, 0.95 + n_steps * riser, top), rail_col, 3)
    for k in range(0, n_steps, 2):
        z, y = z_stairs + k * tread + 0.1, (k + 1) * riser
        line(img, cam.uv(rx, y, z), cam.uv(rx, y + 0.9, z), rail_col, 2)
    img = grime(rng, img, 0.018)
    fg: list[Stroke] = []
    lx = xl + 0.12
    z_rail0 = rng.uniform(0.9, 1.5)
    fg.append(
        Stroke(cam.uv(lx, 0.95, z_rail0), cam.uv(lx, 0.95, z_stairs), max(2, w // 200), rail_col)
    )
    for z in np.arange(z_rail0, z_stairs, 0.15):
        fg.append(Stroke(cam.uv(lx, 0.0, z), cam.uv(lx, 0.95, z), max(1, w // 400), rail_col))
    band = _band(cam, h, xl + 0.2, xr, 0.9, z_stairs - 0.2)
    outlets = (
        cam.uv(xl, 1.3, z_stairs - 0.5),
        cam.uv(xr, 1.3, z_stairs - 0.8),
        cam.uv(xr - 0.3, 2.5, top),
    )
    return img, SceneLayout("stairwell", band, outlets=outlets, foreground=tuple(fg))


def elevator(rng: np.random.Generator, w: int, h: int) -> tuple[np.ndarray, SceneLayout]:
    img = np.zeros((h, w, 3), np.uint8)
    width, depth = rng.uniform(1.1, 1.7), rng.uniform(1.4, 2.2)
    xl, xr = -width / 2, width / 2
    cam = _pinhole(rng, w, h, 2.2, rng.uniform(-0.3, 0.3) * width, (0.28, 0.42), (-0.25, 0.15))
    steel = pick(rng, ((175, 175, 170), (150, 160, 165), (120, 140, 160), (190, 185, 180)), 10)
    floor = pick(rng, ((60, 60, 65), (110, 110, 115), (140, 130, 120), (90, 70, 60)), 10)
    _box_room(img, rng, cam, xl, xr, depth, 2.4, (steel, steel, (220, 220, 220)), floor)
    fill(
        img,
        cam.quad([(-0.45, 0, depth), (0.45, 0, depth), (0.45, 2.1, depth), (-0.45, 2.1, depth)]),
        jitter(rng, steel, 20),
    )
    line(img, cam.uv(0, 0, depth), cam.uv(0, 2.1, depth), (60, 60, 60), 1)
    for x in (xl, xr):
        line(img, cam.uv(x + 0.04, 0.9, 0.3), cam.uv(x + 0.04, 0.9, depth), (200, 200, 200), 3)
    if rng.random() < 0.6:
        fill(
            img,
            cam.quad(
                [
                    (xl, 1.2, depth * 0.3),
                    (xl, 1.9, depth * 0.3),
                    (xl, 1.9, depth * 0.7),
                    (xl, 1.2, depth * 0.7),
                ]
            ),
            pick(rng, _LOWER, 60),
        )
    img = brushed(rng, grime(rng, img, 0.015), 0.05)
    return img, SceneLayout("elevator", _band(cam, h, xl, xr, 0.5, depth - 0.1))


def elevator_topdown(rng: np.random.Generator, w: int, h: int) -> tuple[np.ndarray, SceneLayout]:
    """A ceiling camera looking straight down: floor rectangle, walls seen as trapezoids."""
    img = np.zeros((h, w, 3), np.uint8)
    steel = pick(rng, ((175, 175, 170), (150, 160, 165), (120, 140, 160)), 10)
    img[:] = steel
    fw, fd = rng.uniform(0.55, 0.8) * w, rng.uniform(0.6, 0.85) * h
    cx, cy = w / 2 + rng.uniform(-0.05, 0.05) * w, h / 2 + rng.uniform(-0.05, 0.05) * h
    x0, x1, y0, y1 = cx - fw / 2, cx + fw / 2, cy - fd / 2, cy + fd / 2
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)
    inner = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    for k in range(4):
        j = (k + 1) % 4
        shade = 0.75 + 0.1 * k
        fill(
            img,
            np.array([corners[k], corners[j], inner[j], inner[k]]),
            scaled(steel, shade),
        )
    floor = pick(rng, ((60, 60, 65), (110, 110, 115), (140, 130, 120), (90, 70, 60)), 10)
    fill(img, inner, floor)
    door_side = int(rng.integers(4))
    a, b = inner[door_side], inner[(door_side + 1) % 4]
    line(img, tuple(a + 0.2 * (b - a)), tuple(a + 0.8 * (b - a)), (40, 40, 40), max(2, w // 100))
    img = brushed(rng, grime(rng, img, 0.015), 0.04)
    px_per_m = fw / rng.uniform(1.3, 1.8)
    band = GroundBand(
        y0 + 0.05 * fd,
        y1 - 0.05 * fd,
        (x0 + 0.1 * fw, x1 - 0.1 * fw),
        (x0 + 0.1 * fw, x1 - 0.1 * fw),
        0.0,
        1.0,
        2.4,
        top_down_px_per_m=px_per_m,
        center_xy=(cx, cy),
    )
    return img, SceneLayout("elevator_topdown", band)
