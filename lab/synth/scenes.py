"""Scene backgrounds: render once from a :class:`SceneSpec`, reuse for every frame of a clip."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from lab.synth import scenes_indoor, scenes_outdoor
from lab.synth.layout import SceneLayout


class SceneKind(StrEnum):
    CORRIDOR = "corridor"
    STAIRWELL = "stairwell"
    ELEVATOR = "elevator"
    ELEVATOR_TOPDOWN = "elevator_topdown"
    BIKE_SHED = "bike_shed"
    FACADE = "facade"


@dataclass(frozen=True)
class SceneSpec:
    """A background: ``kind``, size in pixels, and the seed of all its random parameters."""

    kind: SceneKind
    width: int
    height: int
    seed: int


@dataclass(frozen=True)
class Scene:
    """A rendered background: ``image`` (H, W, 3) uint8 BGR and where things can go."""

    image: np.ndarray
    layout: SceneLayout


_RENDERERS = {
    SceneKind.CORRIDOR: scenes_indoor.corridor,
    SceneKind.STAIRWELL: scenes_indoor.stairwell,
    SceneKind.ELEVATOR: scenes_indoor.elevator,
    SceneKind.ELEVATOR_TOPDOWN: scenes_indoor.elevator_topdown,
    SceneKind.BIKE_SHED: scenes_outdoor.bike_shed,
    SceneKind.FACADE: scenes_outdoor.facade,
}


def render_scene(spec: SceneSpec) -> Scene:
    """Render the background (deterministic in ``spec``). Copy ``image`` before drawing on it."""
    rng = np.random.default_rng([spec.seed, list(SceneKind).index(spec.kind)])
    image, layout = _RENDERERS[spec.kind](rng, spec.width, spec.height)
    return Scene(image, layout)


def render_photo_scene(photo: np.ndarray, width: int, height: int, seed: int) -> Scene:
    """A background cut from a real photo (H, W, 3) BGR, with a guessed floor band."""
    image, layout = scenes_outdoor.photo(np.random.default_rng(seed), photo, width, height)
    return Scene(image, layout)
