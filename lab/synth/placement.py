"""Putting objects into a scene: where they stand, how big, how they are seen, and drawing them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lab.synth.layout import SceneLayout
from lab.synth.people import person_model, stroller_model, wheelchair_model
from lab.synth.shapes import Model, Projector, render_group
from lab.synth.specs import (
    PersonPose,
    sample_bicycle,
    sample_ebike,
    sample_person,
    sample_stroller,
    sample_wheelchair,
)
from lab.synth.vehicles import bicycle_model, ebike_model
from vision.kinds import KIND_NAMES, ObjectKind

NEGATIVE = -1
"""Class id of things drawn but never labelled (strollers, wheelchairs)."""


def class_id(kind: ObjectKind) -> int:
    return KIND_NAMES.index(kind.value)


@dataclass(frozen=True)
class Drawn:
    """One drawn object: class id (or :data:`NEGATIVE`), (N, 2) pixel outline, draw order,
    group (objects drawn together, e.g. a person pushing a bike), plug point if any."""

    class_id: int
    outline: np.ndarray
    order: int
    group: int
    plug_xy: tuple[float, float] | None = None


@dataclass(frozen=True)
class Spot:
    """A ground point (pixels) and the scale there."""

    x: float
    y: float
    px_per_m: float


def pick_spot(
    rng: np.random.Generator, layout: SceneLayout, min_px_per_m: float, near_bias: float = 0.7
) -> Spot:
    g = layout.ground
    for _ in range(8):
        y = g.y_far + (g.y_near - g.y_far) * float(rng.random()) ** near_bias
        if g.px_per_m(y) >= min_px_per_m:
            break
    else:
        y = g.y_near
    x0, x1 = g.x_range(y)
    x = float(rng.uniform(x0, x1))
    return Spot(x, y, g.px_per_m(y))


def random_yaw(rng: np.random.Generator) -> float:
    base = float(rng.choice([0.0, 180.0, -90.0, 90.0, -45.0, 45.0, 135.0, -135.0]))
    return base + float(rng.normal(0, 12))


def vehicle_group(
    rng: np.random.Generator, kind: ObjectKind, pusher: bool
) -> tuple[list[Model], list[int], tuple[float, float, float] | None]:
    """Models for an e-bike or bicycle, optionally with a person pushing it (beside it)."""
    plug = None
    if kind == ObjectKind.EBIKE:
        model, plug = ebike_model(sample_ebike(rng))
    else:
        model = bicycle_model(sample_bicycle(rng))
    models, ids = [model], [class_id(kind)]
    if pusher:
        side = float(rng.choice([-1.0, 1.0]))
        person = person_model(sample_person(rng, PersonPose.PUSHING))
        models.append(person.translated(0.0, 0.0, 0.42 * side))
        ids.append(class_id(ObjectKind.PERSON))
    return models, ids, plug


def single_model(rng: np.random.Generator, what: str) -> tuple[Model, int]:
    if what == "person":
        return person_model(sample_person(rng)), class_id(ObjectKind.PERSON)
    if what == "stroller":
        return stroller_model(sample_stroller(rng)), NEGATIVE
    return wheelchair_model(sample_wheelchair(rng)), NEGATIVE


@dataclass(frozen=True)
class Placed:
    """Models to draw together at one ground spot."""

    spot: Spot
    yaw_deg: float
    models: tuple[Model, ...]
    class_ids: tuple[int, ...]
    plug_m: tuple[float, float, float] | None = None
    scale: float = 1.0  # extra magnification (close-ups)


def draw_placed(image: np.ndarray, layout: SceneLayout, items: list[Placed]) -> list[Drawn]:
    """Draw far to near; return every object's outline (densified, for lens distortion)."""
    drawn: list[Drawn] = []
    for group, item in enumerate(sorted(items, key=lambda it: it.spot.y)):
        facing = layout.ground.facing(item.spot.x, item.spot.y, item.yaw_deg)
        proj = Projector((item.spot.x, item.spot.y), item.spot.px_per_m * item.scale, facing)
        renders = render_group(image, item.models, proj)
        plug = proj.point(item.plug_m) if item.plug_m is not None else None
        for cid, r in zip(item.class_ids, renders, strict=True):
            drawn.append(
                Drawn(
                    cid,
                    densify(r.outline),
                    len(drawn),
                    group,
                    plug if cid == class_id(ObjectKind.EBIKE) else None,
                )
            )
    return drawn


def densify(hull: np.ndarray, step_px: float = 6.0) -> np.ndarray:
    """Points along a closed polygon every ~``step_px``, so curved (distorted) edges stay boxed."""
    pts = [hull]
    for a, b in zip(hull, np.roll(hull, -1, axis=0), strict=True):
        n = int(math.hypot(*(b - a)) / step_px)
        if n > 1:
            t = np.linspace(0, 1, n + 1)[1:-1, None]
            pts.append(a + (b - a) * t)
    return np.vstack(pts).astype(np.float32)
