"""A cable finder that does not need the detector: thin, long lines that appear in a zone over
a background that had none. Pure per-frame function plus explicit small state (method and limits:
docs/flying_wire.md, "The cable finder").

Per watched zone, on its bounding rectangle scaled to ``work_width`` pixels per frame width
(never up), in colour:

1. thin change: how far each pixel lies outside its 3x3 background neighbourhood's range, in its
   farthest channel, kept where a white top-hat of ``2 * max_thickness + 1`` leaves it above
   ``min_contrast``: door frames, skirting lines and railings there from the start never change;
2. still: a pixel counts once it has been a thin change on every look for ``still_s`` seconds;
3. pieces: connected components at least ``min_length`` of the frame's shorter side long, at most
   ``max_thickness`` thick, on a thin line of the current picture, with a quiet band around them
   (a wire appears alone, an arm comes with its body); nearby pieces are one cable.

The background is a running average (``background_s``) not updated under found cables, so a
cable stays found while it hangs there; it is learnt again from the frame when more than
``max_changed_fraction`` of the zone changed at once. A cable already hanging when the finder
starts is background: never found.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from vision.detections import Detections
from vision.kinds import KIND_NAMES, ObjectKind
from vision.throttle import too_soon
from vision.zones import Zone

CABLE_ID = KIND_NAMES.index(ObjectKind.CABLE.value)
Found = tuple[float, float, float, float, float]  # x1, y1, x2, y2, score
_CHANGED_GREY = 18  # grey levels (blurred) that count as "changed" against the background
_MIN_ON_RIDGE = 0.6  # share of a piece that must lie on a thin line of the picture
_CLOCK_SLACK_S = 0.05  # frames sampled from 15 or 25 fps land a few ms either side of a second


@dataclass(frozen=True)
class CableFinderParams:
    """Thresholds, in pixels of the working image (frame scaled to ``work_width`` wide) unless said.

    Attributes:
        work_width: frame width the zone crop is scaled to (never up).
        max_thickness: thickest cable, pixels.
        min_length: shortest cable, fraction of the frame's shorter side.
        min_contrast: grey levels a new ridge must stand out by.
        still_s: seconds a new ridge must stay in place before it counts.
        background_s: time constant of the background's running average, seconds.
        max_ring_change: largest changed share of the band around a piece.
        max_changed_fraction: changed share of the zone above which the background is relearnt.
        link_px: gaps this wide within a line are closed (a wire across a like-coloured patch).
        look_every_s: look at the zone at most this often, seconds (0: every frame); frames in
            between get the last look's cables. A flying wire hangs for hours, and a look costs
            about as much CPU as the detector on the frame.
    """

    work_width: int = 640
    max_thickness: int = 10
    min_length: float = 0.2
    min_contrast: int = 20
    still_s: float = 2.5
    background_s: float = 600.0
    max_ring_change: float = 0.35
    max_changed_fraction: float = 0.4
    link_px: int = 7
    look_every_s: float = 1.0


@dataclass(frozen=True)
class WatchedZone:
    """A zone the finder looks in, with its thresholds."""

    zone: Zone
    params: CableFinderParams


@dataclass(frozen=True, eq=False)
class ZoneBackground:
    """What the finder remembers of one zone (arrays at working size, (h, w)).

    Attributes:
        colour: (h, w, 3) float32 running-average background.
        since: float64 steady time each pixel became a new ridge (NaN: it is not one).
        previous: (h, w, 3) uint8 blurred picture of the last look.
        moved_at: float64 steady time each pixel last changed between two looks (-inf: never).
        last_ts: steady time of the last look, seconds.
        found: the cables that look found, boxes in frame pixels.
    """

    colour: NDArray[np.float32]
    since: NDArray[np.float64]
    previous: NDArray[np.uint8]
    moved_at: NDArray[np.float64]
    last_ts: float
    found: tuple[Found, ...] = ()


@dataclass(frozen=True, eq=False)
class CableFinderState:
    """Per-zone backgrounds, by zone name; empty before the first frame."""

    zones: Mapping[str, ZoneBackground] = field(default_factory=dict)


@dataclass(frozen=True)
class _Crop:
    x: int
    y: int
    scale: float  # working pixels per frame pixel
    inside: NDArray[np.bool_]  # inside the zone's polygon, working size
    min_length: float  # working pixels
    frame: tuple[int, int]  # (width, height) of the frame, pixels


def find_cables(
    image: NDArray[np.uint8],
    timestamp: float,
    watched: Sequence[WatchedZone],
    state: CableFinderState,
) -> tuple[Detections, CableFinderState]:
    """Cables found in an (H, W, 3) BGR uint8 frame taken at ``timestamp`` (steady seconds).

    Returns Detections over :data:`KIND_NAMES` (all of the ``cable`` kind, xyxy in frame pixels,
    no track ids) and the new state. ``state`` is not modified."""
    boxes: list[NDArray[np.float32]] = []
    scores: list[float] = []
    zones: dict[str, ZoneBackground] = {}
    for w in watched:
        before = state.zones.get(w.zone.name)
        every_s = w.params.look_every_s
        if before is not None and too_soon(before.last_ts, timestamp, every_s, _CLOCK_SLACK_S):
            zones[w.zone.name] = before
        else:
            crop = _crop_of(w.zone, image.shape[1], image.shape[0], w.params)
            if crop is None:
                continue
            zones[w.zone.name] = _look(_colour(image, crop), crop, timestamp, before, w)
        for *box, score in zones[w.zone.name].found:
            boxes.append(np.array(box, np.float32))
            scores.append(score)
    n = len(boxes)
    found_detections = Detections(
        xyxy=np.array(boxes, np.float32).reshape(n, 4),
        confidence=np.array(scores, np.float32),
        class_id=np.full(n, CABLE_ID, np.int32),
        class_names=KIND_NAMES,
    )
    return found_detections, CableFinderState(zones)


def _widened(x1: float, y1: float, x2: float, y2: float, least: float) -> list[float]:
    """The box grown about its centre to at least ``least`` each way: a straight wire's box is
    a few pixels wide, too narrow to show the wire against what it hangs over."""
    dx, dy = max(0.0, least - (x2 - x1)) / 2, max(0.0, least - (y2 - y1)) / 2
    return [x1 - dx, y1 - dy, x2 + dx, y2 + dy]


def _crop_of(zone: Zone, width: int, height: int, p: CableFinderParams) -> _Crop | None:
    """The zone's bounding rectangle grown by twice the thickness limit (the filters need the
    picture around a wire at the zone's edge), clipped to the frame; None when empty."""
    scale = min(1.0, p.work_width / width)
    margin = 2 * (p.max_thickness + 1) / scale
    poly = np.asarray(zone.polygon, np.float64) * np.array([width, height], np.float64)
    x1, y1 = np.floor(np.clip(poly.min(0) - margin, 0, [width, height])).astype(int)
    x2, y2 = np.ceil(np.clip(poly.max(0) + margin, 0, [width, height])).astype(int)
    w, h = round((x2 - x1) * scale), round((y2 - y1) * scale)
    if min(w, h) < 4:
        return None
    inside = np.zeros((h, w), np.uint8)
    cv2.fillPoly(inside, [np.round((poly - [x1, y1]) * scale).astype(np.int32)], 255)
    min_length = p.min_length * min(width, height) * scale
    return _Crop(int(x1), int(y1), scale, inside > 0, min_length, (width, height))


