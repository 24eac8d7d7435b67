"""E-bikes (scooter-style, new-standard "lite", moped) and bicycles as primitive models.

Geometry is in metres (see :mod:`.shapes` for axes). E-bikes: small solid wheels, fairings,
mirrors, baskets, plates. Bicycles: big see-through spoked wheels and a thin tube frame, no
fairing, so a detector has to tell them apart by shape, not colour.
"""

from __future__ import annotations

import numpy as np

from lab.synth.shapes import (
    Ball,
    Facing,
    Model,
    ObjectRender,
    Primitive,
    Prism,
    Projector,
    Tube,
    Wheel,
    draw_model,
    render_group,
)
from lab.synth.specs import BicycleSpec, EbikeBody, EbikeSpec

_TIRE = (28, 28, 30)
_RIM = (150, 150, 150)
_DARK = (30, 30, 32)
_RED = (30, 30, 200)
_LAMP = (225, 240, 245)


def _box(
    x0: float, x1: float, y0: float, y1: float, z: float, color: tuple[int, int, int]
) -> Prism:
    return Prism(((x0, y0), (x1, y0), (x1, y1), (x0, y1)), -z, z, color)


def _wheelbase(spec: EbikeSpec) -> tuple[float, float]:
    half = (spec.length_m - 1.8 * spec.wheel_radius_m) / 2
    return -half, half


def _front_end(spec: EbikeSpec, xf: float, r: float) -> list[Primitive]:
    t, c = spec.trim_color, spec.body_color
    bar_y = 1.04
    parts: list[Primitive] = [
        Tube((xf, r, 0.0), (xf - 0.1, 0.95, 0.0), 0.025, t),
        Prism(
            ((xf - 0.16, 0.9), (xf + 0.04, 0.93), (xf + 0.02, 1.06), (xf - 0.16, 1.06)),
            -0.13,
            0.13,
            c,
        ),
        Ball((xf + 0.05, 0.98, 0.0), 0.05, _LAMP),
        Tube((xf - 0.13, bar_y, -0.33), (xf - 0.13, bar_y, 0.33), 0.016, t),
        Tube((xf - 0.13, bar_y, -0.34), (xf - 0.13, bar_y, -0.24), 0.024, _DARK),
        Tube((xf - 0.13, bar_y, 0.24), (xf - 0.13, bar_y, 0.34), 0.024, _DARK),
    ]
    if spec.mirrors:
        for s in (-1, 1):
            parts.append(Tube((xf - 0.13, bar_y, 0.24 * s), (xf - 0.16, 1.22, 0.3 * s), 0.008, t))
            parts.append(Ball((xf - 0.16, 1.24, 0.3 * s), 0.045, _DARK))
    if spec.basket:
        parts.append(
            Prism(
                ((xf + 0.03, 0.78), (xf + 0.24, 0.8), (xf + 0.22, 1.0), (xf + 0.03, 1.0)),
                -0.17,
                0.17,
                _DARK,
            )
        )
    if spec.rain_cover:
        parts.append(
            Prism(
                ((xf - 0.32, 0.35), (xf + 0.06, 0.3), (xf + 0.1, 1.08), (xf - 0.3, 1.1)),
                -0.32,
                0.32,
                spec.seat_color,
            )
        )
    return parts


def _rear_end(spec: EbikeSpec, xr: float, seat_y: float) -> list[Primitive]:
    parts: list[Primitive] = [
        Prism(
            ((xr - 0.26, 0.44), (xr - 0.24, 0.44), (xr - 0.24, 0.58), (xr - 0.26, 0.58)),
            -0.08,
            0.08,
            spec.plate_color,
        ),
        Ball((xr - 0.24, 0.63, 0.0), 0.03, _RED),
    ]
    if spec.rear_rack:
        for z in (-0.1, 0.1):
            parts.append(
                Tube((xr - 0.02, seat_y, z), (xr - 0.3, seat_y + 0.02, z), 0.012, spec.trim_color)
            )
        parts.append(
            Tube(
                (xr - 0.3, seat_y + 0.02, -0.1),
                (xr - 0.3, seat_y + 0.02, 0.1),
                0.012,
                spec.trim_color,
            )
        )
    if spec.top_case:
        parts.append(_box(xr - 0.36, xr + 0.02, seat_y + 0.04, seat_y + 0.3, 0.18, spec.trim_color))
    return parts


