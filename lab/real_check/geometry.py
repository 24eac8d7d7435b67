"""Normalized boxes through a moving camera: a viewport (pan and zoom) over a still photo.

Coordinates are normalized to the picture, x right, y down. A :class:`Viewport` shows the square
``[x0, x0 + 1/zoom] x [y0, y0 + 1/zoom]`` of the photo, stretched over the whole frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lab.real_check.sources import Box, TruthBox


@dataclass(frozen=True)
class Viewport:
    x0: float
    y0: float
    zoom: float  # >= 1

    def lerp(self, other: Viewport, u: float) -> Viewport:
        return Viewport(
            self.x0 + (other.x0 - self.x0) * u,
            self.y0 + (other.y0 - self.y0) * u,
            self.zoom + (other.zoom - self.zoom) * u,
        )

    def box(self, xyxy: Box) -> Box:
        """A photo box in frame coordinates (may reach outside [0, 1])."""
        x1, y1, x2, y2 = xyxy
        z = self.zoom
        return ((x1 - self.x0) * z, (y1 - self.y0) * z, (x2 - self.x0) * z, (y2 - self.y0) * z)

    def render(self, image: np.ndarray) -> np.ndarray:
        """(H, W, 3) photo -> the (H, W, 3) frame this viewport shows (bilinear)."""
        h, w = image.shape[:2]
        z = self.zoom
        m = np.array([[z, 0, -self.x0 * w * z], [0, z, -self.y0 * h * z]], np.float64)
        return np.asarray(
            cv2.warpAffine(
                image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            ),
            np.uint8,
        )


FULL_VIEW = Viewport(0.0, 0.0, 1.0)


def clipped(xyxy: Box) -> tuple[Box, float]:
    """The box cut to the unit square and the share of its area left (0 when none)."""
    x1, y1, x2, y2 = xyxy
    area = max((x2 - x1) * (y2 - y1), 1e-12)
    c = (max(x1, 0.0), max(y1, 0.0), min(x2, 1.0), min(y2, 1.0))
    kept = max(c[2] - c[0], 0.0) * max(c[3] - c[1], 0.0)
    return c, kept / area


def visible_boxes(
    view: Viewport, boxes: tuple[TruthBox, ...], min_visible: float = 0.5
) -> tuple[TruthBox, ...]:
    """The boxes the frame shows, cut to it; those less than ``min_visible`` inside are left
    out (a sliver at the frame's edge is not a fair target)."""
    out = []
    for b in boxes:
        box, share = clipped(view.box(b.xyxy))
        if share >= min_visible:
            out.append(TruthBox(b.kind, box))
    return tuple(out)


def expanded(xyxy: Box, margin: float) -> Box:
    """The box grown by ``margin`` of its width and height on each side, cut to [0, 1]."""
    x1, y1, x2, y2 = xyxy
    dx, dy = (x2 - x1) * margin, (y2 - y1) * margin
    return (max(x1 - dx, 0.0), max(y1 - dy, 0.0), min(x2 + dx, 1.0), min(y2 + dy, 1.0))


def center(xyxy: Box) -> tuple[float, float]:
    return ((xyxy[0] + xyxy[2]) / 2, (xyxy[1] + xyxy[3]) / 2)


def inside(point: tuple[float, float], rect: Box) -> bool:
    return rect[0] <= point[0] <= rect[2] and rect[1] <= point[1] <= rect[3]


def rectangle(rect: Box) -> list[tuple[float, float]]:
    """A zone polygon (clockwise from top-left) of a rectangle, rounded to 4 digits."""
    x1, y1, x2, y2 = (round(v, 4) for v in rect)
    return [(x1, y1), (x2, y1), (x2, y2), (x1, y2)]


def smoothstep(u: float) -> float:
    u = min(max(u, 0.0), 1.0)
    return u * u * (3 - 2 * u)


def pad_even(image: np.ndarray) -> np.ndarray:
    """Repeat the last row/column where H or W is odd (H.264 yuv420p needs even sizes)."""
    h, w = image.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return image
    return np.asarray(cv2.copyMakeBorder(image, 0, h % 2, 0, w % 2, cv2.BORDER_REPLICATE), np.uint8)


def rescaled(boxes: tuple[TruthBox, ...], sx: float, sy: float) -> tuple[TruthBox, ...]:
    """Boxes of a picture padded to a larger frame: x times ``sx``, y times ``sy``."""
    return tuple(
        TruthBox(b.kind, (b.xyxy[0] * sx, b.xyxy[1] * sy, b.xyxy[2] * sx, b.xyxy[3] * sy))
        for b in boxes
    )