def _colour(image: NDArray[np.uint8], crop: _Crop) -> NDArray[np.uint8]:
    h, w = crop.inside.shape
    region = image[
        crop.y : crop.y + math.ceil(h / crop.scale), crop.x : crop.x + math.ceil(w / crop.scale)
    ]
    return np.asarray(cv2.resize(region, (w, h), interpolation=cv2.INTER_AREA), np.uint8)


def _look(
    colour: NDArray[np.uint8],
    crop: _Crop,
    ts: float,
    before: ZoneBackground | None,
    w: WatchedZone,
) -> ZoneBackground:
    """The zone's new memory, with the cables found (boxes in frame pixels)."""
    p = w.params
    current = np.asarray(cv2.GaussianBlur(colour, (3, 3), 0), np.uint8)
    if before is None or before.colour.shape != current.shape or ts < before.last_ts:
        return _fresh(current, ts)
    difference = _difference(current, before.colour)
    changed = (difference > _CHANGED_GREY) & crop.inside
    if np.count_nonzero(changed) > p.max_changed_fraction * np.count_nonzero(crop.inside):
        return _fresh(current, ts)
    new = _thin(difference, p) & crop.inside
    since = _since(new, before.since, ts)
    moved = (
        _channel_max(np.asarray(cv2.absdiff(current, before.previous), np.uint8)) > _CHANGED_GREY
    )
    moved_at = np.where(moved, ts, before.moved_at)
    still = new & (ts - since >= p.still_s)
    unsettled = (ts - moved_at < p.still_s) | changed
    pieces, held = _pieces(still, unsettled, current, crop.min_length, p)
    weight = 1.0 - math.exp(-(ts - before.last_ts) / p.background_s)
    background = before.colour.copy()
    cv2.accumulateWeighted(current, background, weight, mask=255 - held)
    found = tuple(_in_frame(piece, crop, p) for piece in pieces)
    return ZoneBackground(background, since, current, moved_at, ts, found)


