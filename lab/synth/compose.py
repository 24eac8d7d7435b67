"""One labelled training image from ``(seed, index)`` alone: scene, objects, cables, camera."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from lab.synth.cables import MIN_CABLE_SIDE_PX, draw_cable
from lab.synth.camera import apply_camera, sample_camera
from lab.synth.clutter import clutter_model, draw_wall_pipes
from lab.synth.layout import SceneLayout, draw_foreground
from lab.synth.placement import (
    NEGATIVE,
    Drawn,
    Placed,
    Spot,
    class_id,
    densify,
    draw_placed,
    pick_spot,
    random_yaw,
    single_model,
    vehicle_group,
)
from lab.synth.scenes import Scene, SceneKind, SceneSpec, render_photo_scene, render_scene
from lab.synth.shapes import pad_box
from lab.synth.specs import sample_cable
from vision.kinds import ObjectKind

_SCENE_WEIGHTS = {
    SceneKind.CORRIDOR: 0.22,
    SceneKind.STAIRWELL: 0.17,
    SceneKind.ELEVATOR: 0.12,
    SceneKind.ELEVATOR_TOPDOWN: 0.13,
    SceneKind.BIKE_SHED: 0.16,
    SceneKind.FACADE: 0.20,
}
_CABLE_CHANCE = {
    "corridor": 0.65,
    "stairwell": 0.65,
    "elevator": 0.05,
    "elevator_topdown": 0.0,
    "bike_shed": 0.55,
    "facade": 0.9,
    "photo": 0.55,
}
_MIN_VISIBLE = 0.35


@dataclass(frozen=True)
class SampleOptions:
    """``width`` x ``height``: the usual 16:9 frame; top-down elevator views use 4:3 at the same
    height. ``photos``: real background images, used for ``photo_share`` of the samples."""

    width: int = 640
    height: int = 360
    photos: tuple[Path, ...] = ()
    photo_share: float = 0.25


@dataclass(frozen=True)
class Label:
    """A labelled box in pixels (x0, y0, x1, y1), clipped to the image."""

    class_id: int
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class Sample:
    image: np.ndarray  # (H, W, 3) uint8 BGR
    labels: tuple[Label, ...]
    jpeg_quality: int
    scene: str


def _scene(rng: np.random.Generator, opts: SampleOptions) -> Scene:
    if opts.photos and rng.random() < opts.photo_share:
        path = opts.photos[int(rng.integers(len(opts.photos)))]
        photo = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if photo is not None:
            return render_photo_scene(photo, opts.width, opts.height, int(rng.integers(2**31)))
    kinds = list(_SCENE_WEIGHTS)
    kind = kinds[
        int(
            rng.choice(
                len(kinds), p=np.array(list(_SCENE_WEIGHTS.values())) / sum(_SCENE_WEIGHTS.values())
            )
        )
    ]
    w, h = opts.width, opts.height
    if kind == SceneKind.ELEVATOR_TOPDOWN or rng.random() < 0.1:
        w = round(h * 4 / 3 / 2) * 2
    return render_scene(SceneSpec(kind, w, h, int(rng.integers(2**31))))


def _vehicles(
    rng: np.random.Generator, layout: SceneLayout, n: int, pusher_p: float
) -> list[Placed]:
    items = []
    for _ in range(n):
        kind = ObjectKind.EBIKE if rng.random() < 0.78 else ObjectKind.BICYCLE
        models, ids, plug = vehicle_group(rng, kind, bool(rng.random() < pusher_p))
        spot = pick_spot(rng, layout, 16.0)
        items.append(Placed(spot, random_yaw(rng), tuple(models), tuple(ids), plug))
    return items


def _parked_row(rng: np.random.Generator, layout: SceneLayout) -> list[Placed]:
    """A row of parked bikes side by side, as in a bike shed."""
    spot = pick_spot(rng, layout, 14.0, near_bias=1.0)
    yaw = float(rng.choice([-90.0, 90.0, -60.0, 60.0, -120.0])) + float(rng.normal(0, 6))
    gap = spot.px_per_m * rng.uniform(0.55, 0.9)
    items = []
    for k in range(int(rng.integers(2, 8))):
        kind = ObjectKind.EBIKE if rng.random() < 0.75 else ObjectKind.BICYCLE
        models, ids, plug = vehicle_group(rng, kind, False)
        s = Spot(spot.x + (k - 2) * gap, spot.y + float(rng.normal(0, 2)), spot.px_per_m)
        items.append(Placed(s, yaw + float(rng.normal(0, 5)), tuple(models), tuple(ids), plug))
    return items


def _closeup(rng: np.random.Generator, layout: SceneLayout, h: int) -> Placed:
    models, ids, plug = vehicle_group(rng, ObjectKind.EBIKE, bool(rng.random() < 0.2))
    g = layout.ground
    x0, x1 = g.x_range(g.y_near)
    spot = Spot(float(rng.uniform(x0, x1)), float(min(g.y_near, h * rng.uniform(0.85, 1.1))), 1.0)
    target_h = h * rng.uniform(0.55, 1.2)
    return Placed(
        Spot(spot.x, spot.y, target_h / 1.1), random_yaw(rng), tuple(models), tuple(ids), plug
    )


def _population(rng: np.random.Generator, layout: SceneLayout, h: int, empty: bool) -> list[Placed]:
    items: list[Placed] = []
    kind = layout.kind
    for what, p in (("stroller", 0.12), ("wheelchair", 0.08)):
        if rng.random() < (p * 3 if empty else p):
            model, cid = single_model(rng, what)
            items.append(Placed(pick_spot(rng, layout, 16.0), random_yaw(rng), (model,), (cid,)))
    for _ in range(int(rng.integers(0, 4))):
        spot = pick_spot(rng, layout, 12.0)
        items.append(Placed(spot, random_yaw(rng), (clutter_model(rng),), (NEGATIVE,)))
    if empty:
        return items
    n_vehicles = {"elevator": 1, "elevator_topdown": 1, "facade": 2}.get(kind, 3)
    pusher_p = 0.6 if kind.startswith("elevator") else 0.2
    least = 1 if kind.startswith("elevator") and rng.random() < 0.75 else 0
    items += _vehicles(rng, layout, int(rng.integers(least, n_vehicles + 1)), pusher_p)
    if kind == "bike_shed" or (kind in ("facade", "photo", "corridor") and rng.random() < 0.25):
        items += _parked_row(rng, layout)
    for _ in range(int(rng.integers(0, 3))):
        model, cid = single_model(rng, "person")
        items.append(Placed(pick_spot(rng, layout, 12.0), random_yaw(rng), (model,), (cid,)))
    if kind not in ("elevator_topdown", "facade") and rng.random() < 0.15:
        items.append(_closeup(rng, layout, h))
    return items


def _cable_route(
    rng: np.random.Generator, layout: SceneLayout, plugs: list[tuple[float, float]], w: int
) -> np.ndarray | None:
    g = layout.ground
    if layout.windows and rng.random() < 0.85:
        x0, _, x1, y1 = layout.windows[int(rng.integers(len(layout.windows)))]
        start = np.array([rng.uniform(x0, x1), y1])
    elif layout.outlets:
        start = np.array(layout.outlets[int(rng.integers(len(layout.outlets)))])
    else:
        return None
    if plugs and rng.random() < 0.7:
        end = np.array(plugs[int(rng.integers(len(plugs)))])
    else:
        lo, hi = sorted((g.y_far, g.y_far + 0.6 * (g.y_near - g.y_far)))
        y = float(rng.uniform(lo, hi))
        end = np.array([start[0] + rng.normal(0, 0.15 * w), y])
    if abs(end[1] - start[1]) < 10 and abs(end[0] - start[0]) < 20:
        return None
    mids = []
    if rng.random() < 0.5:  # down the wall first, then across
        mids.append(
            [
                start[0] + rng.normal(0, 0.02 * w),
                end[1] - rng.uniform(0, 0.3) * abs(end[1] - start[1]),
            ]
        )
    return np.array([start, *mids, end], float)


def _cables(
    rng: np.random.Generator, image: np.ndarray, layout: SceneLayout, drawn: list[Drawn]
) -> list[Drawn]:
    if rng.random() >= _CABLE_CHANCE.get(layout.kind, 0.3):
        return []
    plugs = [d.plug_xy for d in drawn if d.plug_xy is not None]
    out: list[Drawn] = []
    for _ in range(
        1 + int(rng.random() < 0.35) + int(layout.kind == "facade" and rng.random() < 0.4)
    ):
        route = _cable_route(rng, layout, plugs, image.shape[1])
        if route is None:
            continue
        is_plug = any(np.allclose(route[-1], p) for p in plugs)
        render = draw_cable(image, sample_cable(rng, plug=is_plug), route)
        out.append(
            Drawn(
                class_id(ObjectKind.CABLE),
                densify(render.outline),
                10_000 + len(out),
                -1 - len(out),
            )
        )
    return out


def _labels(drawn: list[Drawn], outlines: list[np.ndarray], w: int, h: int) -> tuple[Label, ...]:
    boxes = [np.concatenate([o.min(0), o.max(0)]) for o in outlines]
    labels = []
    for d, b in zip(drawn, boxes, strict=True):
        if d.class_id == NEGATIVE:
            continue
        area = max(1e-6, (b[2] - b[0]) * (b[3] - b[1]))
        c = np.array([max(0, b[0]), max(0, b[1]), min(w, b[2]), min(h, b[3])])
        if (
            c[2] - c[0] < 3
            or c[3] - c[1] < 3
            or (c[2] - c[0]) * (c[3] - c[1]) / area < _MIN_VISIBLE
        ):
            continue
        if d.class_id != class_id(ObjectKind.CABLE) and _hidden(d, b, drawn, boxes):
            continue
        if d.class_id == class_id(ObjectKind.CABLE):
            c = pad_box(c, MIN_CABLE_SIDE_PX, w, h)
        labels.append(Label(d.class_id, (float(c[0]), float(c[1]), float(c[2]), float(c[3]))))
    return tuple(labels)


def _hidden(d: Drawn, b: np.ndarray, drawn: list[Drawn], boxes: list[np.ndarray]) -> bool:
    """Mostly covered by one object drawn later (nearer), outside its own group."""
    area = max(1e-6, (b[2] - b[0]) * (b[3] - b[1]))
    for other, ob in zip(drawn, boxes, strict=True):
        if (
            other.order <= d.order
            or other.group == d.group
            or other.class_id == class_id(ObjectKind.CABLE)
        ):
            continue
        iw = min(b[2], ob[2]) - max(b[0], ob[0])
        ih = min(b[3], ob[3]) - max(b[1], ob[1])
        if iw > 0 and ih > 0 and iw * ih / area > 0.7:
            return True
    return False


def render_sample(seed: int, index: int, opts: SampleOptions) -> Sample:
    """Image ``index`` of the dataset ``seed``: deterministic in (seed, index, opts)."""
    rng = np.random.default_rng([seed, index])
    scene = _scene(rng, opts)
    image = scene.image.copy()
    h, w = image.shape[:2]
    empty = rng.random() < 0.1
    if scene.layout.kind not in ("elevator_topdown", "photo") and rng.random() < 0.4:
        draw_wall_pipes(rng, image)
    drawn = draw_placed(image, scene.layout, _population(rng, scene.layout, h, empty))
    if not empty:
        drawn += _cables(rng, image, scene.layout, drawn)
    draw_foreground(image, scene.layout)
    cam = sample_camera(rng, fisheye=scene.layout.kind == "elevator_topdown")
    image, outlines = apply_camera(image, cam, [d.outline for d in drawn], rng)
    return Sample(image, _labels(drawn, outlines, w, h), cam.jpeg_quality, scene.layout.kind)
