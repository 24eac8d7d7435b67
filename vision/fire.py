"""Smoke and fire, classically: colour, flicker, growth and rise over a few seconds of frames.

Pure functions over explicit state (:class:`FireHistory`) on the frames' clock, at whatever rate
the caller samples (the service: ``check_fps`` in shed zones). Every decision is over spans of
time, not counts of frames, so the thresholds mean the same at 2 or 6 frames a second. Per frame
(:mod:`vision.fire_masks`, on a copy 160 pixels wide): flame-coloured pixels (in night IR pictures:
near-saturated ones), hot pixels (a flame's yellowish-white core, found on a finer copy, not in
a person's box: a face or a hand in a highlight looks the same) and smoke-candidate pixels
(greyish, differing from a slowly learned background, outside people's boxes), inside the watched
area. Over the last ``window_s`` seconds (:mod:`vision.fire_regions`), a region must be lit over
``min_lit_s`` seconds or more (on three frames at least) and on ``min_presence`` of the frames
since it first was (a blinking LED is dark half of the time), and stay where it started
(``max_base_shift``: a car or a walking person carries its colour along); then:

* **flame**: hot pixels in or next to it on half of those frames (a vest, a jacket or a helmet
  has no light in it); a *core* (pixels lit on half of those frames) of ``flame_min_px`` or
  more, not mostly inside a person's box; a grey level that really changes there
  (``min_grey_flicker``, over its most changing pixels: not a mask trembling at the colour
  threshold); and a shape that flickers (``min_flicker`` of its pixels switched on-off-on
  between frames ``flicker_step_s`` apart; a lamp or a sun patch does not switch, a thing
  moving by switches each pixel once), or
  flickers somewhat (``min_flicker_growing``) and grows (``growth_ratio``: its area over its
  last ``growth_span_s`` seconds against its first).
* **smoke**: it holds ``smoke_min_px`` or more now, grew by ``smoke_growth``, its top rose by
  ``smoke_rise`` of the frame height while its base stayed, and it looks like haze
  (:func:`vision.fire_masks.haze_look`): it lightens or darkens the background all one way
  (``smoke_one_sign``; a person has dark hair and a light face), the background's detail shows
  through it (``smoke_see_through``; a person is opaque), and its difference has edges
  (``smoke_edge_ratio``; a lighting change or a soft shadow has none); all of it seen in the same
  place over ``smoke_confirm_s`` seconds, never that long unseen (two frames in a row at 2 a
  second; at 4 a second three, or two with a frame between; a spot a person just left is gone
  by then). Smoke needs ``learn_s`` seconds of background.

Thresholds were set on synthetic clips and checked against the real clips in ``../shared``; no
real fire footage was available (see README, "Smoke and fire").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

import cv2
import numpy as np
from numpy.typing import NDArray

from vision.fire_masks import FlameColour, NormBox, WorkFrame, boxes_mask, haze_look, work_frame
from vision.fire_regions import (
    JITTER_S,
    anchored,
    burns_hot,
    connected_regions,
    flicker_over_time,
    growth_ratio,
    steadily_lit,
    top_rise,
)

_CUT_SHARE = 0.3  # this share of the watched area changing at once: lights switched, relearn
_MIN_FRAMES = 3  # flicker (on-off-on) and growth need three frames at least
_SPREAD_PERCENTILE = 90.0


class FireKind(StrEnum):
    FLAME = "flame"
    SMOKE = "smoke"


@dataclass(frozen=True)
class FireThresholds:
    """See the module docstring. Times in seconds, areas in work pixels (160 wide)."""

    window_s: float = 2.6
    min_lit_s: float = 1.0
    flame_min_px: int = 4
    min_presence: float = 0.75
    min_flicker: float = 0.3
    flicker_step_s: float = 0.5
    growth_ratio: float = 1.9
    growth_span_s: float = 0.5
    min_flicker_growing: float = 0.15
    person_share: float = 0.5
    min_grey_flicker: float = 26.0
    max_base_shift: float = 0.3
    smoke: bool = True
    smoke_diff: float = 14.0
    smoke_max_chroma: float = 24.0
    smoke_min_px: int = 40
    smoke_max_base_shift: float = 0.35
    smoke_growth: float = 1.3
    smoke_rise: float = 0.04
    smoke_one_sign: float = 0.75
    smoke_see_through: float = 0.35
    smoke_edge_ratio: float = 0.7
    smoke_confirm_s: float = 0.5
    smoke_at_top: bool = False
    learn_s: float = 2.0
    adapt_s: float = 20.0
    colour: FlameColour = field(default_factory=FlameColour)


@dataclass(frozen=True)
class FireRegion:
    """A region judged to be flame or smoke.

    Attributes:
        kind: flame or smoke.
        box: (x1, y1, x2, y2) normalized to [0, 1] of the frame.
        base: (x, y) normalized: the bottom centre of the region, where the fire sits.
        flicker: share of its pixels that switched on-off-on (0 steady .. 1 all flicker; 0 for
            smoke).
        growth: late over early area of the region (1 = steady).
        score: a confidence in (0, 1].
    """

    kind: FireKind
    box: NormBox
    base: tuple[float, float]
    flicker: float
    growth: float
    score: float


@dataclass(frozen=True, eq=False)
class HazeTrail:
    """Where regions looked like smoke lately: (h, w) float64 arrays, NaN where none.

    Attributes:
        since: since when haze has been seen there, never ``smoke_confirm_s`` or more apart.
        seen: when haze was last seen there.
    """

    since: NDArray[np.float64]
    seen: NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class FireHistory:
    """What the check remembers between frames (all arrays at work size).

    Attributes:
        times: frame times of the masks, oldest first, within ``window_s``.
        greys: (h, w) float32 grey pictures of those frames.
        hots: (h, w) bool hot (near-white) pixels of those frames, in the watched area and
            outside people's boxes.
        flames: (h, w) bool flame masks of those frames.
        smokes: (h, w) bool smoke masks of those frames.
        background: (h, w) float32 learned grey background, or None before the first frame.
        learned_s: seconds of frames folded into the background.
        haze: where regions looked like smoke lately, or None.
    """

    times: tuple[float, ...] = ()
    greys: tuple[NDArray[np.float32], ...] = ()
    flames: tuple[NDArray[np.bool_], ...] = ()
    hots: tuple[NDArray[np.bool_], ...] = ()
    smokes: tuple[NDArray[np.bool_], ...] = ()
    background: NDArray[np.float32] | None = None
    learned_s: float = 0.0
    haze: HazeTrail | None = None


def watch_fire(
    history: FireHistory,
    image: NDArray[np.uint8],
    watched: NDArray[np.bool_],
    people: Sequence[NormBox],
    ts: float,
    t: FireThresholds,
) -> tuple[FireHistory, list[FireRegion]]:
    """One frame: (H, W, 3) BGR ``image`` at ``ts`` s; ``watched`` (h, w) bool at work size
    (:func:`vision.fire_masks.watched_mask`); ``people``: normalized person boxes."""
    frame = work_frame(image, t.colour)
    if history.background is not None and history.background.shape != frame.shape:
        history = FireHistory()  # the stream changed size: start afresh
    outside = watched & ~boxes_mask(people, (frame.shape[1], frame.shape[0]))
    # Monochrome pictures flicker at their bright threshold (noise, compression): drop specks;
    # colour masks are selective enough to keep a distant flame of a pixel or two.
    flame = _clean(frame.flame & watched) if frame.monochrome else frame.flame & watched
    smoke = _smoke_pixels(frame, history, outside, flame, t)
    history = _remember(history, frame, flame, smoke, watched, outside, ts, t)
    if len(history.times) < _MIN_FRAMES:
        return history, []  # too few frames to judge flicker or growth
    person = watched & ~outside
    regions = _flames(history, person, t)
    if t.smoke:
        gap = t.smoke_confirm_s
        hazy = _haze_since(_smokes(history, frame, t), history.haze, ts, gap)
        regions += [r for r, start, _ in hazy if ts - start + JITTER_S >= t.smoke_confirm_s]
        history = replace(history, haze=_trail(hazy, history.haze, ts, gap, frame.shape))
    return history, regions


def _haze_since(
    hazy: list[tuple[FireRegion, NDArray[np.bool_]]],
    before: HazeTrail | None,
    ts: float,
    gap_s: float,
) -> list[tuple[FireRegion, float, NDArray[np.bool_]]]:
    """Each hazy region with since when haze has been there, seen again at most ``gap_s``
    apart: the earliest start of the haze it overlaps that was seen that recently, else now."""
    out = []
    for region, mask in hazy:
        start = ts
        if before is not None and before.since.shape == mask.shape:
            recent = mask & (ts - before.seen <= gap_s + JITTER_S)  # NaN compares False
            if recent.any():
                start = float(before.since[recent].min())
        out.append((region, start, mask))
    return out


def _trail(
    hazy: list[tuple[FireRegion, float, NDArray[np.bool_]]],
    before: HazeTrail | None,
    ts: float,
    gap_s: float,
    shape: tuple[int, int],
) -> HazeTrail | None:
    """The haze remembered after this frame: this frame's, and earlier haze seen within
    ``gap_s`` where none is now."""
    if before is not None and before.since.shape == shape:
        keep = ts - before.seen <= gap_s + JITTER_S
        since, seen = np.where(keep, before.since, np.nan), np.where(keep, before.seen, np.nan)
    else:
        since, seen = np.full(shape, np.nan), np.full(shape, np.nan)
    for _, start, mask in hazy:
        since[mask], seen[mask] = start, ts
    return HazeTrail(since, seen) if not np.isnan(seen).all() else None


def _clean(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Drop lone pixels (noise), keep blobs."""
    opened = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    return np.asarray(opened > 0)


