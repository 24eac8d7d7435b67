"""One training image of real crops on a background: a rendered scene or a real frame.

Rendered scenes (empty rooms from :mod:`lab.synth.scenes`; not the top-down elevator, where
side-view photos would look wrong) get 1-3 crops standing on the scene's
floor at its perspective scale, then the synthetic camera (lens, light, blur, noise). Real frames
(people only, e.g. clinic CCTV) keep their labelled people and get 1-2 e-bikes on the lower half
of the floor, sized from the nearest person, then only a light blur and sensor noise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from lab.synth.camera import CameraSpec, apply_camera, sample_camera
from lab.synth.compose import Label
from lab.synth.errors import DatasetSourceError
from lab.synth.layout import draw_foreground
from lab.synth.paste import Pasted, covered_share, crop_scale, paste_crop
from lab.synth.placement import Spot, class_id, densify, pick_spot
from lab.synth.real_crops import Crop
from lab.synth.scenes import SceneKind, SceneSpec, render_scene
from lab.synth.yolo_labels import read_yolo
from vision.kinds import ObjectKind

_PERSON = class_id(ObjectKind.PERSON)
_SCENES = {
    SceneKind.CORRIDOR: 0.25,
    SceneKind.STAIRWELL: 0.2,
    SceneKind.ELEVATOR: 0.25,
    SceneKind.BIKE_SHED: 0.22,
}
_HIDDEN = 0.6  # a label this covered by a later paste is dropped
_MIN_VISIBLE = 0.35
_PUSHER_CHANCE = 0.2
_PUSHER_COVER = 0.35  # a pusher covering more of its bike is undone


@dataclass(frozen=True)
class RealBackground:
    """A real frame and its labels; ``table`` maps its label classes to our class ids."""

    image: Path
    label: Path
    table: dict[int, int]


@dataclass(frozen=True)
class CropPools:
    bikes: tuple[Crop, ...]
    people: tuple[Crop, ...]


@dataclass(frozen=True)
class PasteOptions:
    width: int = 640
    height: int = 360
    real_share: float = 0.3  # of images on a real frame, when real frames are given


@dataclass(frozen=True)
class PasteSample:
    image: np.ndarray  # (H, W, 3) uint8 BGR
    labels: tuple[Label, ...]
    jpeg_quality: int
    background: str  # scene kind, or "real"


def _load_real(
    bg: RealBackground, w: int, h: int, rng: np.random.Generator
) -> tuple[np.ndarray, list[Label]]:
    """The largest random ``w``:``h`` cut of the frame, resized to (w, h), with its labels."""
    src = cv2.imread(str(bg.image), cv2.IMREAD_COLOR)
    if src is None:
        raise DatasetSourceError(f"{bg.image}: not a readable image")
    sh, sw = src.shape[:2]
    cw, ch = min(sw, sh * w / h), min(sh, sw * h / w)
    x0, y0 = float(rng.uniform(0, sw - cw)), float(rng.uniform(0, sh - ch))
    cut = src[round(y0) : round(y0 + ch), round(x0) : round(x0 + cw)]
    image = cv2.resize(cut, (w, h), interpolation=cv2.INTER_AREA)
    k = np.array([w / cw, h / ch, w / cw, h / ch])
    labels = []
    for c, box in read_yolo(bg.label, sw, sh):
        if c not in bg.table:
            continue
        b = (box - np.array([x0, y0, x0, y0])) * k
        labels.append(Label(bg.table[c], (float(b[0]), float(b[1]), float(b[2]), float(b[3]))))
    return image, labels


def _real_spot(rng: np.random.Generator, labels: list[Label], w: int, h: int) -> Spot:
    """A floor point in the lower half, off the labelled people if possible; scale from the
    tallest person whose feet are near that row (1.65 m, scaled by distance below a horizon
    guessed at a quarter of the height; seated people would make bikes too small)."""
    horizon = 0.25 * h
    people = [lb.box for lb in labels if lb.class_id == _PERSON and lb.box[3] > horizon + 10]
    for _ in range(10):
        y, x = float(rng.uniform(0.55, 0.98)) * h, float(rng.uniform(0.08, 0.92)) * w
        if not any(b[0] < x < b[2] and b[1] < y < b[3] for b in people):
            break
    if not people:
        return Spot(x, y, (y - horizon) / 2.4)
    near = [b for b in people if abs(b[3] - y) < 0.2 * h] or [
        min(people, key=lambda b: abs(b[3] - y))
    ]
    tall = max(near, key=lambda b: b[3] - b[1])
    ratio = float(np.clip((y - horizon) / (tall[3] - horizon), 0.6, 1.6))
    return Spot(x, y, (tall[3] - tall[1]) / 1.65 * ratio)


def _plan(rng: np.random.Generator, real: bool) -> list[str]:
    """What to paste, e.g. ["bike", "person"]; a "bike+" is a bike with a person pushing it."""
    n = int(rng.integers(1, 3 if real else 4))
    kinds = ["bike" if real or k == 0 or rng.random() < 0.5 else "person" for k in range(n)]
    return [k + "+" if k == "bike" and rng.random() < _PUSHER_CHANCE else k for k in kinds]


def _paste_all(
    image: np.ndarray,
    plan: list[str],
    pools: CropPools,
    spot: Callable[[], Spot],
    rng: np.random.Generator,
) -> list[Pasted]:
    """Paste far to near (a pusher just after its bike, beside its front or back end)."""
    spots = sorted((spot() for _ in plan), key=lambda s: s.y)
    out = []
    for what, at in zip(plan, spots, strict=True):
        pool = pools.people if what == "person" and pools.people else pools.bikes
        out.append(_paste(image, pool[int(rng.integers(len(pool)))], at, rng))
        if what == "bike+" and pools.people:
            side = float(rng.choice([-1.0, 1.0]))
            bike = out[-1].labels[0].box
            x = (bike[2] if side > 0 else bike[0]) + side * 0.2 * at.px_per_m
            person = pools.people[int(rng.integers(len(pools.people)))]
            before = image.copy()
            pusher = _paste(image, person, Spot(x, at.y + 2, at.px_per_m), rng)
            if covered_share(bike, [pusher.rect]) > _PUSHER_COVER:  # pushed back over the bike
                image[:] = before
            else:
                out.append(pusher)
    return out


def _paste(image: np.ndarray, crop: Crop, at: Spot, rng: np.random.Generator) -> Pasted:
    h, w = image.shape[:2]
    return paste_crop(image, crop, crop.read(), at, crop_scale(crop, at.px_per_m, rng, w, h), rng)


def _visible(background: list[Label], pasted: list[Pasted]) -> list[Label]:
    """Background and pasted labels, less those mostly covered by a later paste."""
    keep = [lb for lb in background if covered_share(lb.box, [p.rect for p in pasted]) <= _HIDDEN]
    for k, p in enumerate(pasted):
        later = [q.rect for q in pasted[k + 1 :]]
        keep += [lb for lb in p.labels if covered_share(lb.box, later) <= _HIDDEN]
    return keep


def _light_camera(rng: np.random.Generator) -> CameraSpec:
    """Only blur and sensor noise: a real frame already went through a real camera."""
    spec = sample_camera(rng)
    return dataclasses.replace(
        spec,
        gain=1.0,
        gamma=1.0,
        white_balance=(1.0, 1.0, 1.0),
        cast=(0.0, 0.0, 0.0),
        gradient=0.0,
        vignette=0.0,
        lens=0.0,
        blur_sigma=min(spec.blur_sigma, 0.7),
        motion_px=0,
        downscale=1.0,
        noise_sigma=min(spec.noise_sigma, 3.0),
        ir_night=False,
        timestamp=False,
        jpeg_quality=max(spec.jpeg_quality, 70),
    )


def _through_camera(
    image: np.ndarray, labels: list[Label], cam: CameraSpec, rng: np.random.Generator
) -> tuple[np.ndarray, tuple[Label, ...]]:
    """Apply ``cam``; boxes follow the lens, are clipped, and dropped if mostly outside."""
    h, w = image.shape[:2]
    outlines = [
        densify(np.array([[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]]], np.float32))
        for b in (lb.box for lb in labels)
    ]
    image, outlines = apply_camera(image, cam, outlines, rng)
    out = []
    for lb, o in zip(labels, outlines, strict=True):
        b = np.concatenate([o.min(0), o.max(0)])
        c = np.array([max(0, b[0]), max(0, b[1]), min(w, b[2]), min(h, b[3])])
        area = max(1e-6, float((b[2] - b[0]) * (b[3] - b[1])))
        if min(c[2] - c[0], c[3] - c[1]) < 3 or (c[2] - c[0]) * (c[3] - c[1]) / area < _MIN_VISIBLE:
            continue
        out.append(Label(lb.class_id, (float(c[0]), float(c[1]), float(c[2]), float(c[3]))))
    return image, tuple(out)


def paste_sample(
    seed: int,
    index: int,
    pools: CropPools,
    backgrounds: tuple[RealBackground, ...],
    opts: PasteOptions,
) -> PasteSample:
    """Image ``index`` of the set ``seed``: deterministic in (seed, index, pools, backgrounds)."""
    rng = np.random.default_rng([seed, index])
    w, h = opts.width, opts.height
    if backgrounds and rng.random() < opts.real_share:
        bg = backgrounds[int(rng.integers(len(backgrounds)))]
        image, bg_labels = _load_real(bg, w, h, rng)
        pasted = _paste_all(
            image, _plan(rng, True), pools, lambda: _real_spot(rng, bg_labels, w, h), rng
        )
        cam, kind = _light_camera(rng), "real"
    else:
        kinds = list(_SCENES)
        weights = np.array(list(_SCENES.values()))
        kind = str(kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))])
        scene = render_scene(SceneSpec(SceneKind(kind), w, h, int(rng.integers(2**31))))
        image, bg_labels = scene.image.copy(), []
        pasted = _paste_all(
            image, _plan(rng, False), pools, lambda: pick_spot(rng, scene.layout, 30.0), rng
        )
        draw_foreground(image, scene.layout)
        cam = sample_camera(rng)
    image, labels = _through_camera(image, _visible(bg_labels, pasted), cam, rng)
    return PasteSample(image, labels, cam.jpeg_quality, kind)
