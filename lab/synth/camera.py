"""CCTV camera effects: lighting, colour, lens distortion (labels follow), blur, noise, overlays.

A :class:`CameraSpec` is drawn once per image (or once per clip) and applied with
:func:`apply_camera`; object outlines go through the same lens so boxes stay tight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class CameraSpec:
    gain: float  # exposure multiplier
    gamma: float
    white_balance: tuple[float, float, float]  # BGR multipliers
    cast: tuple[float, float, float]  # BGR offsets (CCTV tint)
    gradient: float  # strength of a linear light falloff across the frame, 0..1
    gradient_angle: float  # radians
    vignette: float  # 0..1
    lens: float  # 0 = pinhole; ~0.3-0.7 barrel; ~0.9-1.25 fisheye
    blur_sigma: float  # defocus, px
    motion_px: int  # motion-blur length, px (0 = none)
    motion_angle: float  # degrees
    downscale: float  # 1 = full resolution; <1 renders soft low-res
    noise_sigma: float
    ir_night: bool  # greyscale infrared look
    timestamp: bool
    stamp_seconds: int  # seconds since 2023-01-01, for the overlay text
    jpeg_quality: int


def sample_camera(rng: np.random.Generator, fisheye: bool = False) -> CameraSpec:
    wb = rng.normal(1.0, 0.07, 3).clip(0.8, 1.2)
    ir = bool(rng.random() < 0.15)
    lens = (
        rng.uniform(0.8, 1.25)
        if fisheye
        else (rng.uniform(0.2, 0.75) if rng.random() < 0.5 else 0.0)
    )
    return CameraSpec(
        gain=float(rng.uniform(0.55, 1.35)),
        gamma=float(rng.uniform(0.8, 1.25)),
        white_balance=(float(wb[0]), float(wb[1]), float(wb[2])),
        cast=tuple(float(v) for v in rng.normal(0, 8, 3))
        if rng.random() < 0.5
        else (0.0, 0.0, 0.0),  # type: ignore[arg-type]
        gradient=float(rng.uniform(0, 0.6)),
        gradient_angle=float(rng.uniform(0, 2 * math.pi)),
        vignette=float(rng.uniform(0, 0.6)),
        lens=float(lens),
        blur_sigma=float(rng.choice([0.0, rng.uniform(0.3, 1.6)], p=[0.5, 0.5])),
        motion_px=int(rng.choice([0, int(rng.integers(3, 10))], p=[0.8, 0.2])),
        motion_angle=float(rng.uniform(0, 180)),
        downscale=float(rng.choice([1.0, rng.uniform(0.3, 0.7)], p=[0.6, 0.4])),
        noise_sigma=float(rng.uniform(0.5, 9.0)),
        ir_night=ir,
        timestamp=bool(rng.random() < 0.6),
        stamp_seconds=int(rng.integers(0, 3 * 365 * 86400)),
        jpeg_quality=int(rng.integers(35, 92)),
    )


def _light_field(spec: CameraSpec, h: int, w: int) -> np.ndarray:
    """(h, w) float32 illumination: ramp times vignette, computed coarse (it is smooth)."""
    gh, gw = h // 8 + 2, w // 8 + 2
    ys, xs = np.mgrid[0:gh, 0:gw].astype(np.float32)
    nx, ny = xs / (gw - 1) * 2 - 1, ys / (gh - 1) * 2 - 1
    ramp = nx * math.cos(spec.gradient_angle) + ny * math.sin(spec.gradient_angle)
    field = (1.0 + spec.gradient * 0.5 * ramp) * (1.0 - spec.vignette * 0.5 * (nx * nx + ny * ny))
    field = np.clip(field, 0.05, 2.0).astype(np.float32)
    return np.asarray(cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)


def _tone_lut(spec: CameraSpec) -> np.ndarray:
    """(256, 1, 3) uint8: gamma, then the colour cast."""
    v = (np.arange(256, dtype=np.float32) / 255.0) ** spec.gamma * 255.0
    cast = np.zeros(3, np.float32) if spec.ir_night else np.array(spec.cast, np.float32)
    return np.clip(v[:, None, None] + cast[None, None, :], 0, 255).astype(np.uint8)


def _tone(image: np.ndarray, spec: CameraSpec) -> np.ndarray:
    h, w = image.shape[:2]
    img = image.astype(np.float32)
    if spec.ir_night:
        weights = np.tile(np.array([[0.24, 0.6, 0.36]], np.float32), (3, 1))
        img = np.asarray(cv2.transform(img, weights), np.float32) + 12.0
    else:
        img *= np.array(spec.white_balance, np.float32)
    img *= (_light_field(spec, h, w) * spec.gain)[..., None]
    return np.asarray(cv2.LUT(cv2.convertScaleAbs(img), _tone_lut(spec)), np.uint8)


def _zoom(spec: CameraSpec) -> float:
    a = spec.lens
    full = math.tan(a) / a
    return full if a < 0.8 else math.sqrt(full)


def _lens_maps(spec: CameraSpec, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """For every output pixel, where to sample the undistorted image."""
    cx, cy, norm = w / 2, h / 2, math.hypot(w / 2, h / 2)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = (xs - cx) / norm, (ys - cy) / norm
    rd = np.sqrt(dx * dx + dy * dy) + 1e-9
    ru = np.tan(spec.lens * np.minimum(rd, 1.2)) / (spec.lens * _zoom(spec))
    k = ru / rd
    return (cx + dx * k * norm).astype(np.float32), (cy + dy * k * norm).astype(np.float32)


def distort_points(points: np.ndarray, spec: CameraSpec, width: int, height: int) -> np.ndarray:
    """(N, 2) undistorted pixel points -> where :func:`apply_camera` puts them."""
    if spec.lens <= 0:
        return points
    cx, cy, norm = width / 2, height / 2, math.hypot(width / 2, height / 2)
    d = (points - np.array([cx, cy])) / norm
    ru = np.linalg.norm(d, axis=1) + 1e-9
    rd = np.arctan(spec.lens * _zoom(spec) * ru) / spec.lens
    return (np.array([cx, cy]) + d * (rd / ru)[:, None] * norm).astype(np.float32)


def _blur(img: np.ndarray, spec: CameraSpec) -> np.ndarray:
    if spec.blur_sigma > 0.2:
        img = cv2.GaussianBlur(img, (0, 0), spec.blur_sigma)
    if spec.motion_px > 1:
        k = np.zeros((spec.motion_px, spec.motion_px), np.float32)
        k[spec.motion_px // 2, :] = 1.0 / spec.motion_px
        rot = cv2.getRotationMatrix2D(
            (spec.motion_px / 2 - 0.5, spec.motion_px / 2 - 0.5), spec.motion_angle, 1.0
        )
        kernel = np.asarray(cv2.warpAffine(k, rot, (spec.motion_px, spec.motion_px)), np.float32)
        img = cv2.filter2D(img, -1, kernel / max(1e-6, float(kernel.sum())))
    if spec.downscale < 0.99:
        img = shrink_and_grow(img, spec.downscale)
    return img


def shrink_and_grow(img: np.ndarray, scale: float) -> np.ndarray:
    """(H, W, 3) ``img`` shrunk to ``scale`` of its size (8 pixels at least) and grown back: the
    detail a low-resolution sensor or a forwarded photo has lost."""
    h, w = img.shape[:2]
    small = cv2.resize(
        img, (max(8, int(w * scale)), max(8, int(h * scale))), interpolation=cv2.INTER_AREA
    )
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _noise(img: np.ndarray, spec: CameraSpec, rng: np.random.Generator) -> np.ndarray:
    """Luma (and, in colour, some chroma) Gaussian noise; OpenCV's RNG, seeded from ``rng``."""
    cv2.setRNGSeed(int(rng.integers(2**31)))
    h, w = img.shape[:2]
    luma = np.empty((h, w, 1), np.float32)
    cv2.randn(luma, np.zeros(1), np.full(1, spec.noise_sigma))
    out = img.astype(np.float32) + luma
    if not spec.ir_night:
        chroma = np.empty((h, w, 3), np.float32)
        s = spec.noise_sigma * 0.4
        cv2.randn(chroma, np.zeros(3), np.full(3, s))
        out += chroma
    return cv2.convertScaleAbs(np.clip(out, 0, 255, out=out))


