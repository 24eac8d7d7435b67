"""People (standing, walking, pushing a bike) and the hard negatives: strollers, wheelchairs."""

from __future__ import annotations

import math

import numpy as np

from lab.synth.shapes import (
    Ball,
    Facing,
    Model,
    ObjectRender,
    Primitive,
    Prism,
    Tube,
    Wheel,
    draw_model,
)
from lab.synth.specs import PersonPose, PersonSpec, StrollerSpec, WheelchairSpec

_SHOE = (25, 25, 28)
_DARK = (30, 30, 32)

PUSH_HAND_M = (0.42, 1.0)
"""Where a pushing person's hands are (object x forward, y up), metres: a bike's handlebar."""


def _leg(
    hip: tuple[float, float], length: float, angle: float, bend: float
) -> tuple[tuple[float, float], tuple[float, float]]:
    knee = (hip[0] + 0.5 * length * math.sin(angle), hip[1] - 0.5 * length * math.cos(angle))
    shin = angle - bend
    foot = (knee[0] + 0.5 * length * math.sin(shin), knee[1] - 0.5 * length * math.cos(shin))
    return knee, foot


def _legs(spec: PersonSpec, h: float) -> list[Primitive]:
    hip_y = 0.53 * h
    swing = (
        0.42 * math.sin(spec.phase)
        if spec.pose != PersonPose.STANDING
        else 0.05 * math.sin(spec.phase)
    )
    parts: list[Primitive] = []
    r = 0.06 * h / 1.7
    for side, angle in ((-1, swing), (1, -swing)):
        z = 0.09 * side
        bend = max(0.0, -angle) * 0.8 + 0.05
        knee, foot = _leg((0.0, hip_y), hip_y - 0.03, angle, bend)
        parts.append(Tube((0.0, hip_y, z), (knee[0], knee[1], z), r, spec.bottom_color))
        parts.append(
            Tube((knee[0], knee[1], z), (foot[0], foot[1], z), r * 0.85, spec.bottom_color)
        )
        parts.append(Tube((foot[0] - 0.02, 0.03, z), (foot[0] + 0.1, 0.03, z), 0.04, _SHOE))
    return parts


def _arms(spec: PersonSpec, h: float) -> list[Primitive]:
    sh_y = 0.81 * h
    r = 0.042 * h / 1.7
    parts: list[Primitive] = []
    for side in (-1, 1):
        z = 0.19 * side
        if spec.pose == PersonPose.PUSHING:
            hand = (PUSH_HAND_M[0], PUSH_HAND_M[1])
            elbow = (0.18, 0.5 * (sh_y + hand[1]) - 0.08)
        else:
            a = -0.35 * side * math.sin(spec.phase) if spec.pose == PersonPose.WALKING else 0.05
            elbow = (0.16 * h * math.sin(a), sh_y - 0.17 * h * math.cos(a))
            hand = (
                elbow[0] + 0.15 * h * math.sin(a + 0.2),
                elbow[1] - 0.15 * h * math.cos(a + 0.2),
            )
        parts.append(Tube((0.0, sh_y, z), (elbow[0], elbow[1], z), r, spec.top_color))
        parts.append(Tube((elbow[0], elbow[1], z), (hand[0], hand[1], z), r * 0.9, spec.top_color))
        parts.append(Ball((hand[0], hand[1], z), r * 1.1, spec.skin))
    return parts


