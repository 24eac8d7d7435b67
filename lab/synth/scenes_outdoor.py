"""Outdoor backgrounds: covered bike shed, building facade with windows, real photos."""

from __future__ import annotations

import cv2
import numpy as np

from lab.synth.layout import GroundBand, SceneLayout, Stroke
from lab.synth.rooms import Pinhole, fill, grime, line
from lab.synth.shapes import Color, scaled
from lab.synth.specs import pick

_GROUND: tuple[Color, ...] = (
    (120, 120, 120),
    (95, 100, 100),
    (140, 140, 135),
    (80, 85, 90),
    (150, 150, 150),
)
_FACADE: tuple[Color, ...] = (
    (225, 225, 225),
    (180, 200, 215),
    (170, 170, 175),
    (190, 195, 230),
    (200, 215, 210),
)


def bike_shed(rng: np.random.Generator, w: int, h: int) -> tuple[np.ndarray, SceneLayout]:
    img = np.zeros((h, w, 3), np.uint8)
    cam = Pinhole(
        w * rng.uniform(0.3, 0.7),
        h * rng.uniform(0.1, 0.4),
        w * rng.uniform(0.45, 0.9),
        0.0,
        rng.uniform(2.2, 3.5),
    )
    img[:] = pick(
        rng, ((200, 190, 170), (150, 160, 120), (230, 225, 220)), 20
    )  # sky / trees beyond
    depth, half = rng.uniform(6, 14), rng.uniform(4, 8)
    fill(
        img,
        cam.quad([(-30, 0, 0.3), (30, 0, 0.3), (30, 0, 60), (-30, 0, 60)]),
        pick(rng, _GROUND, 15),
    )
    back = pick(rng, ((200, 200, 200), (80, 110, 170), (150, 150, 150), (70, 120, 70)), 20)
    fill(
        img, cam.quad([(-30, 0, depth), (30, 0, depth), (30, 3.0, depth), (-30, 3.0, depth)]), back
    )
    for x in np.arange(-30, 30, rng.uniform(0.5, 3.0)):
        line(img, cam.uv(x, 0, depth), cam.uv(x, 3.0, depth), scaled(back, 0.8))
    roof_h = cam.cam_h + rng.uniform(0.1, 0.6)
    roof = pick(rng, ((160, 150, 140), (170, 120, 60), (90, 140, 60), (200, 200, 200)), 15)
    fill(
        img,
        cam.quad(
            [
                (-half, roof_h, 0.3),
                (half, roof_h, 0.3),
                (half, roof_h, depth),
                (-half, roof_h, depth),
            ]
        ),
        roof,
    )
    for x in np.arange(-half, half, 0.25):
        line(
            img,
            cam.uv(x, roof_h, 0.3),
            cam.uv(x, roof_h, depth),
            scaled(roof, 0.75),
        )
    post = pick(rng, ((60, 60, 60), (150, 150, 150), (40, 90, 40)), 10)
    outlets = []
    for z in np.arange(1.5, depth, rng.uniform(2.5, 4.0)):
        for x in (-half, half):
            a, b = cam.uv(x, 0, z), cam.uv(x, roof_h, z)
            line(img, a, b, post, max(2, round(cam.focal_px * 0.1 / z)))
            outlets.append(cam.uv(x, 1.4, z))
    img = grime(rng, img, 0.02)
    band = GroundBand(
        cam.uv(0, 0, depth - 0.5)[1],
        min(h * 1.15, cam.uv(0, 0, 1.0)[1]),
        (0.0, float(w)),
        (-0.1 * w, 1.1 * w),
        cam.horizon_y,
        cam.focal_px,
        cam.cam_h,
    )
    return img, SceneLayout("bike_shed", band, outlets=tuple(outlets))


def _window(img: np.ndarray, quad: np.ndarray, rng: np.random.Generator, frame: Color) -> None:
    glass = pick(rng, ((90, 70, 50), (120, 110, 100), (60, 60, 60), (160, 150, 130)), 20)
    fill(img, quad, frame)
    c = quad.mean(0)
    fill(img, c + (quad - c) * 0.88, glass)
    if rng.random() < 0.4:  # anti-theft grille
        for f in np.linspace(0.1, 0.9, 7):
            line(
                img,
                tuple(quad[0] + (quad[1] - quad[0]) * f),
                tuple(quad[3] + (quad[2] - quad[3]) * f),
                (90, 90, 90),
                1,
            )