def _stamp(img: np.ndarray, spec: CameraSpec) -> None:
    t = spec.stamp_seconds
    days, rem = divmod(t, 86400)
    year, yday = 2023 + days // 365, days % 365
    clock = f"{rem // 3600:02d}:{rem % 3600 // 60:02d}:{rem % 60:02d}"
    text = f"{year}-{1 + yday // 31:02d}-{1 + yday % 28:02d} {clock}"
    h, w = img.shape[:2]
    scale = w / 900
    org = (int(w * 0.03), int(h * 0.07)) if t % 3 else (int(w * 0.5), int(h * 0.95))
    for color, stroke in (((0, 0, 0), 3.0), ((235, 235, 235), 1.5)):  # outline, then the text
        thickness = max(1, int(stroke * scale))
        cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, thickness, cv2.LINE_AA)
    if t % 2:
        cv2.putText(
            img,
            f"CAM{t % 17:02d}",
            (int(w * 0.8), int(h * 0.07)),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            (235, 235, 235),
            max(1, int(1.5 * scale)),
            cv2.LINE_AA,
        )


def apply_camera(
    image: np.ndarray, spec: CameraSpec, outlines: list[np.ndarray], rng: np.random.Generator
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Apply the camera to an (H, W, 3) uint8 BGR image; returns the new image and the
    (N, 2) pixel outlines moved by the lens. ``rng`` only draws the sensor noise."""
    h, w = image.shape[:2]
    img = _tone(image, spec)
    if spec.lens > 0:
        mx, my = _lens_maps(spec, h, w)
        img = cv2.remap(
            img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0)
        )
        outlines = [distort_points(o, spec, w, h) for o in outlines]
    img = _noise(_blur(img, spec), spec, rng)
    if spec.timestamp:
        _stamp(img, spec)
    return img, outlines