def _smoke_pixels(
    frame: WorkFrame,
    history: FireHistory,
    outside: NDArray[np.bool_],
    flame: NDArray[np.bool_],
    t: FireThresholds,
) -> NDArray[np.bool_]:
    if not t.smoke or history.background is None or history.learned_s < t.learn_s:
        return np.zeros(frame.shape, bool)
    differs = np.abs(frame.grey - history.background) >= t.smoke_diff
    greyish = frame.chroma <= t.smoke_max_chroma
    return _clean(differs & greyish & outside & ~flame)


def _remember(
    history: FireHistory,
    frame: WorkFrame,
    flame: NDArray[np.bool_],
    smoke: NDArray[np.bool_],
    watched: NDArray[np.bool_],
    outside: NDArray[np.bool_],
    ts: float,
    t: FireThresholds,
) -> FireHistory:
    last = history.times[-1] if history.times else None
    if last is not None and ts < last:
        history = FireHistory(background=history.background, learned_s=history.learned_s)
        last = None
    dt = 0.5 if last is None else min(ts - last, t.adapt_s)
    keep = [i for i, old in enumerate(history.times) if ts - old < t.window_s]
    return replace(
        history,
        times=(*(history.times[i] for i in keep), ts),
        greys=(*(history.greys[i] for i in keep), frame.grey),
        hots=(*(history.hots[i] for i in keep), frame.hot & outside),
        flames=(*(history.flames[i] for i in keep), flame),
        smokes=(*(history.smokes[i] for i in keep), smoke),
        background=_learned(history.background, frame.grey, flame | smoke, watched, dt, t),
        learned_s=history.learned_s + dt,
    )


