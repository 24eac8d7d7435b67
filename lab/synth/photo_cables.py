"""Charging cables drawn onto real photos, with their truth boxes.

A real photo has no scene layout (no known windows, outlets or floor), so a route starts where a
flying wire comes from in real footage, the top edge or high on a side wall (a window, a socket),
and ends at an e-bike's battery (the middle of a bike box's lower half) or somewhere on the lower
half of the picture, sometimes running down the wall first. The cable itself is the project's
own renderer (:func:`lab.synth.cables.draw_cable`).
"""

from __future__ import annotations

import numpy as np

from lab.synth.cables import MIN_CABLE_SIDE_PX, draw_cable
from lab.synth.shapes import pad_box
from lab.synth.specs import sample_cable


def _start(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    if rng.random() < 0.6:
        return np.array([rng.uniform(0.1, 0.9) * w, rng.uniform(0.0, 0.05) * h])
    side = 0.0 if rng.random() < 0.5 else 1.0
    return np.array(
        [side * w + (1 - 2 * side) * rng.uniform(0, 0.04) * w, rng.uniform(0.05, 0.45) * h]
    )


def _end(rng: np.random.Generator, w: int, h: int, bikes: np.ndarray) -> np.ndarray:
    if len(bikes) and rng.random() < 0.7:
        x1, y1, x2, y2 = bikes[int(rng.integers(len(bikes)))]
        return np.array(
            [rng.uniform(x1 + 0.3 * (x2 - x1), x2 - 0.3 * (x2 - x1)), y1 + 0.6 * (y2 - y1)]
        )
    return np.array([rng.uniform(0.1, 0.9) * w, rng.uniform(0.55, 0.95) * h])


def cable_route(rng: np.random.Generator, w: int, h: int, bikes: np.ndarray) -> np.ndarray:
    """(K, 2) pixel waypoints of one flying wire on a ``w`` x ``h`` photo; ``bikes`` (N, 4) xyxy
    pixel boxes of e-bikes it may plug into."""
    start, end = _start(rng, w, h), _end(rng, w, h, bikes)
    if rng.random() < 0.5:  # down the wall first, then across
        mid = [
            start[0] + rng.normal(0, 0.02 * w),
            end[1] - rng.uniform(0, 0.3) * abs(end[1] - start[1]),
        ]
        return np.array([start, mid, end], float)
    return np.array([start, end], float)


def draw_photo_cables(
    rng: np.random.Generator, image: np.ndarray, bikes: np.ndarray, count: int = 1
) -> np.ndarray:
    """Draw ``count`` cables onto ``image`` (H, W, 3) BGR uint8 in place; returns their (count, 4)
    xyxy pixel truth boxes (the drawn outline's bounds, padded to ``MIN_CABLE_SIDE_PX``)."""
    h, w = image.shape[:2]
    boxes = []
    for _ in range(count):
        route = cable_route(rng, w, h, bikes)
        plug = bool(len(bikes)) and route[-1][1] > 0.5 * h and rng.random() < 0.5
        render = draw_cable(image, sample_cable(rng, plug=plug), route)
        outline = render.outline
        box = np.concatenate([outline.min(0), outline.max(0)]).astype(float)
        boxes.append(pad_box(box, MIN_CABLE_SIDE_PX * w / 640, w, h))
    return np.array(boxes, float).reshape(-1, 4)