def facade(rng: np.random.Generator, w: int, h: int) -> tuple[np.ndarray, SceneLayout]:
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = pick(rng, ((220, 200, 170), (230, 225, 220)), 15)
    base_y = h * rng.uniform(0.72, 0.9)
    s = h * rng.uniform(0.045, 0.1)  # px per metre on the facade
    skew = rng.uniform(-0.15, 0.15)
    src = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)
    left, right = rng.uniform(-0.2, 0.1) * w, rng.uniform(0.9, 1.2) * w
    top_shrink = rng.uniform(0.0, 0.08) * w
    dst = np.array(
        [
            [left + top_shrink, -0.3 * h],
            [right - top_shrink, -0.3 * h + skew * h],
            [right, base_y + skew * h * 0.3],
            [left, base_y],
        ],
        np.float32,
    )
    hmat = cv2.getPerspectiveTransform(src, dst)
    wall = pick(rng, _FACADE, 15)
    fill(img, dst.astype(float), wall)
    fill(
        img,
        np.array([[0, base_y - 2], [w, base_y - 2 + skew * h * 0.3], [w, h], [0, h]]),
        pick(rng, _GROUND, 15),
    )
    cols = max(2, int((right - left) / (s * 3.2)))
    rows = max(2, int((base_y + 0.3 * h) / (s * 2.9)))
    frame = pick(rng, ((230, 230, 230), (60, 60, 60), (150, 150, 150)), 10)
    windows = []
    for r in range(rows):
        for c in range(cols):
            if rng.random() < 0.15:
                continue
            u0, u1 = (c + 0.25) / cols, (c + 0.75) / cols
            v0, v1 = (r + 0.2) / rows, (r + 0.7) / rows
            quad = cv2.perspectiveTransform(
                np.array([[[u0, v0], [u1, v0], [u1, v1], [u0, v1]]], np.float32), hmat
            )[0].astype(float)
            _window(img, quad, rng, frame)
            if rng.random() < 0.25:  # air-conditioner unit under the window
                box = quad[[3, 2]].mean(0) + np.array(
                    [
                        [-s * 0.4, s * 0.1],
                        [s * 0.4, s * 0.1],
                        [s * 0.4, s * 0.6],
                        [-s * 0.4, s * 0.6],
                    ]
                )
                fill(img, box, (215, 215, 215))
            x0, y0 = quad.min(0)
            x1, y1 = quad.max(0)
            if x0 >= 0 and x1 <= w and 0 <= y1 < base_y - s:
                windows.append((float(x0), float(y0), float(x1), float(y1)))
    img = grime(rng, img, 0.018)
    horizon = base_y - s * 1.6
    band = GroundBand(
        base_y + 2,
        min(h * 1.1, base_y + 0.4 * h),
        (0.0, float(w)),
        (0.0, float(w)),
        horizon,
        s * 8,
        1.6,
    )
    return img, SceneLayout("facade", band, windows=tuple(windows))


def photo(
    rng: np.random.Generator, source: np.ndarray, w: int, h: int
) -> tuple[np.ndarray, SceneLayout]:
    """A random crop of a real photo, resized to (w, h); guesses a floor in the lower half."""
    sh, sw = source.shape[:2]
    scale = rng.uniform(0.5, 1.0)
    cw, ch = max(16, int(sw * scale)), max(16, int(min(sh, sw * scale * h / w)))
    x0, y0 = int(rng.integers(0, sw - cw + 1)), int(rng.integers(0, sh - ch + 1))
    img = cv2.resize(source[y0 : y0 + ch, x0 : x0 + cw], (w, h), interpolation=cv2.INTER_AREA)
    horizon = h * rng.uniform(0.2, 0.45)
    band = GroundBand(
        horizon + 0.2 * h,
        h * 1.05,
        (0.0, float(w)),
        (-0.1 * w, 1.1 * w),
        horizon,
        w * 0.7,
        rng.uniform(2.0, 3.0),
    )
    outlets = tuple(
        (float(rng.uniform(0, w)), float(rng.uniform(0, horizon + 0.1 * h))) for _ in range(3)
    )
    fg: tuple[Stroke, ...] = ()
    return img, SceneLayout("photo", band, outlets=outlets, foreground=fg)