def _learned(
    background: NDArray[np.float32] | None,
    grey: NDArray[np.float32],
    busy: NDArray[np.bool_],
    watched: NDArray[np.bool_],
    dt: float,
    t: FireThresholds,
) -> NDArray[np.float32]:
    """The background with this frame folded in: time constant ``adapt_s``, ten times slower
    where smoke or flame is seen (so a plume is not learned away while it grows); taken whole
    when most of the watched area changed at once (lights switched on, day/night switch)."""
    if background is None:
        return grey.copy()
    if watched.any():
        changed = np.abs(grey - background)[watched] >= t.smoke_diff
        if float(changed.mean()) >= _CUT_SHARE:
            return grey.copy()
    alpha = np.where(busy, 0.1, 1.0).astype(np.float32) * min(1.0, dt / t.adapt_s)
    return np.asarray(background + alpha * (grey - background), np.float32)


def _flames(history: FireHistory, person: NDArray[np.bool_], t: FireThresholds) -> list[FireRegion]:
    stack = np.stack(history.flames)
    times = np.asarray(history.times)
    greys = np.stack(history.greys)
    hots = np.stack(history.hots)
    found = []
    for region in connected_regions(np.asarray(stack.any(0))):
        masks = stack[:, region]
        areas = masks.sum(1)
        if not steadily_lit(areas, times, t.min_lit_s, t.min_presence) or not anchored(
            stack, region, t.max_base_shift
        ):
            continue
        first = int(np.argmax(areas > 0))
        if not burns_hot(hots[first:], region):
            continue  # no light in it: a vest, a jacket, a helmet
        since = masks[first:]
        core = since.sum(0) >= math.ceil(len(since) / 2)
        size = int(core.sum())
        if size < t.flame_min_px or (core & person[region]).sum() >= t.person_share * size:
            continue
        if _grey_spread(greys[first:, region]) < t.min_grey_flicker:
            continue  # the mask only trembles at the colour threshold (compression, noise)
        flicker = flicker_over_time(since, times[first:], t.flicker_step_s)
        growth = growth_ratio(areas, times, t.growth_span_s)
        flickers = flicker >= t.min_flicker
        grows = growth >= t.growth_ratio and flicker >= t.min_flicker_growing
        if flickers or grows:
            score = min(1.0, 0.5 + flicker + 0.1 * max(0.0, growth - 1.0))
            found.append(_region(FireKind.FLAME, region, flicker, growth, score))
    return found


