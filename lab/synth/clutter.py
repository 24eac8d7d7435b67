"""Unlabelled everyday clutter (hard negatives): boxes, bins, plant pots, buckets, wall pipes."""

from __future__ import annotations

import numpy as np

from lab.synth.rooms import line
from lab.synth.shapes import Ball, Model, Primitive, Prism, Tube
from lab.synth.specs import pick


def _box(x: float, y0: float, y1: float, z: float, color: tuple[int, int, int]) -> Prism:
    return Prism(((-x, y0), (x, y0), (x, y1), (-x, y1)), -z, z, color)


def clutter_model(rng: np.random.Generator) -> Model:
    """One random clutter object standing on the ground (metres, like every model)."""
    kind = int(rng.integers(5))
    parts: list[Primitive]
    if kind == 0:  # cardboard boxes, maybe stacked
        c = pick(rng, ((90, 140, 180), (110, 150, 190), (200, 200, 200)), 15)
        a, b = rng.uniform(0.2, 0.35), rng.uniform(0.25, 0.5)
        parts = [_box(a, 0.0, b, a * 0.8, c)]
        if rng.random() < 0.4:
            parts.append(_box(a * 0.8, b, b + a, a * 0.7, pick(rng, ((90, 140, 180),), 20)))
        return Model(tuple(parts), b, (a, a))
    if kind == 1:  # wheelie bin
        c = pick(rng, ((40, 120, 40), (60, 60, 60), (150, 90, 30), (40, 40, 160)), 15)
        return Model(
            (_box(0.3, 0.0, 0.95, 0.28, c), _box(0.33, 0.95, 1.02, 0.3, c)), 1.02, (0.3, 0.3)
        )
    if kind == 2:  # potted plant
        pot = pick(rng, ((50, 80, 140), (200, 200, 200), (40, 40, 40)), 15)
        green = pick(rng, ((40, 110, 40), (60, 140, 70)), 15)
        return Model(
            (_box(0.18, 0.0, 0.35, 0.18, pot), Ball((0.0, 0.6, 0.0), 0.32, green)), 0.92, (0.2, 0.2)
        )
    if kind == 3:  # bucket / extinguisher
        c = pick(rng, ((30, 30, 200), (200, 120, 40), (220, 220, 220)), 15)
        return Model((Tube((0.0, 0.08, 0.0), (0.0, 0.5, 0.0), 0.13, c),), 0.6, (0.15, 0.15))
    c = pick(rng, ((120, 80, 40), (80, 80, 80), (200, 200, 200)), 15)  # shoe rack / cabinet
    return Model((_box(0.45, 0.0, rng.uniform(0.5, 1.1), 0.16, c),), 1.0, (0.45, 0.18))


def draw_wall_pipes(rng: np.random.Generator, image: np.ndarray) -> None:
    """Straight conduits and pipes: thin lines that are NOT cables (cables sag and wander)."""
    h, w = image.shape[:2]
    for _ in range(int(rng.integers(0, 3))):
        color = pick(rng, ((220, 220, 220), (150, 150, 150), (60, 60, 60), (80, 120, 160)), 15)
        thick = int(rng.integers(3, 9)) * w // 640 or 1
        if rng.random() < 0.5:
            x = float(rng.uniform(0, w))
            line(
                image,
                (x, float(rng.uniform(-0.1, 0.3) * h)),
                (x + rng.normal(0, 3), float(rng.uniform(0.5, 1.0) * h)),
                color,
                thick,
            )
        else:
            y = float(rng.uniform(0.02, 0.35) * h)
            line(
                image,
                (float(rng.uniform(-0.1, 0.4) * w), y),
                (float(rng.uniform(0.6, 1.1) * w), y + rng.normal(0, 8)),
                color,
                thick,
            )
