"""Pasting real object crops into a background: size from the floor's scale, soft edges, colour.

A crop is scaled so its object has a plausible real height where it stands (``px_per_m`` of the
ground row), stood with its box's bottom on that row, feathered over a few pixels at the
rectangle's edge and nudged toward the background's colour. Labels move with the pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lab.synth.compose import Label
from lab.synth.placement import Spot, class_id
from lab.synth.real_crops import Crop
from vision.kinds import ObjectKind

_EBIKE = class_id(ObjectKind.EBIKE)
_SIZE_M = {  # (height range, widest plausible box) in metres, per pasted class
    _EBIKE: ((1.0, 1.2), 1.9),
    class_id(ObjectKind.PERSON): ((1.55, 1.85), 1.0),
}
_MAX_FRAME = 0.92  # a pasted object's box never exceeds this share of the frame's height/width
_SEATED_ASPECT = 1.6  # a person box less tall than this times its width is not standing
_MIN_HEIGHT_PX = 28.0  # nor gets smaller than this: too small to learn from


@dataclass(frozen=True)
class Pasted:
    """What one paste left in the image: labels (px, in the image) and the crop's rectangle."""

    labels: tuple[Label, ...]
    rect: tuple[float, float, float, float]


def crop_scale(crop: Crop, px_per_m: float, rng: np.random.Generator, w: int, h: int) -> float:
    """Resize factor putting the crop's object at a real height for ``px_per_m``."""
    main = crop.labels[0]
    bw, bh = main.box[2] - main.box[0], main.box[3] - main.box[1]
    (lo, hi), widest = _SIZE_M[main.class_id]
    if main.class_id != _EBIKE and bh < _SEATED_ASPECT * bw:  # a seated or crouching person
        lo, hi = 1.1, 1.35
    scale = min(float(rng.uniform(lo, hi)) * px_per_m / bh, widest * px_per_m / bw)
    return min(max(scale, _MIN_HEIGHT_PX / bh), _MAX_FRAME * h / bh, _MAX_FRAME * w / bw)


def _feather(h: int, w: int) -> np.ndarray:
    """(h, w, 1) float32 alpha: 1 inside, ramping to 0 over a few px at the rectangle's edge."""
    f = float(np.clip(min(h, w) * 0.04, 2.0, 6.0))
    ramp_y = np.clip((np.minimum(np.arange(h), np.arange(h)[::-1]) + 0.5) / f, 0, 1)
    ramp_x = np.clip((np.minimum(np.arange(w), np.arange(w)[::-1]) + 0.5) / f, 0, 1)
    return np.outer(ramp_y, ramp_x).astype(np.float32)[..., None]


def _match_colour(pixels: np.ndarray, under: np.ndarray, strength: float) -> np.ndarray:
    """Move the crop's per-channel mean part of the way toward what it covers (light touch)."""
    gain = (under.reshape(-1, 3).mean(0) + 1) / (pixels.reshape(-1, 3).mean(0) + 1)
    gain = np.clip(gain, 0.6, 1.6) ** strength
    return pixels * gain.astype(np.float32)


def paste_crop(
    image: np.ndarray,
    crop: Crop,
    pixels: np.ndarray,
    spot: Spot,
    scale: float,
    rng: np.random.Generator,
) -> Pasted:
    """Paste ``pixels`` (the crop's region, (h, w, 3) uint8) into ``image`` in place, scaled by
    ``scale``, its object's box bottom-centre on ``spot`` (moved inside the frame if needed)."""
    ih, iw = image.shape[:2]
    ch, cw = max(2, round(pixels.shape[0] * scale)), max(2, round(pixels.shape[1] * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    patch = cv2.resize(pixels, (cw, ch), interpolation=interp).astype(np.float32)
    sx, sy = cw / pixels.shape[1], ch / pixels.shape[0]
    boxes = np.array([lb.box for lb in crop.labels]) * np.array([sx, sy, sx, sy])
    if rng.random() < 0.5:
        patch = patch[:, ::-1]
        boxes = np.stack([cw - boxes[:, 2], boxes[:, 1], cw - boxes[:, 0], boxes[:, 3]], 1)
    main = boxes[0]
    ox = float(np.clip(spot.x - (main[0] + main[2]) / 2, -main[0], iw - main[2]))
    oy = float(np.clip(spot.y - main[3], -main[1], ih - main[3]))
    x0, y0 = round(ox), round(oy)
    ix0, iy0, ix1, iy1 = max(0, x0), max(0, y0), min(iw, x0 + cw), min(ih, y0 + ch)
    part = patch[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0]
    under = image[iy0:iy1, ix0:ix1].astype(np.float32)
    alpha = _feather(ch, cw)[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0]
    part = _match_colour(part, under, float(rng.uniform(0.15, 0.4)))
    image[iy0:iy1, ix0:ix1] = np.clip(part * alpha + under * (1 - alpha), 0, 255).astype(np.uint8)
    moved = boxes + np.array([x0, y0, x0, y0])
    labels = tuple(
        Label(lb.class_id, (float(b[0]), float(b[1]), float(b[2]), float(b[3])))
        for lb, b in zip(crop.labels, moved, strict=True)
    )
    return Pasted(labels, (float(ix0), float(iy0), float(ix1), float(iy1)))


def covered_share(
    box: tuple[float, float, float, float], rects: list[tuple[float, float, float, float]]
) -> float:
    """The largest share of ``box``'s area any one of ``rects`` covers."""
    area = max(1e-6, (box[2] - box[0]) * (box[3] - box[1]))
    best = 0.0
    for r in rects:
        iw = min(box[2], r[2]) - max(box[0], r[0])
        ih = min(box[3], r[3]) - max(box[1], r[1])
        if iw > 0 and ih > 0:
            best = max(best, iw * ih / area)
    return best
