"""Storyboards with battery fires in a bike shed, and the hard negatives beside them.

:func:`shed_fire` is the bundled sample clip. :func:`fire_set_storyboard` draws the clips of the
held-out set that ``stairwatch synth fire-clips`` renders and ``stairwatch eval`` scores: a
covered bike shed (one ``shed`` zone over its floor) with one to three parked e-bikes, by day or
by night in infrared (grey); a positive clip has a fire at one bike's battery (flames, smoke or
both, light or dark smoke), a negative one a thing that looks like fire to a colour check and is
not: a person in a red or orange jacket walking by or stopping at a bike, a steady orange lamp,
a charger's blinking LED, a patch of sunlight drifting over the floor. Positives get one of
those distractors too, half of the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lab.synth.clips import render_clip
from lab.synth.errors import SynthError
from lab.synth.scenes import SceneKind, SceneSpec, render_scene
from lab.synth.specs import EbikeBody
from lab.synth.storyboard import (
    Actor,
    ActorKind,
    Blaze,
    FloorArea,
    Light,
    LightKind,
    PlugOf,
    Storyboard,
    Waypoint,
    ZonePlan,
    clip_camera,
    parked,
)
from stairwatch.evaluation.sidecar import Sidecar
from vision.zones import ZoneKind

_DAY = 86400
SET_DURATION_S = 12.0
JACKETS = ((30, 40, 215), (20, 110, 250), (40, 80, 230))  # BGR: red, hi-vis orange, red-orange
DISTRACTORS = ("jacket", "jacket_stops", "lamp", "led", "glare")


def _shed_zone() -> ZonePlan:
    return ZonePlan("shed", ZoneKind.SHED, FloorArea(-0.05, 1.05, -0.02, 1.3))


def shed_fire() -> Storyboard:
    """Two e-bikes parked in a covered shed under a steady orange lamp; a resident in an orange
    jacket walks past them at 2-9 s; at 12 s one battery starts to smoke, flames from 13.5 s."""
    left = parked("left", ActorKind.EBIKE, 0.3, 0.45, 0.0, 30.0, body=EbikeBody.SCOOTER)
    right = parked("right", ActorKind.EBIKE, 0.68, 0.5, 0.0, 30.0, yaw_deg=180.0)
    walker = Actor(
        "resident",
        ActorKind.PERSON,
        (Waypoint(2.0, -0.05, 0.75), Waypoint(9.0, 1.05, 0.8)),
        top_color=JACKETS[1],
    )
    return Storyboard(
        scene=SceneKind.BIKE_SHED,
        scene_seed=5,
        duration_s=30.0,
        camera=clip_camera(lens=0.25, noise_sigma=2.0),
        actors=(left, right, walker),
        blazes=(Blaze("fire", PlugOf("left"), 12.0, flame_after_s=1.5, size_m=0.8, smoke_grey=90),),
        lights=(Light("lamp", LightKind.LAMP, 0.5, 0.05, 2.0, 0.25, (60, 170, 255)),),
        zones=(_shed_zone(),),
        clock_start=720 * _DAY + 21 * 3600 + 47 * 60,
        camera_label="SHED-2",
    )


def fire_set_storyboard(index: int, positive: bool, seed: int) -> Storyboard:
    """Clip ``index`` of the held-out set (see the module docstring); deterministic."""
    rng = np.random.default_rng([seed, index, int(positive), 4242])
    night = bool(rng.random() < 0.35)
    bikes = _bikes(rng)
    actors: list[Actor] = list(bikes)
    lights: list[Light] = []
    blazes: tuple[Blaze, ...] = ()
    if positive:
        blazes = (_blaze(rng, bikes[int(rng.integers(len(bikes)))].name),)
    if not positive or rng.random() < 0.5:
        _distract(rng, str(rng.choice(DISTRACTORS)), bikes, actors, lights)
    camera = clip_camera(
        lens=float(rng.uniform(0.15, 0.35)),
        noise_sigma=float(rng.uniform(1.5, 3.5)),
        ir_night=night,
        gain=0.75 if night else float(rng.uniform(0.9, 1.1)),
    )
    return Storyboard(
        scene=SceneKind.BIKE_SHED,
        scene_seed=_shed_scene_seed(rng),
        duration_s=SET_DURATION_S,
        camera=camera,
        actors=tuple(actors),
        blazes=blazes,
        lights=tuple(lights),
        zones=(_shed_zone(),),
        clock_start=int(rng.integers(400, 800)) * _DAY + int(rng.integers(_DAY)),
        camera_label=f"SHED-{index % 9 + 1}",
    )


def _shed_scene_seed(rng: np.random.Generator) -> int:
    """A bike-shed background whose floor fills a good part of the frame (some seeds put the
    camera so that the floor lies below the picture)."""
    while True:
        seed = int(rng.integers(1000))
        band = render_scene(SceneSpec(SceneKind.BIKE_SHED, 160, 90, seed)).layout.ground
        if band.y_far < 0.6 * 90 and band.y_near - band.y_far > 0.25 * 90:
            return seed


def _bikes(rng: np.random.Generator) -> list[Actor]:
    count = int(rng.integers(1, 4))
    us = np.sort(rng.uniform(0.15, 0.85, count))
    return [
        parked(
            f"bike{i}",
            ActorKind.EBIKE,
            float(u),
            float(rng.uniform(0.3, 0.75)),
            0.0,
            SET_DURATION_S,
            yaw_deg=float(rng.choice([0.0, 180.0, 60.0, 120.0])),
        )
        for i, u in enumerate(us)
    ]


def _blaze(rng: np.random.Generator, bike: str) -> Blaze:
    """Flames and smoke (60 %), flames alone (20 %) or smoke alone (20 %)."""
    kind = rng.choice(["both", "flame", "smoke"], p=[0.6, 0.2, 0.2])
    smoke_first = float(rng.uniform(0.0, 1.5))
    return Blaze(
        "fire",
        PlugOf(bike),
        t0=float(rng.uniform(2.5, 4.5)),
        flame_after_s=None if kind == "smoke" else (smoke_first if kind == "both" else 0.0),
        smoke_after_s=None if kind == "flame" else 0.0,
        size_m=float(rng.uniform(0.5, 1.0)),
        grow_s=float(rng.uniform(3.0, 8.0)),
        smoke_grey=int(rng.choice([int(rng.integers(150, 205)), int(rng.integers(55, 95))])),
        look_seed=int(rng.integers(1000)),
    )


def _distract(
    rng: np.random.Generator,
    what: str,
    bikes: list[Actor],
    actors: list[Actor],
    lights: list[Light],
) -> None:
    """Add one hard negative to ``actors`` or ``lights``."""
    if what.startswith("jacket"):
        actors.append(_jacket(rng, bikes, stops=what == "jacket_stops"))
        return
    u, v = float(rng.uniform(0.1, 0.9)), float(rng.uniform(0.0, 0.6))
    if what == "lamp":
        color = (40, int(rng.integers(120, 190)), 255)
        height = float(rng.uniform(1.0, 2.2))
        lights.append(Light("lamp", LightKind.LAMP, u, v, height, 0.25, color))
    elif what == "led":
        bike = bikes[int(rng.integers(len(bikes)))].path[0]
        color = ((40, 40, 255), (40, 160, 255), (60, 255, 60))[int(rng.integers(3))]
        period = float(rng.uniform(0.6, 2.0))
        lights.append(Light("led", LightKind.LED, bike.u + 0.05, bike.v, 0.5, 0.05, color, period))
    else:
        color = (170, 225, 255)
        v = float(rng.uniform(0.4, 0.9))
        lights.append(Light("glare", LightKind.GLARE, u, v, 0.0, 0.9, color))


def _jacket(rng: np.random.Generator, bikes: list[Actor], stops: bool) -> Actor:
    """A person in a red or orange jacket crossing the shed, maybe stopping at a bike."""
    color = JACKETS[int(rng.integers(len(JACKETS)))]
    start, end = float(rng.uniform(0.5, 3.0)), float(rng.uniform(8.0, 11.5))
    v0, v1 = float(rng.uniform(0.5, 1.1)), float(rng.uniform(0.5, 1.1))
    keys = [Waypoint(start, -0.05, v0)]
    if stops:
        bike = bikes[int(rng.integers(len(bikes)))].path[0]
        at = (bike.u, bike.v + 0.12)
        keys += [Waypoint(start + 2.5, *at), Waypoint(end - 2.5, *at)]
    keys.append(Waypoint(end, 1.05, v1))
    look = int(rng.integers(100))
    return Actor("resident", ActorKind.PERSON, tuple(keys), look_seed=look, top_color=color)


@dataclass(frozen=True)
class FireSetClip:
    video: Path
    sidecar: Sidecar
    positive: bool


def write_fire_set(
    out: Path,
    positives: int = 40,
    negatives: int = 40,
    seed: int = 0,
    fps: int = 10,
    size: tuple[int, int] = (640, 360),
) -> list[FireSetClip]:
    """Render the held-out set into ``out`` as ``fire_NNN.mp4`` / ``nofire_NNN.mp4`` with
    sidecars; ``seed`` picks every clip's story (use another seed than any tuning set)."""
    if positives < 0 or negatives < 0 or positives + negatives == 0:
        raise SynthError(f"need some clips, got {positives} positives and {negatives} negatives")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for positive, count, stem in ((True, positives, "fire"), (False, negatives, "nofire")):
        for i in range(count):
            video = out / f"{stem}_{i:03d}.mp4"
            sidecar = render_clip(fire_set_storyboard(i, positive, seed), video, fps, size, seed)
            written.append(FireSetClip(video, sidecar, positive))
    return written
