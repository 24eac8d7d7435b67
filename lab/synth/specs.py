"""Frozen object specs drawn from an ``np.random.Generator``: an object's stable look.

A clip keeps one spec per object and moves it frame by frame; a still image draws fresh specs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from lab.synth.shapes import Color

_VEHICLE_COLORS: tuple[Color, ...] = (
    (236, 236, 236),
    (28, 28, 30),
    (45, 40, 190),
    (170, 95, 35),
    (185, 150, 240),
    (125, 128, 130),
    (192, 192, 188),
    (160, 205, 150),
    (60, 195, 235),
    (90, 50, 30),
    (210, 220, 240),
    (40, 90, 150),
)
_CLOTH_COLORS: tuple[Color, ...] = (
    (30, 30, 30),
    (60, 60, 65),
    (130, 130, 135),
    (220, 220, 220),
    (120, 70, 30),
    (40, 40, 150),
    (60, 110, 60),
    (150, 150, 200),
    (80, 150, 200),
    (180, 120, 150),
    (35, 55, 95),
    (200, 180, 140),
)
_SKIN: tuple[Color, ...] = ((150, 180, 215), (120, 155, 195), (100, 130, 170), (170, 195, 225))
_PLATE: tuple[Color, ...] = ((170, 90, 20), (40, 200, 230), (235, 235, 235), (80, 170, 60))


def jitter(rng: np.random.Generator, color: Color, amount: int = 18) -> Color:
    c = np.clip(np.array(color) + rng.integers(-amount, amount + 1, 3), 0, 255)
    return (int(c[0]), int(c[1]), int(c[2]))


def pick(rng: np.random.Generator, colors: tuple[Color, ...], amount: int = 18) -> Color:
    return jitter(rng, colors[int(rng.integers(len(colors)))], amount)


class EbikeBody(StrEnum):
    SCOOTER = "scooter"  # full plastic fairing, step-through floorboard
    LITE = "lite"  # new-standard e-bike: step-through tube frame, battery box, pedals
    MOPED = "moped"  # bulky fairing, big seat, top case


@dataclass(frozen=True)
class EbikeSpec:
    body: EbikeBody
    body_color: Color
    trim_color: Color
    seat_color: Color
    wheel_radius_m: float
    length_m: float
    basket: bool
    top_case: bool
    mirrors: bool
    rear_rack: bool
    plate_color: Color
    rain_cover: bool


@dataclass(frozen=True)
class BicycleSpec:
    frame_color: Color
    wheel_radius_m: float
    step_through: bool
    basket: bool
    seat_color: Color


class PersonPose(StrEnum):
    STANDING = "standing"
    WALKING = "walking"
    PUSHING = "pushing"


@dataclass(frozen=True)
class PersonSpec:
    height_m: float
    top_color: Color
    bottom_color: Color
    skin: Color
    hair: Color
    long_coat: bool
    backpack: bool
    pose: PersonPose
    phase: float  # walking cycle, radians


@dataclass(frozen=True)
class StrollerSpec:
    frame_color: Color
    fabric_color: Color
    canopy: bool


@dataclass(frozen=True)
class WheelchairSpec:
    frame_color: Color
    seat_color: Color


@dataclass(frozen=True)
class CableSpec:
    color: Color
    thickness_px: float  # at a 640 px wide frame
    sag: float  # catenary sag as a fraction of the span
    wiggle: float  # low-frequency waviness, fraction of the span
    end: str  # "brick", "strip", "plug" (into an e-bike) or "none"
    brick_color: Color
    phase: float  # of the waviness, radians


def sample_ebike(rng: np.random.Generator) -> EbikeSpec:
    body = EbikeBody(rng.choice([b.value for b in EbikeBody], p=[0.6, 0.25, 0.15]))
    return EbikeSpec(
        body=body,
        body_color=pick(rng, _VEHICLE_COLORS),
        trim_color=pick(rng, ((25, 25, 25), (70, 70, 70), (150, 150, 150)), 10),
        seat_color=pick(rng, ((25, 25, 25), (30, 50, 80), (60, 60, 60)), 10),
        wheel_radius_m=float(rng.uniform(0.19, 0.27)),
        length_m=float(rng.uniform(1.45, 1.8)),
        basket=bool(rng.random() < 0.5),
        top_case=bool(rng.random() < (0.6 if body == EbikeBody.MOPED else 0.2)),
        mirrors=bool(rng.random() < 0.75),
        rear_rack=bool(rng.random() < 0.5),
        plate_color=pick(rng, _PLATE, 10),
        rain_cover=bool(rng.random() < 0.08),
    )


def sample_bicycle(rng: np.random.Generator) -> BicycleSpec:
    return BicycleSpec(
        frame_color=pick(rng, (*_VEHICLE_COLORS, (30, 170, 250), (0, 200, 255))),
        wheel_radius_m=float(rng.uniform(0.27, 0.36)),
        step_through=bool(rng.random() < 0.35),
        basket=bool(rng.random() < 0.35),
        seat_color=pick(rng, ((25, 25, 25), (40, 60, 90)), 10),
    )


def sample_person(rng: np.random.Generator, pose: PersonPose | None = None) -> PersonSpec:
    chosen = pose or PersonPose(rng.choice(["standing", "walking"], p=[0.4, 0.6]))
    return PersonSpec(
        height_m=float(rng.uniform(1.5, 1.88)),
        top_color=pick(rng, _CLOTH_COLORS, 25),
        bottom_color=pick(rng, _CLOTH_COLORS[:7], 20),
        skin=pick(rng, _SKIN, 12),
        hair=pick(rng, ((20, 20, 25), (40, 45, 60), (150, 150, 150)), 10),
        long_coat=bool(rng.random() < 0.25),
        backpack=bool(rng.random() < 0.2),
        pose=chosen,
        phase=float(rng.uniform(0, 2 * np.pi)),
    )


def sample_stroller(rng: np.random.Generator) -> StrollerSpec:
    return StrollerSpec(
        frame_color=pick(rng, ((30, 30, 30), (200, 200, 200), (120, 120, 120))),
        fabric_color=pick(rng, _CLOTH_COLORS, 25),
        canopy=bool(rng.random() < 0.7),
    )


def sample_wheelchair(rng: np.random.Generator) -> WheelchairSpec:
    return WheelchairSpec(
        frame_color=pick(rng, ((190, 190, 190), (30, 30, 30), (150, 60, 30))),
        seat_color=pick(rng, ((25, 25, 25), (90, 40, 30), (50, 50, 50))),
    )


def sample_cable(rng: np.random.Generator, plug: bool = False) -> CableSpec:
    color = pick(
        rng, ((20, 20, 20), (230, 230, 230), (40, 110, 230), (60, 60, 60), (40, 40, 160)), 15
    )
    end = "plug" if plug else str(rng.choice(["brick", "strip", "none"], p=[0.5, 0.3, 0.2]))
    return CableSpec(
        color=color,
        thickness_px=float(rng.uniform(2.0, 5.0)),
        sag=float(rng.uniform(0.02, 0.25)),
        wiggle=float(rng.uniform(0.0, 0.04)),
        end=end,
        brick_color=pick(rng, ((25, 25, 25), (230, 230, 230)), 10),
        phase=float(rng.uniform(0, 2 * np.pi)),
    )