def person_model(spec: PersonSpec) -> Model:
    h = spec.height_m
    hip_y, sh_y = 0.5 * h, 0.83 * h
    head_r = 0.066 * h
    lean = 0.05 if spec.pose == PersonPose.PUSHING else 0.0
    torso_bottom = 0.3 * h if spec.long_coat else hip_y - 0.02
    parts: list[Primitive] = _legs(spec, h)
    parts.append(
        Prism(
            ((-0.1, torso_bottom), (0.11, torso_bottom), (0.11 + lean, sh_y), (-0.1 + lean, sh_y)),
            -0.17 if not spec.long_coat else -0.19,
            0.17 if not spec.long_coat else 0.19,
            spec.top_color,
        )
    )
    if spec.backpack:
        parts.append(
            Prism(
                (
                    (-0.26, hip_y + 0.1),
                    (-0.1, hip_y + 0.1),
                    (-0.1, sh_y - 0.02),
                    (-0.24, sh_y - 0.04),
                ),
                -0.14,
                0.14,
                _DARK,
            )
        )
    parts += _arms(spec, h)
    parts.append(Tube((lean, sh_y, 0.0), (lean, sh_y + 0.05, 0.0), 0.04, spec.skin))
    head = (lean + 0.01, h - head_r, 0.0)
    parts.append(Ball(head, head_r, spec.skin))
    parts.append(Ball((head[0] - 0.02, head[1] + 0.02, 0.0), head_r * 0.95, spec.hair))
    return Model(tuple(parts), h, (0.22, 0.22))


def stroller_model(spec: StrollerSpec) -> Model:
    f, c = spec.frame_color, spec.fabric_color
    parts: list[Primitive] = []
    for x in (-0.3, 0.3):
        for z in (-0.22, 0.22):
            parts.append(Wheel((x, 0.08, z), 0.08, 0.02, _DARK, (120, 120, 120)))
    parts += [
        Tube((-0.3, 0.08, -0.22), (0.05, 0.45, -0.22), 0.015, f),
        Tube((-0.3, 0.08, 0.22), (0.05, 0.45, 0.22), 0.015, f),
        Tube((0.3, 0.08, -0.22), (-0.45, 1.0, -0.22), 0.015, f),
        Tube((0.3, 0.08, 0.22), (-0.45, 1.0, 0.22), 0.015, f),
        Tube((-0.45, 1.0, -0.24), (-0.45, 1.0, 0.24), 0.02, _DARK),
        Prism(((-0.25, 0.42), (0.28, 0.42), (0.3, 0.65), (-0.25, 0.7)), -0.2, 0.2, c),
    ]
    if spec.canopy:
        parts.append(
            Prism(
                ((-0.28, 0.68), (-0.02, 0.68), (0.08, 0.82), (-0.1, 0.95), (-0.3, 0.9)),
                -0.21,
                0.21,
                c,
            )
        )
    return Model(tuple(parts), 1.0, (0.45, 0.3))


def wheelchair_model(spec: WheelchairSpec) -> Model:
    f = spec.frame_color
    parts: list[Primitive] = []
    for z in (-0.3, 0.3):
        parts.append(Wheel((-0.1, 0.3, z), 0.3, 0.015, _DARK, (170, 170, 170), solid=False))
        parts.append(Wheel((0.3, 0.07, z * 0.85), 0.07, 0.015, _DARK, (120, 120, 120)))
        parts.append(Tube((0.3, 0.1, z * 0.85), (0.25, 0.5, z * 0.85), 0.015, f))
        parts.append(Tube((-0.22, 0.5, z * 0.9), (-0.28, 0.95, z * 0.9), 0.015, f))
        parts.append(Tube((-0.28, 0.95, z * 0.9), (-0.4, 0.95, z * 0.9), 0.02, _DARK))
        parts.append(Tube((0.25, 0.5, z * 0.9), (0.35, 0.15, z * 0.6), 0.012, f))
    parts += [
        Prism(
            ((-0.22, 0.48), (0.25, 0.48), (0.25, 0.53), (-0.22, 0.53)), -0.25, 0.25, spec.seat_color
        ),
        Prism(
            ((-0.27, 0.53), (-0.22, 0.53), (-0.27, 0.92), (-0.32, 0.92)),
            -0.25,
            0.25,
            spec.seat_color,
        ),
    ]
    return Model(tuple(parts), 0.97, (0.45, 0.38))


def draw_person(
    image: np.ndarray,
    spec: PersonSpec,
    anchor_xy: tuple[float, float],
    height_px: float,
    facing: Facing,
) -> ObjectRender:
    """Draw a person standing on ``anchor_xy``; ``height_px`` is the person's full height."""
    return draw_model(image, person_model(spec), anchor_xy, height_px, facing)