def _in_frame(piece: Found, crop: _Crop, p: CableFinderParams) -> Found:
    """A piece's box (working pixels) widened to two thicknesses, in frame pixels."""
    x1, y1, x2, y2, score = piece
    corners = np.array(_widened(x1, y1, x2, y2, 2 * p.max_thickness)) / crop.scale
    shifted = corners + np.array([crop.x, crop.y] * 2, np.float32)
    box = np.clip(shifted, 0, np.array(crop.frame * 2, np.float32)).astype(np.float32)
    return (float(box[0]), float(box[1]), float(box[2]), float(box[3]), score)


def _fresh(current: NDArray[np.uint8], ts: float) -> ZoneBackground:
    shape = current.shape[:2]
    never = np.full(shape, -np.inf)
    return ZoneBackground(current.astype(np.float32), np.full(shape, np.nan), current, never, ts)


def _difference(current: NDArray[np.uint8], background: NDArray[np.float32]) -> NDArray[np.uint8]:
    """(h, w) uint8: how far each pixel lies outside the range of the background's 3x3
    neighbourhood, in the colour channel where it lies farthest (a pixel of camera jitter along
    a door frame's edge is no change; an orange wire on a grey road of its brightness is)."""
    near = np.ones((3, 3), np.uint8)
    rounded = np.asarray(cv2.convertScaleAbs(background), np.uint8)
    above = cv2.subtract(current, cv2.dilate(rounded, near))
    below = cv2.subtract(cv2.erode(rounded, near), current)
    return _channel_max(np.asarray(cv2.max(above, below), np.uint8))


