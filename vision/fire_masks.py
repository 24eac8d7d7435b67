"""Per-frame pictures and measures for the smoke and fire check (:mod:`vision.fire`). Pure
functions.

Everything is computed on a copy scaled to :data:`WORK_WIDTH` pixels wide (INTER_AREA), so
thresholds do not depend on the stream's resolution and the whole check costs about a
millisecond a frame. Masks are (h, w) bool arrays of that work size. Hot flame cores alone are
looked for finer (:data:`HOT_WIDTH`, another half a millisecond): a distant flame's core is a few
pixels there, and averaged into its surroundings at work size it was not seen for seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from vision.errors import VisionError

WORK_WIDTH = 160
HOT_WIDTH = 640  # hot pixels are found at about this width, then any in a work pixel counts
IR_MAX_CHROMA = 3.0  # mean |Cr-128| + |Cb-128| under this: a monochrome (night IR) picture
FLAT_DETAIL = 2.0  # grey std of a background's fine detail under which nothing shows through

Polygon = Sequence[tuple[float, float]]
NormBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class FlameColour:
    """What a flame pixel looks like (grey levels 0-255 of the work copy).

    Colour pictures: red at least ``min_red``, red >= green >= ``min_green_share`` x red (orange
    to yellow, not the deep red of a jacket), blue below green and at least ``min_red_minus_blue``
    under red (saturated). Monochrome (night IR) pictures: grey at least ``ir_min_grey`` (a flame
    saturates an IR sensor). A flame is a light: somewhere in it burns a *hot* core, yellowish
    white (grey at least ``hot_min_grey``, red at least ``hot_min_red`` and ``hot_min_warmth``
    over blue, blue at least ``hot_min_blue``: whitish, not the saturated yellow of paint), which
    a vest, a jacket, a helmet, a yellow bike frame or a silver reflective stripe lacks."""

    min_red: int = 200
    min_green_share: float = 0.3
    min_red_minus_blue: int = 60
    ir_min_grey: int = 200
    hot_min_grey: int = 215
    hot_min_red: int = 220
    hot_min_warmth: int = 20
    hot_min_blue: int = 130


@dataclass(frozen=True, eq=False)
class WorkFrame:
    """One frame as the check sees it.

    Attributes:
        grey: (h, w) float32 grey levels.
        flame: (h, w) bool pixels of flame colour.
        hot: (h, w) bool near-white hot pixels (in monochrome pictures: the flame pixels).
        chroma: (h, w) float32 |Cr-128| + |Cb-128| (0 for a grey pixel).
        edges: (h, w) float32 gradient magnitude of ``grey`` (3x3 Sobel, 3x3 box blur).
        monochrome: True for a night IR (grey) picture.
    """

    grey: NDArray[np.float32]
    flame: NDArray[np.bool_]
    hot: NDArray[np.bool_]
    chroma: NDArray[np.float32]
    edges: NDArray[np.float32]
    monochrome: bool

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.grey.shape[0]), int(self.grey.shape[1]))


def work_size(width: int, height: int) -> tuple[int, int]:
    """(w, h) of the work copy of a ``width`` x ``height`` frame."""
    return WORK_WIDTH, max(2, round(height * WORK_WIDTH / max(width, 1)))


def work_frame(image: NDArray[np.uint8], colour: FlameColour) -> WorkFrame:
    """Scale an (H, W, 3) BGR uint8 frame down and measure it."""
    if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 2:
        raise VisionError(f"expected an (H, W, 3) BGR image, got shape {image.shape}")
    size = work_size(image.shape[1], image.shape[0])
    small = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)
    ycc = cv2.cvtColor(small, cv2.COLOR_BGR2YCrCb).astype(np.float32)
    grey = ycc[..., 0]
    chroma = np.abs(ycc[..., 1] - 128.0) + np.abs(ycc[..., 2] - 128.0)
    monochrome = float(chroma.mean()) < IR_MAX_CHROMA
    if monochrome:
        flame = hot = np.asarray(grey >= colour.ir_min_grey)
    else:
        flame, hot = _colour_flame(small, colour), hot_cores(image, size, colour)
    return WorkFrame(grey, flame, hot, chroma, edge_energy(grey), monochrome)


def _colour_flame(small: NDArray[np.uint8], c: FlameColour) -> NDArray[np.bool_]:
    b, g, r = (small[..., i].astype(np.int16) for i in range(3))
    return np.asarray(
        (r >= c.min_red)
        & (g <= r)
        & (g >= c.min_green_share * r)
        & (b < g)
        & (r - b >= c.min_red_minus_blue)
    )


def hot_cores(image: NDArray[np.uint8], size: tuple[int, int], c: FlameColour) -> NDArray[np.bool_]:
    """(h, w) bool at work ``size`` (w, h): a work pixel whose area holds a hot pixel of the
    (H, W, 3) BGR ``image`` seen at :data:`HOT_WIDTH` pixels wide or a little more (the
    frame shrunk by a whole factor, which is cheap)."""
    height, width = image.shape[:2]
    step = max(1, width // HOT_WIDTH)
    fine = image
    if step > 1:
        fine_size = (width // step, max(2, height // step))
        fine = np.asarray(cv2.resize(image, fine_size, interpolation=cv2.INTER_AREA), np.uint8)
    blue, _, red = cv2.split(fine)
    grey = cv2.cvtColor(fine, cv2.COLOR_BGR2GRAY)
    hot = cv2.bitwise_and(
        cv2.inRange(fine, (c.hot_min_blue, 0, c.hot_min_red), (255, 255, 255)),
        cv2.bitwise_and(
            cv2.threshold(grey, c.hot_min_grey - 1, 255, cv2.THRESH_BINARY)[1],
            cv2.threshold(cv2.subtract(red, blue), c.hot_min_warmth - 1, 255, cv2.THRESH_BINARY)[1],
        ),
    )
    return np.asarray(cv2.resize(hot, size, interpolation=cv2.INTER_AREA) > 0)


def edge_energy(grey: NDArray[np.float32]) -> NDArray[np.float32]:
    """(h, w) float32 |d/dx| + |d/dy| (3x3 Sobel), smoothed by a 3x3 box."""
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    return np.asarray(cv2.blur(np.abs(gx) + np.abs(gy), (3, 3)), np.float32)


def watched_mask(
    polygons: Sequence[Polygon], size: tuple[int, int], rise: float
) -> NDArray[np.bool_]:
    """(h, w) bool: the zones' polygons (normalized vertices) at work ``size`` (w, h), each swept
    upward by ``rise`` x the frame height, since flames and smoke rise above the floor they
    start on."""
    w, h = size
    mask = np.zeros((h, w), np.uint8)
    for polygon in polygons:
        if len(polygon) < 3:
            continue
        pts = np.round(np.asarray(polygon, np.float64) * [w - 1, h - 1]).astype(np.int32)
        cv2.fillPoly(mask, [pts], 1)
    up = round(rise * h)
    if up > 0:
        # A pixel is watched when a zone pixel lies at most ``up`` rows below it.
        kernel = np.ones((2 * up + 1, 1), np.uint8)
        kernel[:up] = 0
        mask = np.asarray(cv2.dilate(mask, kernel, anchor=(0, up)), np.uint8)
    return np.asarray(mask > 0)


def boxes_mask(boxes: Sequence[NormBox], size: tuple[int, int]) -> NDArray[np.bool_]:
    """(h, w) bool: the union of normalized (x1, y1, x2, y2) boxes at work ``size`` (w, h)."""
    w, h = size
    mask = np.zeros((h, w), bool)
    for x1, y1, x2, y2 in boxes:
        c1, r1 = max(0, int(np.floor(x1 * w))), max(0, int(np.floor(y1 * h)))
        c2, r2 = min(w, int(np.ceil(x2 * w))), min(h, int(np.ceil(y2 * h)))
        mask[r1:r2, c1:c2] = True
    return mask


@dataclass(frozen=True)
class HazeLook:
    """How a smoke-candidate region differs from the background (see :func:`haze_look`).

    Attributes:
        one_sign: |mean difference| over mean |difference| (1: all lighter or all darker).
        see_through: correlation of the picture's fine detail with the background's (1: the
            background shows through; 0: something opaque covers it); 1 over a flat background.
        edge_ratio: mean gradient of the difference over its mean size, per work pixel (a
            lighting change or a shadow is smooth, well under 1).
    """

    one_sign: float
    see_through: float
    edge_ratio: float


def haze_look(
    grey: NDArray[np.float32], background: NDArray[np.float32], region: NDArray[np.bool_]
) -> HazeLook:
    """Measure ``region`` (h, w bool) of the ``grey`` picture against its ``background``."""
    diff = grey - background
    size = max(float(np.abs(diff[region]).mean()), 1e-6)
    detail = (grey - cv2.blur(grey, (5, 5)))[region]
    behind = (background - cv2.blur(background, (5, 5)))[region]
    detail, behind = detail - detail.mean(), behind - behind.mean()
    spread = float(np.sqrt((detail * detail).sum() * (behind * behind).sum()))
    flat = float(behind.std()) < FLAT_DETAIL
    return HazeLook(
        one_sign=abs(float(diff[region].mean())) / size,
        see_through=1.0 if flat else float((detail * behind).sum()) / max(spread, 1e-6),
        edge_ratio=float(edge_energy(diff.astype(np.float32))[region].mean()) / size,
    )
