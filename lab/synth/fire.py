"""Battery fires and the lights that are not fires, drawn into a clip's undistorted picture.

Flames are a few tongues (red-orange rim, orange body, yellow core) whose number, height, width
and lean are drawn afresh every frame, as a flame flickers, plus a flickering glow around them;
they grow from half of ``size_m`` to all of it over ``grow_s``. Smoke is a plume of soft
puffs born at the fire every 0.25 s that rise, spread and fade over a few seconds, so the plume
grows and climbs. Lights: a steady lamp with its halo, a blinking LED, a patch of sunlight that
drifts slowly. Everything is deterministic in the seed, the element's look and the time.

Flames and lights give off light; the clip camera's night IR mode turns *reflected* colours into
grey, which would show a flame as dim as an orange wall. An IR sensor sees a flame (and a lamp)
near saturation, so with ``ir`` their colours are drawn :data:`IR_WHITENING` of the way to white.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from lab.synth.storyboard import Blaze, Light, LightKind

_FLAME_LAYERS = (  # (BGR, share of the tongue's size)
    ((20, 60, 225), 1.0),
    ((25, 140, 255), 0.72),
    ((190, 245, 255), 0.4),
)
IR_WHITENING = 0.6
_PUFF_EVERY_S = 0.25
_PUFF_LIFE_S = 4.0


def blaze_parts(blaze: Blaze, t: float) -> tuple[float | None, float | None]:
    """Seconds the flames and the smoke have been burning at ``t`` (None: not yet / never)."""

    def since(after: float | None) -> float | None:
        if after is None or t < blaze.t0 + after or (blaze.t1 is not None and t > blaze.t1):
            return None
        return t - blaze.t0 - after

    return since(blaze.flame_after_s), since(blaze.smoke_after_s)


def blaze_start(blaze: Blaze) -> float:
    """When the first flame or smoke shows."""
    delays = [d for d in (blaze.flame_after_s, blaze.smoke_after_s) if d is not None]
    return blaze.t0 + min(delays, default=0.0)


def emitted(color: tuple[int, int, int], ir: bool) -> tuple[int, int, int]:
    """The colour a light source is drawn in (whitened for a night IR camera)."""
    if not ir:
        return color
    b, g, r = (round(c + IR_WHITENING * (255 - c)) for c in color)
    return (b, g, r)


def draw_blaze(
    image: np.ndarray,
    blaze: Blaze,
    base: tuple[float, float],
    px_per_m: float,
    t: float,
    seed: int,
    ir: bool = False,
) -> None:
    """Draw ``blaze`` at ``t`` on (H, W, 3) uint8 BGR ``image``; ``base``: the fire's pixel;
    ``ir``: the camera is in night IR mode."""
    flame_s, smoke_s = blaze_parts(blaze, t)
    frame = round(t * 100)
    if smoke_s is not None:
        _smoke(image, blaze, base, px_per_m, smoke_s, seed)
    if flame_s is not None:
        grown = min(1.0, (1 + flame_s / max(blaze.grow_s, 1e-6)) / 2)
        height = blaze.size_m * grown * px_per_m
        rng = np.random.default_rng([seed, blaze.look_seed, 31, frame])
        _glow(image, base, height, rng)
        _flames(image, base, height, rng, ir)


def _flames(
    image: np.ndarray, base: tuple[float, float], height: float, rng: np.random.Generator, ir: bool
) -> None:
    tongues = int(rng.integers(3, 7))
    shapes = [
        (
            base[0] + rng.uniform(-0.25, 0.25) * height,
            height * rng.uniform(0.45, 1.0),
            height * rng.uniform(0.12, 0.25),
            rng.uniform(-0.35, 0.35),
        )
        for _ in range(tongues)
    ]
    for color, share in _FLAME_LAYERS:
        for x, h, w, lean in shapes:
            tongue = _tongue(x, base[1], h * share, w * share, lean)
            cv2.fillPoly(image, [tongue], emitted(color, ir), cv2.LINE_AA)


def _tongue(x: float, y: float, h: float, w: float, lean: float) -> np.ndarray:
    """A teardrop standing on (x, y): round bottom, pointed, leaning top."""
    s = np.linspace(0.0, 1.0, 12)
    half = w * np.sin(np.pi * np.minimum(1.0, s * 1.4)) * (1 - s) ** 0.6 + 0.5
    xs = x + lean * h * s**2
    ys = y - h * s
    pts = np.concatenate([np.stack([xs - half, ys], 1), np.stack([xs + half, ys], 1)[::-1]])
    return np.round(pts).astype(np.int32)


def _glow(
    image: np.ndarray, base: tuple[float, float], height: float, rng: np.random.Generator
) -> None:
    """A warm light cast around the flames, its strength flickering with them."""
    h, w = image.shape[:2]
    radius = max(4.0, 1.6 * height)
    x0, x1 = int(max(0, base[0] - radius)), int(min(w, base[0] + radius + 1))
    y0, y1 = int(max(0, base[1] - 1.6 * radius)), int(min(h, base[1] + 0.6 * radius))
    if x1 <= x0 or y1 <= y0:
        return
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    d = np.hypot(xs - base[0], (ys - (base[1] - 0.4 * height)) * 0.8) / radius
    strength = rng.uniform(0.25, 0.45) * np.clip(1 - d, 0, 1) ** 2
    warm = np.array([10, 90, 200], np.float32)
    roi = image[y0:y1, x0:x1].astype(np.float32)
    image[y0:y1, x0:x1] = np.clip(roi + strength[..., None] * warm, 0, 255).astype(np.uint8)


def _smoke(
    image: np.ndarray,
    blaze: Blaze,
    base: tuple[float, float],
    px_per_m: float,
    age: float,
    seed: int,
) -> None:
    h, w = image.shape[:2]
    alpha = np.zeros((h, w), np.float32)
    born = int(age / _PUFF_EVERY_S)
    for i in range(max(0, born - int(_PUFF_LIFE_S / _PUFF_EVERY_S)), born + 1):
        a = age - i * _PUFF_EVERY_S
        if a < 0:
            continue
        rng = np.random.default_rng([seed, blaze.look_seed, 57, i])
        drift, wobble, phase = rng.uniform(-0.08, 0.08), rng.uniform(0.02, 0.06), rng.uniform(0, 6)
        x = base[0] + px_per_m * (drift * a + wobble * math.sin(phase + 2.2 * a))
        y = base[1] - px_per_m * (0.1 + 0.35 * a)
        r = px_per_m * (0.06 + 0.07 * a)
        opacity = 0.55 * (1 - a / _PUFF_LIFE_S)
        cv2.circle(alpha, (round(x), round(y)), max(1, round(r)), opacity, -1, cv2.LINE_AA)
    alpha = np.clip(cv2.GaussianBlur(alpha, (0, 0), max(1.0, 0.05 * px_per_m)), 0, 0.85)
    grey = np.float32(blaze.smoke_grey)
    mixed = image.astype(np.float32) * (1 - alpha[..., None]) + grey * alpha[..., None]
    image[:] = np.clip(mixed, 0, 255).astype(np.uint8)


def light_on(light: Light, t: float) -> bool:
    """Whether the light shines at ``t`` (an LED is off half of each period)."""
    return light.kind is not LightKind.LED or (t % light.period_s) < light.period_s / 2


def draw_light(
    image: np.ndarray,
    light: Light,
    centre_xy: tuple[float, float],
    px_per_m: float,
    t: float,
    ir: bool = False,
) -> None:
    """Draw ``light`` at ``t`` on (H, W, 3) uint8 BGR ``image``, centred at pixel ``centre_xy``
    where the floor has ``px_per_m`` pixels a metre; ``ir``: the camera is in night IR mode (a
    patch of sunlight is reflected light, never whitened)."""
    if not light_on(light, t):
        return
    color = light.color if light.kind is LightKind.GLARE else emitted(light.color, ir)
    h, w = image.shape[:2]
    r = max(1.0, light.size_m * px_per_m / 2)
    if light.kind is LightKind.GLARE:
        x = centre_xy[0] + 0.01 * w * t  # the sun moves on
        corners = np.array([[-1.6, -0.5], [1.2, -0.6], [1.7, 0.55], [-1.1, 0.6]])
        quad = corners * [r, 0.4 * r] + np.array([x, centre_xy[1]])
        layer = np.zeros((h, w), np.float32)
        cv2.fillPoly(layer, [np.round(quad).astype(np.int32)], 0.8, cv2.LINE_AA)
        _add_light(image, cv2.GaussianBlur(layer, (0, 0), max(1.0, 0.15 * r)), color)
        return
    centre = (round(centre_xy[0]), round(centre_xy[1]))
    if light.kind is LightKind.LAMP:
        halo = np.zeros((h, w), np.float32)
        cv2.circle(halo, centre, round(2.5 * r), 0.35, -1, cv2.LINE_AA)
        _add_light(image, cv2.GaussianBlur(halo, (0, 0), r), color)
        axes = (round(r), round(0.7 * r))
        cv2.ellipse(image, centre, axes, 0, 0, 360, color, -1, cv2.LINE_AA)
        return
    cv2.circle(image, centre, round(r), color, -1, cv2.LINE_AA)


def _add_light(image: np.ndarray, alpha: np.ndarray, color: tuple[int, int, int]) -> None:
    mixed = image.astype(np.float32) * (1 - alpha[..., None]) + alpha[..., None] * np.array(
        color, np.float32
    )
    image[:] = np.clip(mixed, 0, 255).astype(np.uint8)