def _channel_max(colour: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """(h, w, 3) -> (h, w): the largest of the three channels (cv2: numpy's is slow here)."""
    b, g, r = cv2.split(colour)
    return np.asarray(cv2.max(cv2.max(b, g), r), np.uint8)


def _thin(difference: NDArray[np.uint8], p: CableFinderParams) -> NDArray[np.bool_]:
    """Changes thinner than the cable limit (a white top-hat of the difference).

    A top-hat never exceeds its input, so only pixels whose difference passes ``min_contrast``
    can pass; the filter runs on their bounding rectangle grown by twice the kernel's reach
    (beyond that the result is the same as on the whole picture), nowhere when there are none.
    """
    thin = np.zeros(difference.shape, np.bool_)
    candidates = cv2.findNonZero((difference > p.min_contrast).view(np.uint8))
    if candidates is None:
        return thin
    x, y, w, h = cv2.boundingRect(candidates)
    reach = 2 * p.max_thickness + 2
    x0, y0 = max(0, x - reach), max(0, y - reach)
    x1, y1 = min(difference.shape[1], x + w + reach), min(difference.shape[0], y + h + reach)
    size = 2 * p.max_thickness + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    window = difference[y0:y1, x0:x1]
    thin[y0:y1, x0:x1] = cv2.morphologyEx(window, cv2.MORPH_TOPHAT, kernel) > p.min_contrast
    return thin


def _since(new: NDArray[np.bool_], before: NDArray[np.float64], ts: float) -> NDArray[np.float64]:
    """When each new-ridge pixel became one; a pixel inherits the earliest time of its 3x3
    neighbours (a thin line flickers by a pixel between frames)."""
    if not new.any():
        return np.full(new.shape, np.nan)
    earliest = cv2.erode(np.nan_to_num(before, nan=np.inf), np.ones((3, 3), np.uint8))
    return np.where(new, np.where(np.isfinite(earliest), earliest, ts), np.nan)


def _pieces(
    still: NDArray[np.bool_],
    changed: NDArray[np.bool_],
    current: NDArray[np.uint8],
    min_length: float,
    p: CableFinderParams,
) -> tuple[list[Found], NDArray[np.uint8]]:
    """Cable-like pieces of the still mask (boxes in working pixels, score) and a uint8 mask
    (255) of where they lie, grown by the thickness limit."""
    if not still.any():
        return [], np.zeros(still.shape, np.uint8)
    linked = cv2.morphologyEx(
        still.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((p.link_px, p.link_px), np.uint8)
    )
    count, labels, stats, _ = cv2.connectedComponentsWithStats(linked, connectivity=8)
    held = np.zeros(still.shape, np.uint8)
    found = []
    for label in range(1, count):
        x, y, bw, bh = (int(v) for v in stats[label, :4])
        if math.hypot(bw, bh) < 0.5 * min_length:
            continue
        pad = 2 * p.max_thickness + 2
        x0, y0 = max(0, x - pad), max(0, y - pad)
        x1, y1 = min(still.shape[1], x + bw + pad), min(still.shape[0], y + bh + pad)
        piece = (labels[y0:y1, x0:x1] == label).astype(np.uint8)
        length = _length(piece)
        if length < min_length or _thickness(piece) > p.max_thickness:
            continue
        if _ring_change(piece, changed[y0:y1, x0:x1], p) > p.max_ring_change:
            continue
        if _on_ridge(piece, current[y0:y1, x0:x1], p) < _MIN_ON_RIDGE:
            continue
        grown = np.asarray(cv2.dilate(piece, np.ones((pad, pad), np.uint8)), np.uint8)
        held[y0:y1, x0:x1] |= grown * np.uint8(255)
        score = min(1.0, 0.6 + 0.4 * (length / min_length - 1.0))
        found.append((float(x), float(y), float(x + bw), float(y + bh), score))
    return _joined(found, 4.0 * p.max_thickness), held


def _thickness(piece: NDArray[np.uint8]) -> float:
    """Median width across the piece's middle line, pixels (a plug or a brick at a wire's end
    does not thicken the wire)."""
    distance = cv2.distanceTransform(piece, cv2.DIST_L2, 3)
    middle = (distance >= cv2.dilate(distance, np.ones((3, 3), np.uint8))) & (piece > 0)
    return 2.0 * float(np.median(distance[middle])) if middle.any() else 0.0


def _joined(found: list[Found], gap: float) -> list[Found]:
    """Pieces whose boxes come within ``gap`` pixels of each other as one (a wire broken where
    it crosses something of its colour is one wire, one sighting)."""
    pieces = list(found)
    merged = True
    while merged:
        merged = False
        for i in range(len(pieces)):
            for j in range(i + 1, len(pieces)):
                a, b = pieces[i], pieces[j]
                if (
                    a[0] - gap <= b[2]
                    and b[0] - gap <= a[2]
                    and a[1] - gap <= b[3]
                    and b[1] - gap <= a[3]
                ):
                    pieces[i] = (
                        min(a[0], b[0]),
                        min(a[1], b[1]),
                        max(a[2], b[2]),
                        max(a[3], b[3]),
                        max(a[4], b[4]),
                    )
                    del pieces[j]
                    merged = True
                    break
            if merged:
                break
    return pieces


def _length(piece: NDArray[np.uint8]) -> float:
    """Half the outer contour's perimeter: the length of a thin piece, in pixels."""
    contours, _ = cv2.findContours(piece, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    return max(cv2.arcLength(c, closed=True) for c in contours) / 2


def _ring_change(
    piece: NDArray[np.uint8], changed: NDArray[np.bool_], p: CableFinderParams
) -> float:
    """Changed share of the band between ``max_thickness`` and twice that around the piece."""
    inner = cv2.dilate(piece, np.ones((2 * p.max_thickness + 1,) * 2, np.uint8))
    outer = cv2.dilate(piece, np.ones((4 * p.max_thickness + 1,) * 2, np.uint8))
    band = (outer > 0) & (inner == 0)
    return float(np.count_nonzero(band & changed)) / max(1, int(np.count_nonzero(band)))


def _on_ridge(piece: NDArray[np.uint8], colour: NDArray[np.uint8], p: CableFinderParams) -> float:
    """Share of the piece lying on a thin line of the current picture, bright or dark in some
    colour channel: a wire is one; the sliver a swaying body uncovers along its edge is not."""
    size = 2 * p.max_thickness + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    bright = cv2.morphologyEx(colour, cv2.MORPH_TOPHAT, kernel)
    dark = cv2.morphologyEx(colour, cv2.MORPH_BLACKHAT, kernel)
    ridge = _channel_max(np.asarray(cv2.max(bright, dark), np.uint8)) > p.min_contrast
    inside = piece > 0
    return float(np.count_nonzero(ridge & inside)) / max(1, int(np.count_nonzero(inside)))


def merge_found(kinds: Detections, found: Detections, trusted: float) -> Detections:
    """``kinds`` (over :data:`KIND_NAMES`) plus the ``found`` cables that no detected cable box
    scored at least ``trusted`` already covers (one cable, one sighting; a weaker box, which
    could start no track, does not hide a found cable): half of the found box inside one; and
    that do not lie on a detected person (the outline of someone who stood still and then shifted
    is a long thin change too): 80 % of the found box inside one (a wire hung across a seated
    person's box still counts)."""
    if len(found) == 0:
        return kinds
    cables = kinds.of_class(ObjectKind.CABLE.value)
    taken = cables.xyxy[cables.confidence >= np.float32(trusted)]
    people = kinds.of_class(ObjectKind.PERSON.value).xyxy
    covered = _inside(found.xyxy, taken, 0.5) | _inside(found.xyxy, people, 0.8)
    return Detections.concatenate([kinds, found[~covered]], KIND_NAMES)


def _inside(
    boxes: NDArray[np.float32], others: NDArray[np.float32], share: float
) -> NDArray[np.bool_]:
    """(N,) whether ``share`` of each of the (N, 4) xyxy ``boxes`` lies in one of ``others``."""
    if len(others) == 0:
        return np.zeros(len(boxes), bool)
    a, b = boxes[:, None, :], others[None, :, :]
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    area = np.maximum((a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1]), 1e-6)
    return np.asarray((iw * ih >= share * area).any(axis=1))
