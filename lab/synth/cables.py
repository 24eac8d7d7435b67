"""Charging cables ("flying wires"): sagging curves through waypoints, ending in a charger brick,
a power strip or an e-bike's battery."""

from __future__ import annotations

import math

import cv2
import numpy as np

from lab.synth.shapes import ObjectRender, box_of
from lab.synth.specs import CableSpec

_SAMPLES_PER_SEGMENT = 24
MIN_CABLE_SIDE_PX = 6.0  # a cable's truth box is padded to this size at 640 px wide


def cable_path(spec: CableSpec, waypoints: np.ndarray) -> np.ndarray:
    """(K, 2) pixel waypoints -> (N, 2) float pixel polyline: each span sags (image-down) by
    ``spec.sag`` of its length and waves sideways by ``spec.wiggle``."""
    pieces = []
    for k in range(len(waypoints) - 1):
        a, b = waypoints[k].astype(float), waypoints[k + 1].astype(float)
        span = float(np.linalg.norm(b - a)) + 1e-6
        t = np.linspace(0, 1, _SAMPLES_PER_SEGMENT)[:, None]
        base = a + (b - a) * t
        normal = np.array([-(b - a)[1], (b - a)[0]]) / span
        sag = spec.sag * span * 4 * t * (1 - t) * abs((b - a)[0]) / span
        wave = spec.wiggle * span * np.sin(3 * math.pi * t + spec.phase + k) * np.sin(math.pi * t)
        pieces.append(base + sag * np.array([0.0, 1.0]) + wave * normal)
    return np.vstack(pieces)


def _end_shape(
    spec: CableSpec, tip: np.ndarray, direction: np.ndarray, thick: float
) -> np.ndarray | None:
    """Corners (4, 2) of the charger brick / power strip / plug at the cable's end, or None."""
    sizes = {"brick": (7.0, 10.0), "strip": (4.5, 24.0), "plug": (2.5, 4.0)}
    if spec.end not in sizes:
        return None
    w, length = (s * thick for s in sizes[spec.end])
    d = direction / (np.linalg.norm(direction) + 1e-6)
    n = np.array([-d[1], d[0]])
    if spec.end == "strip":  # power strips lie flat, sideways to the cable
        d, n = n, d
    c = tip + d * length / 2
    return np.array(
        [
            c - d * length / 2 - n * w / 2,
            c + d * length / 2 - n * w / 2,
            c + d * length / 2 + n * w / 2,
            c - d * length / 2 + n * w / 2,
        ]
    )


def draw_cable(image: np.ndarray, spec: CableSpec, waypoints: np.ndarray) -> ObjectRender:
    """Draw a cable through (K, 2) pixel ``waypoints`` (first = source, e.g. a window; last =
    the charger end). Thickness scales with the image width relative to 640 px."""
    thick = max(1.5, spec.thickness_px * image.shape[1] / 640)
    path = cable_path(spec, waypoints)
    ipath = np.round(path * 8).astype(np.int32)
    cv2.polylines(image, [ipath], False, spec.color, max(1, round(thick)), cv2.LINE_AA, shift=3)
    if thick >= 3:
        light = tuple(min(255, int(c * 0.6 + 110)) for c in spec.color)
        cv2.polylines(image, [ipath - 8], False, light, 1, cv2.LINE_AA, shift=3)
    pts = [path + o for o in ((thick / 2, 0), (-thick / 2, 0), (0, thick / 2), (0, -thick / 2))]
    end = _end_shape(spec, path[-1], path[-1] - path[-3], thick)
    if end is not None:
        cv2.fillConvexPoly(
            image, np.round(end * 8).astype(np.int32), spec.brick_color, cv2.LINE_AA, shift=3
        )
        if spec.end == "strip":
            for f in (0.3, 0.5, 0.7):
                p = end[0] + (end[1] - end[0]) * f + (end[3] - end[0]) * 0.5
                cv2.circle(
                    image, (round(p[0]), round(p[1])), max(1, round(thick * 0.8)), (60, 60, 60), -1
                )
        elif spec.end == "brick":
            p = end.mean(0)
            cv2.circle(
                image, (round(p[0]), round(p[1])), max(1, round(thick * 0.5)), (60, 200, 60), -1
            )
        pts.append(end)
    outline = np.vstack(pts).astype(np.float32)
    return ObjectRender(box_of(outline), outline)
