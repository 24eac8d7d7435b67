"""Measures of a region over the frames of a window, for :mod:`vision.fire`. Pure functions.

``stack`` is a (K, h, w) bool array of one kind of candidate mask over the window's K frames
(oldest first), ``region`` an (h, w) bool region of the work picture, ``areas`` the (K,) lit
pixel counts of the region per frame, ``times`` the (K,) frame times in seconds. Spans are in
seconds, so a measure means the same at any frame rate.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

_KERNEL = np.ones((3, 3), np.uint8)
JITTER_S = 0.05
"""Frame times wobble (sampling, PTS rounding): a span this much short still counts."""


def connected_regions(mask: NDArray[np.bool_]) -> list[NDArray[np.bool_]]:
    """Connected regions of ``mask`` after joining pixels one apart."""
    grown = cv2.dilate(mask.astype(np.uint8), _KERNEL)
    n, labels = cv2.connectedComponents(grown, connectivity=8)
    return [labels == i for i in range(1, n)]


def burns_hot(hots: NDArray[np.bool_], region: NDArray[np.bool_]) -> bool:
    """Whether hot pixels lie in or next to ``region`` on at least half of the (K, h, w)
    frames: a flame's core burns on, a sunlit helmet catches the light once."""
    near = cv2.dilate(region.astype(np.uint8), _KERNEL) > 0
    return float(hots[:, near].any(1).mean()) >= 0.5


def steadily_lit(
    areas: NDArray[np.integer],
    times: NDArray[np.floating],
    min_lit_s: float,
    min_presence: float,
    min_frames: int = 3,
) -> bool:
    """Whether the (K,) areas were lit over ``min_lit_s`` seconds or more (first lit frame to
    last) on ``min_frames`` frames or more (flicker needs on-off-on), and on ``min_presence`` of
    the frames since the first lit one (a blinking LED is dark half of the time)."""
    lit = areas > 0
    if int(lit.sum()) < min_frames:
        return False
    first = int(np.argmax(lit))
    last = len(lit) - 1 - int(np.argmax(lit[::-1]))
    if float(times[last] - times[first]) + JITTER_S < min_lit_s:
        return False
    return float(lit[first:].mean()) >= min_presence


def anchored(
    stack: NDArray[np.bool_], region: NDArray[np.bool_], max_shift: float, centre: bool = True
) -> bool:
    """Whether the region's base (bottom centre of its lit pixels) and, with ``centre``, its
    centre stayed within ``max_shift`` x the region's height from its first lit frame to its
    last: a fire stays where it burns, a car or a person walking carries the colour along (one
    that comes in over the frame's edge keeps its base there, not its centre; smoke keeps its
    base and rises)."""
    rows = np.nonzero(region.any(1))[0]
    height = float(rows[-1] - rows[0] + 1)
    lit = [m & region for m in stack if (m & region).any()]
    (bx0, by0, cy0), (bx1, by1, cy1) = _base(lit[0]), _base(lit[-1])
    shift = math.hypot(bx1 - bx0, by1 - by0)
    if centre:
        shift = max(shift, abs(cy1 - cy0))
    return shift <= max_shift * height


def _base(mask: NDArray[np.bool_]) -> tuple[float, float, float]:
    """x of the centre, y of the bottom and y of the centre of the lit pixels."""
    rows, cols = np.nonzero(mask)
    return float(cols.mean()), float(rows.max()), float(rows.mean())


def shape_flicker(masks: NDArray[np.bool_]) -> float:
    """Share of the pixels lit in (K, N) bool masks that switched at least twice (on-off-on or
    off-on-off); 0 if none is lit. A flame's edge flickers so; a thing moving by lights each
    pixel once (one switch on, one off), a lamp does not switch at all."""
    lit = masks.any(0)
    if not lit.any():
        return 0.0
    switches = (masks[1:] != masks[:-1]).sum(0)
    return float(np.mean(switches[lit] >= 2))


def flicker_over_time(
    masks: NDArray[np.bool_], times: NDArray[np.floating], step_s: float
) -> float:
    """:func:`shape_flicker` of (K, N) masks judged between frames ``step_s`` seconds apart: the
    frames are split into interleaved runs that far apart (one at 2 a second for 0.5 s; two at
    4 a second), and their flickers averaged over the runs of three frames or more. The faster
    the frames, the more runs, not the more switches: a thing moving by or a mask trembling at
    a threshold flickers no more at 6 a second than at 2."""
    if len(times) < 2:
        return 0.0
    period = float(np.median(np.diff(times)))
    runs = max(1, round(step_s / period)) if period > 0 else 1
    judged = [masks[p::runs] for p in range(runs) if len(masks[p::runs]) >= 3]
    return float(np.mean([shape_flicker(m) for m in judged])) if judged else 0.0


def growth_ratio(
    areas: NDArray[np.integer], times: NDArray[np.floating], span_s: float = 0.5
) -> float:
    """Mean lit area over the last ``span_s`` seconds of lit frames over the mean over the first
    ``span_s`` (two frames each at 2 a second); 1 when fewer than 3 frames are lit."""
    lit = areas > 0
    if int(lit.sum()) < 3:
        return 1.0
    area, when = areas[lit].astype(np.float64), times[lit].astype(np.float64)
    early = area[when <= when[0] + span_s + JITTER_S]
    late = area[when >= when[-1] - span_s - JITTER_S]
    return float(late.mean() / early.mean())


def top_rise(stack: NDArray[np.bool_], region: NDArray[np.bool_]) -> float:
    """Rows the region's top climbed from its first lit frame to the last (work pixels)."""
    tops = [int(np.argmax(np.any(m & region, axis=1))) for m in stack if (m & region).any()]
    return float(tops[0] - tops[-1]) if len(tops) >= 2 else 0.0