def _scooter_body(spec: EbikeSpec, xr: float, xf: float, r: float, lift: float) -> list[Primitive]:
    c, t = spec.body_color, spec.trim_color
    top = 0.74 + lift
    return [
        Prism(
            (
                (xr - 0.24, 0.5 + lift),
                (xr - 0.12, top),
                (0.04, top),
                (0.12, 0.5),
                (0.04, 0.34),
                (xr + 0.26, 0.34),
                (xr + 0.1, 2 * r + 0.02),
                (xr - 0.16, 2 * r),
            ),
            -0.15 - lift,
            0.15 + lift,
            c,
        ),
        _box(-0.02, xf - 0.22, 0.22, 0.33, 0.17, t),
        Prism(
            (
                (xf - 0.3, 0.24),
                (xf - 0.13, 0.24),
                (xf - 0.02, 0.5),
                (xf - 0.06, 0.98),
                (xf - 0.16, 0.98),
                (xf - 0.26, 0.5),
            ),
            -0.19,
            0.19,
            c,
        ),
        Prism(
            (
                (xf - 0.2, r + 0.1),
                (xf - 0.1, 2 * r + 0.05),
                (xf + 0.12, 2 * r + 0.04),
                (xf + 0.22, r + 0.08),
                (xf + 0.14, r + 0.1),
                (xf + 0.04, 2 * r),
                (xf - 0.1, 2 * r),
            ),
            -0.06,
            0.06,
            c,
        ),
        Prism(
            (
                (xr - 0.1, top),
                (0.05, top),
                (0.03, top + 0.09),
                (xr + 0.05, top + 0.1),
                (xr - 0.1, top + 0.06),
            ),
            -0.13,
            0.13,
            spec.seat_color,
        ),
        Tube((-0.1, 0.25, 0.12), (-0.16, 0.02, 0.16), 0.01, _DARK),
    ]


def _lite_body(spec: EbikeSpec, xr: float, xf: float, r: float) -> list[Primitive]:
    c, t = spec.body_color, spec.trim_color
    bb = (xr + 0.45, 0.3)
    seat = (xr + 0.22, 0.82)
    return [
        Tube((xf - 0.1, 0.92, 0.0), (bb[0] + 0.05, bb[1] + 0.02, 0.0), 0.035, c),
        Tube((bb[0], bb[1], 0.0), (xr, r, 0.0), 0.02, c),
        Tube((bb[0], bb[1], 0.0), (seat[0], seat[1] - 0.05, 0.0), 0.03, c),
        Tube((seat[0] + 0.02, seat[1] - 0.2, 0.0), (xr, r, 0.0), 0.015, c),
        Prism(
            ((xr + 0.08, 0.36), (xr + 0.3, 0.36), (xr + 0.28, 0.72), (xr + 0.04, 0.72)),
            -0.08,
            0.08,
            t,
        ),
        Prism(
            (
                (xr - 0.1, 2 * r + 0.04),
                (xr + 0.05, 2 * r + 0.08),
                (xr + 0.18, 2 * r),
                (xr + 0.05, 2 * r + 0.03),
            ),
            -0.06,
            0.06,
            c,
        ),
        Prism(
            ((xf - 0.15, 2 * r), (xf, 2 * r + 0.06), (xf + 0.15, 2 * r + 0.02), (xf, 2 * r + 0.02)),
            -0.06,
            0.06,
            c,
        ),
        _box(seat[0] - 0.14, seat[0] + 0.1, seat[1], seat[1] + 0.08, 0.12, spec.seat_color),
        Tube((bb[0] - 0.08, bb[1] - 0.08, 0.12), (bb[0] + 0.08, bb[1] + 0.08, -0.12), 0.015, _DARK),
    ]


def ebike_model(spec: EbikeSpec) -> tuple[Model, tuple[float, float, float]]:
    """The e-bike's primitives and the object point where a charging cable plugs in."""
    xr, xf = _wheelbase(spec)
    r = spec.wheel_radius_m
    wheel_hw = 0.05 if spec.body != EbikeBody.LITE else 0.045
    parts: list[Primitive] = [
        Wheel(
            (xr, r, 0.0),
            r,
            wheel_hw,
            _TIRE,
            _RIM if spec.body != EbikeBody.MOPED else spec.trim_color,
        ),
        Wheel((xf, r, 0.0), r, wheel_hw, _TIRE, _RIM),
    ]
    if spec.body == EbikeBody.LITE:
        parts += _lite_body(spec, xr, xf, r)
        seat_y, plug = 0.8, (xr + 0.18, 0.5, 0.09)
    else:
        lift = 0.06 if spec.body == EbikeBody.MOPED else 0.0
        parts += _scooter_body(spec, xr, xf, r, lift)
        seat_y, plug = 0.8 + lift, (xr + 0.25, 0.5, 0.16)
    parts += _front_end(spec, xf, r) + _rear_end(spec, xr, seat_y)
    return Model(tuple(parts), 1.1, (spec.length_m / 2, 0.3)), plug


