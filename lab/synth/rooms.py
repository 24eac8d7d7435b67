"""Drawing helpers for scenes seen by a level pinhole camera (corridors, stairwells, elevators)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lab.synth.shapes import Color, scaled


@dataclass(frozen=True)
class Pinhole:
    """World metres (X right, Y up from the floor, Z forward) -> pixels; principal point
    (``cx``, ``horizon_y``) may lie off-centre to mimic a tilted camera."""

    cx: float
    horizon_y: float
    focal_px: float
    cam_x: float
    cam_h: float

    def uv(self, x: float, y: float, z: float) -> tuple[float, float]:
        z = max(z, 0.05)
        return (
            self.cx + self.focal_px * (x - self.cam_x) / z,
            self.horizon_y + self.focal_px * (self.cam_h - y) / z,
        )

    def quad(self, pts: list[tuple[float, float, float]]) -> np.ndarray:
        return np.clip(np.array([self.uv(*p) for p in pts]), -20000, 20000)


def fill(img: np.ndarray, pts: np.ndarray, color: Color) -> None:
    cv2.fillPoly(img, [np.round(pts * 8).astype(np.int32)], color, cv2.LINE_AA, shift=3)


def line(
    img: np.ndarray, a: tuple[float, float], b: tuple[float, float], color: Color, t: int = 1
) -> None:
    pa = np.clip(np.array(a), -20000, 20000)
    pb = np.clip(np.array(b), -20000, 20000)
    cv2.line(img, (round(pa[0]), round(pa[1])), (round(pb[0]), round(pb[1])), color, t, cv2.LINE_AA)


def grime(rng: np.random.Generator, img: np.ndarray, strength: float) -> np.ndarray:
    """Multiply by smooth random blotches (stains, uneven paint); returns a new uint8 image."""
    h, w = img.shape[:2]
    small = rng.normal(1.0, strength, (max(2, h // 40), max(2, w // 40), 1)).astype(np.float32)
    fine = rng.normal(1.0, strength * 0.3, (max(2, h // 6), max(2, w // 6), 1)).astype(np.float32)
    field = np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), np.float32)
    field = field * np.asarray(cv2.resize(fine, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)
    return np.clip(img.astype(np.float32) * field[..., None], 0, 255).astype(np.uint8)


def brushed(rng: np.random.Generator, img: np.ndarray, strength: float) -> np.ndarray:
    """Vertical brushed-steel streaks over the whole image."""
    w = img.shape[1]
    cols = cv2.GaussianBlur(rng.normal(1.0, strength, (1, w)).astype(np.float32), (0, 0), 1.5)
    return np.clip(img.astype(np.float32) * cols[:, :, None], 0, 255).astype(np.uint8)


def side_wall(
    img: np.ndarray,
    cam: Pinhole,
    x: float,
    z0: float,
    z1: float,
    h: float,
    upper: Color,
    lower: Color,
    split: float,
) -> None:
    fill(img, cam.quad([(x, 0, z0), (x, h, z0), (x, h, z1), (x, 0, z1)]), upper)
    fill(img, cam.quad([(x, 0, z0), (x, split, z0), (x, split, z1), (x, 0, z1)]), lower)
    dark = scaled(lower, 0.55)
    fill(img, cam.quad([(x, 0, z0), (x, 0.1, z0), (x, 0.1, z1), (x, 0, z1)]), dark)


def floor_tiles(
    img: np.ndarray,
    cam: Pinhole,
    x0: float,
    x1: float,
    z0: float,
    z1: float,
    tile: float,
    color: Color,
) -> None:
    for x in np.arange(x0 + tile, x1, tile):
        line(img, cam.uv(x, 0, z0), cam.uv(x, 0, z1), color)
    for z in np.arange(z0 + tile, z1, tile):
        line(img, cam.uv(x0, 0, z), cam.uv(x1, 0, z), color)


def door(img: np.ndarray, cam: Pinhole, x: float, z: float, width: float, color: Color) -> None:
    fill(
        img,
        cam.quad(
            [
                (x, 0, z - 0.06),
                (x, 2.16, z - 0.06),
                (x, 2.16, z + width + 0.06),
                (x, 0, z + width + 0.06),
            ]
        ),
        (90, 90, 95),
    )
    fill(img, cam.quad([(x, 0, z), (x, 2.1, z), (x, 2.1, z + width), (x, 0, z + width)]), color)
    hx, hy = cam.uv(x, 1.0, z + width * 0.85)
    cv2.circle(
        img,
        (round(hx), round(hy)),
        max(1, round(cam.focal_px * 0.03 / max(z, 0.5))),
        (180, 190, 200),
        -1,
    )
