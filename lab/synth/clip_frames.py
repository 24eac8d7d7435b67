"""Frames of a synthetic clip: the storyboard's actors and cables drawn on a fixed background
with the same renderers and camera effects as the training images.

The background and lens are fixed, so consecutive frames differ only where something moves
(and by sensor noise, fresh per frame); frames where nothing moved reuse the previous picture.
Every drawn object comes back with its outline after lens distortion, for exact boxes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from lab.synth.cables import draw_cable
from lab.synth.camera import CameraSpec, apply_camera, distort_points
from lab.synth.cast import Cast, Group
from lab.synth.dressing import draw_doorway
from lab.synth.errors import SynthError
from lab.synth.fire import blaze_parts, draw_blaze, draw_light, light_on
from lab.synth.layout import draw_foreground
from lab.synth.motion import GroundMap, Track
from lab.synth.placement import densify
from lab.synth.scenes import Scene, SceneSpec, render_scene
from lab.synth.sensor import SensorNoise, draw_overlay
from lab.synth.shapes import render_group
from lab.synth.specs import CableSpec, sample_cable
from lab.synth.storyboard import (
    Blaze,
    CablePoint,
    CableRun,
    FloorAt,
    FloorUnder,
    LightKind,
    PlugOf,
    Storyboard,
    WindowSill,
)
from vision.kinds import ObjectKind


@dataclass(frozen=True)
class DrawnObject:
    """One object in one frame: ``kind`` None for drawn-but-unlabelled things (strollers,
    wheelchairs, clutter); ``outline`` (N, 2) float32 pixels of the final, distorted frame
    (may reach outside it); objects sharing a ``group`` were drawn together; ``order``: draw
    order (later = nearer)."""

    name: str
    kind: ObjectKind | None
    outline: np.ndarray
    group: int
    order: int


@dataclass(frozen=True)
class ClipFrame:
    """Frame ``index`` at ``t = index / fps`` seconds: (H, W, 3) uint8 BGR ``image``."""

    index: int
    t: float
    image: np.ndarray
    objects: tuple[DrawnObject, ...]


def _cable_spec(cable: CableRun, seed: int, index: int) -> CableSpec:
    spec = sample_cable(np.random.default_rng([seed, 1000 + index, cable.look_seed]))
    return replace(
        spec,
        end=cable.end,
        sag=spec.sag if cable.sag is None else cable.sag,
        color=spec.color if cable.color is None else cable.color,
    )


class ClipRenderer:
    """Renders a :class:`Storyboard` at ``fps`` frames per second and ``size`` (W, H) pixels;
    ``seed`` picks the actors' and cables' looks and the sensor noise."""

    def __init__(self, storyboard: Storyboard, fps: int, size: tuple[int, int], seed: int):
        if fps < 1:
            raise SynthError(f"fps must be at least 1, got {fps}")
        self.storyboard = storyboard
        self.fps = fps
        self.width, self.height = size
        self.seed = seed
        self.scene: Scene = render_scene(
            SceneSpec(storyboard.scene, self.width, self.height, storyboard.scene_seed)
        )
        band = self.scene.layout.ground
        if band.top_down_px_per_m is not None:
            scaled_ppm = band.top_down_px_per_m * storyboard.ceiling_scale
            band = replace(band, top_down_px_per_m=scaled_ppm)
        self.ground = GroundMap(band)
        self.background = self.scene.image.copy()
        for door in storyboard.doorways:
            draw_doorway(self.background, self.ground, door)
        self.camera: CameraSpec = replace(storyboard.camera, noise_sigma=0.0, timestamp=False)
        self.cast = Cast(storyboard.actors, storyboard.pushes, self.ground, seed)
        self._cable_specs = {
            c.name: _cable_spec(c, seed, i) for i, c in enumerate(storyboard.cables)
        }

    @property
    def frame_count(self) -> int:
        return round(self.storyboard.duration_s * self.fps)

    def track(self, name: str) -> Track:
        return self.cast.tracks[name]

    def distort(self, points: np.ndarray) -> np.ndarray:
        """(N, 2) undistorted pixels -> final frame pixels (the lens of every frame)."""
        return distort_points(points.astype(np.float32), self.camera, self.width, self.height)

    # -- cables --------------------------------------------------------------------------

    def _cables_at(self, t: float) -> list[CableRun]:
        end = self.storyboard.duration_s
        return [c for c in self.storyboard.cables if c.t0 <= t <= (end if c.t1 is None else c.t1)]

    def _cable_depth(self, cable: CableRun, t: float) -> float:
        """Cables are drawn just after the vehicle they plug into (else after everything)."""
        for p in cable.route:
            if isinstance(p, PlugOf | FloorUnder):
                return self.cast.projector(p.vehicle, t).anchor_xy[1] + 1e-3
        return math.inf

    def cable_point(self, p: CablePoint, t: float) -> tuple[float, float]:
        """The undistorted pixel of a cable's route point (fires sit on such points too)."""
        if isinstance(p, FloorAt):
            return self.ground.pixel(p.u, p.v)
        if isinstance(p, WindowSill):
            return self._window_point(p)
        return self.cast.plug_point(p.vehicle, t, on_floor=isinstance(p, FloorUnder))

    def _window_point(self, p: WindowSill) -> tuple[float, float]:
        windows = self.scene.layout.windows
        if not windows:
            raise SynthError(f"cable: the {self.storyboard.scene} scene has no windows")
        tx, ty = p.x * self.width, p.y * self.height
        x0, _, x1, y1 = min(windows, key=lambda w: math.hypot((w[0] + w[2]) / 2 - tx, w[3] - ty))
        return x0 + p.along * (x1 - x0), y1

    # -- frames --------------------------------------------------------------------------

    def _draw(self, t: float) -> tuple[np.ndarray, list[DrawnObject]]:
        """The undistorted picture at ``t`` and its objects (outlines not yet through the lens),
        drawn far to near."""
        image = self.background.copy()
        items: list[tuple[float, Group | CableRun]] = [(g.depth_y, g) for g in self.cast.groups(t)]
        items += [(self._cable_depth(c, t), c) for c in self._cables_at(t)]
        drawn: list[DrawnObject] = []
        for group, (_, item) in enumerate(sorted(items, key=lambda it: it[0])):
            if isinstance(item, CableRun):
                route = np.array([self.cable_point(p, t) for p in item.route], float)
                render = draw_cable(image, self._cable_specs[item.name], route)
                outline = densify(render.outline)
                drawn.append(DrawnObject(item.name, ObjectKind.CABLE, outline, group, len(drawn)))
                continue
            renders = render_group(image, item.models, item.proj)
            for name, kind, r in zip(item.names, item.kinds, renders, strict=True):
                drawn.append(DrawnObject(name, kind, densify(r.outline), group, len(drawn)))
        self._draw_fires_and_lights(image, t)
        draw_foreground(image, self.scene.layout)
        return image, drawn

    def blaze_base(self, blaze: Blaze, t: float) -> tuple[tuple[float, float], float]:
        """The fire's undistorted pixel and the pixels per metre of the floor under it."""
        base = self.cable_point(blaze.at, t)
        floor = base
        if isinstance(blaze.at, PlugOf):
            floor = self.cable_point(FloorUnder(blaze.at.vehicle), t)
        return base, self.ground.px_per_m(floor[1])

    def _draw_fires_and_lights(self, image: np.ndarray, t: float) -> None:
        """Lights first (on walls and floor), then fires (nearest to the camera: drawn last)."""
        for light in self.storyboard.lights:
            x, y = self.ground.pixel(light.u, light.v)
            px_per_m = self.ground.px_per_m(y)
            centre = (x, y - light.height_m * px_per_m)
            draw_light(image, light, centre, px_per_m, t, self.storyboard.camera.ir_night)
        for blaze in self.storyboard.blazes:
            base, px_per_m = self.blaze_base(blaze, t)
            draw_blaze(image, blaze, base, px_per_m, t, self.seed, self.storyboard.camera.ir_night)

    def _signature(self, t: float) -> tuple[object, ...]:
        """Equal signatures draw equal pictures (lets still stretches reuse one)."""
        sig: list[object] = []
        for name, track in self.cast.tracks.items():
            if track.alive(t):
                x, z = track.position(t)
                moving = self.cast.moving(name, t)
                sig.append((name, round(x, 4), round(z, 4), round(track.yaw(t), 3), moving and t))
        sig += [c.name for c in self._cables_at(t)]
        burning = any(blaze_parts(b, t) != (None, None) for b in self.storyboard.blazes)
        sig += [(light.name, light_on(light, t)) for light in self.storyboard.lights]
        if burning or any(light.kind is LightKind.GLARE for light in self.storyboard.lights):
            sig.append(t)  # flames flicker, smoke rises, the sun moves: a new picture each frame
        return tuple(sig)

    def _camera_view(self, t: float) -> tuple[np.ndarray, tuple[DrawnObject, ...]]:
        """The picture at ``t`` through the lens (no noise, no overlay) and what is in it."""
        image, drawn = self._draw(t)
        rng = np.random.default_rng(0)  # unused: the clip camera has no noise of its own
        base, outlines = apply_camera(image, self.camera, [d.outline for d in drawn], rng)
        objects = tuple(replace(d, outline=o) for d, o in zip(drawn, outlines, strict=True))
        return base, objects

    def _finish(self, base: np.ndarray, index: int, noise: SensorNoise) -> np.ndarray:
        picture = noise.apply(base, index)
        if self.storyboard.clock:
            seconds = self.storyboard.clock_start + int(index / self.fps)
            draw_overlay(picture, seconds, self.storyboard.camera_label)
        return picture

    def _noise(self) -> SensorNoise:
        return SensorNoise(self.storyboard.camera, (self.height, self.width), self.seed)

    def frame(self, index: int) -> ClipFrame:
        """Frame ``index`` alone (the same pixels :meth:`frames` gives for it)."""
        t = index / self.fps
        base, objects = self._camera_view(t)
        return ClipFrame(index, t, self._finish(base, index, self._noise()), objects)

    def frames(self) -> Iterator[ClipFrame]:
        """Every frame in order."""
        last_sig: tuple[object, ...] | None = None
        base: np.ndarray | None = None
        objects: tuple[DrawnObject, ...] = ()
        noise = self._noise()
        for index in range(self.frame_count):
            t = index / self.fps
            sig = self._signature(t)
            if sig != last_sig or base is None:
                base, objects = self._camera_view(t)
                last_sig = sig
            yield ClipFrame(index, t, self._finish(base, index, noise), objects)