def bicycle_model(spec: BicycleSpec) -> Model:
    r = spec.wheel_radius_m
    half = 0.5 * r / 0.33 + 0.02
    xr, xf = -half, half
    c = spec.frame_color
    bb = (xr + 0.45 * r / 0.33, 0.3 * r / 0.33)
    seat = (bb[0] - 0.14, 2.9 * r)
    head = ((xf - 0.16, 2.75 * r), (xf - 0.12, 2.35 * r))
    parts: list[Primitive] = [
        Wheel((xr, r, 0.0), r, 0.014, _TIRE, (170, 170, 170), solid=False),
        Wheel((xf, r, 0.0), r, 0.014, _TIRE, (170, 170, 170), solid=False),
        Tube((bb[0], bb[1], 0.0), (seat[0], seat[1] - 0.04, 0.0), 0.016, c),
        Tube((bb[0], bb[1], 0.0), (xr, r, 0.0), 0.011, c),
        Tube((seat[0] + 0.01, seat[1] - 0.1, 0.0), (xr, r, 0.0), 0.01, c),
        Tube((head[1][0], head[1][1], 0.0), (bb[0], bb[1], 0.0), 0.018, c),
        Tube((head[0][0], head[0][1], 0.0), (head[1][0], head[1][1], 0.0), 0.02, c),
        Tube((head[1][0], head[1][1], 0.0), (xf, r, 0.0), 0.012, c),
        Tube((seat[0], seat[1] - 0.04, 0.0), (seat[0] + 0.01, seat[1] + 0.08, 0.0), 0.01, _RIM),
        _box(seat[0] - 0.1, seat[0] + 0.12, seat[1] + 0.08, seat[1] + 0.13, 0.07, spec.seat_color),
        Tube(
            (head[0][0], head[0][1], 0.0), (head[0][0] - 0.05, head[0][1] + 0.08, 0.0), 0.012, _RIM
        ),
        Tube(
            (head[0][0] - 0.05, head[0][1] + 0.08, -0.28),
            (head[0][0] - 0.05, head[0][1] + 0.08, 0.28),
            0.012,
            _DARK,
        ),
        Tube((bb[0] - 0.1, bb[1] - 0.05, 0.1), (bb[0] + 0.1, bb[1] + 0.05, -0.1), 0.012, _DARK),
    ]
    if not spec.step_through:
        parts.append(
            Tube(
                (seat[0] + 0.01, seat[1] - 0.08, 0.0),
                (head[0][0], head[0][1] - 0.02, 0.0),
                0.015,
                c,
            )
        )
    if spec.basket:
        parts.append(
            Prism(
                (
                    (xf - 0.1, head[0][1] - 0.12),
                    (xf + 0.14, head[0][1] - 0.1),
                    (xf + 0.12, head[0][1] + 0.08),
                    (xf - 0.1, head[0][1] + 0.08),
                ),
                -0.15,
                0.15,
                (60, 60, 60),
            )
        )
    return Model(tuple(parts), head[0][1] + 0.08, (half + r * 0.9, 0.22))


def draw_ebike(
    image: np.ndarray,
    spec: EbikeSpec,
    anchor_xy: tuple[float, float],
    height_px: float,
    facing: Facing,
) -> ObjectRender:
    """Draw an e-bike standing on ``anchor_xy`` (pixels, ground under its centre), about
    ``height_px`` tall to the handlebar. Returns its box, outline and battery plug point."""
    model, plug = ebike_model(spec)
    proj = Projector(anchor_xy, height_px / model.height_m, facing)
    (render,) = render_group(image, (model,), proj)
    return ObjectRender(render.box, render.outline, proj.point(plug))


def draw_bicycle(
    image: np.ndarray,
    spec: BicycleSpec,
    anchor_xy: tuple[float, float],
    height_px: float,
    facing: Facing,
) -> ObjectRender:
    return draw_model(image, bicycle_model(spec), anchor_xy, height_px, facing)