def _grey_spread(greys: NDArray[np.float32]) -> float:
    """How much the grey level of the (K, n) pixels changes over K frames: the 90th percentile
    of each pixel's standard deviation. A flame's changing part may be a few of a small
    region's pixels (a mean drowned them: seconds late on distant flames); a mask trembling at
    the colour threshold changes little anywhere."""
    return float(np.percentile(greys.std(0), _SPREAD_PERCENTILE))


def _smokes(
    history: FireHistory, frame: WorkFrame, t: FireThresholds
) -> list[tuple[FireRegion, NDArray[np.bool_]]]:
    """Regions that look like smoke on this frame, with their (h, w) masks."""
    if history.background is None:
        return []
    stack = np.stack(history.smokes)
    times = np.asarray(history.times)
    h = stack.shape[1]
    found = []
    for region in connected_regions(stack[-1]):
        areas = stack[:, region].sum(1)
        if int(areas[-1]) < t.smoke_min_px or not steadily_lit(
            areas, times, t.min_lit_s, t.min_presence
        ):
            continue
        if not anchored(stack, region, t.smoke_max_base_shift, centre=False):
            continue
        if not t.smoke_at_top and (stack[-1] & region)[0].any():
            continue  # at the top of the picture: its rise is cut off (a head, a lamp's glow)
        growth = growth_ratio(areas, times, t.growth_span_s)
        rise = top_rise(stack, region) / h
        if growth < t.smoke_growth or rise < t.smoke_rise:
            continue
        look = haze_look(frame.grey, history.background, stack[-1] & region)
        if (
            look.one_sign >= t.smoke_one_sign
            and look.see_through >= t.smoke_see_through
            and look.edge_ratio >= t.smoke_edge_ratio
        ):
            score = min(1.0, 0.5 + 0.25 * (growth - 1.0) + rise)
            mask = stack[-1] & region
            found.append((_region(FireKind.SMOKE, mask, 0.0, growth, score), mask))
    return found


def _region(
    kind: FireKind, mask: NDArray[np.bool_], flicker: float, growth: float, score: float
) -> FireRegion:
    h, w = mask.shape
    rows, cols = np.nonzero(mask)
    x1, x2 = float(cols.min()) / w, float(cols.max() + 1) / w
    y1, y2 = float(rows.min()) / h, float(rows.max() + 1) / h
    box = (x1, y1, x2, y2)
    return FireRegion(kind, box, ((x1 + x2) / 2, y2), round(flicker, 3), round(growth, 3), score)
