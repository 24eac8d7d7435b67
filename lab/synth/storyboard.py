"""What happens in a synthetic clip: a scene, a fixed camera, actors on keyframed paths, cables.

Positions are given on the scene's walkable floor band, independent of the frame size:
``u`` across it (0 = left edge, 1 = right edge) and ``v`` along it in image rows (0 = far edge,
1 = near edge; beyond 1 lies toward the camera, below the frame). Between keyframes an actor moves
at constant speed in floor metres; equal consecutive keyframes mean it rests. Times in seconds
from the clip's start. The ground truth (boxes, events) is derived from the storyboard when the
clip is rendered, never written by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from alerts.params import RuleParamsOverride
from lab.synth.camera import CameraSpec
from lab.synth.scenes import SceneKind
from lab.synth.specs import EbikeBody
from vision.zones import ZoneKind


class ActorKind(StrEnum):
    EBIKE = "ebike"
    BICYCLE = "bicycle"
    PERSON = "person"
    STROLLER = "stroller"
    WHEELCHAIR = "wheelchair"
    CLUTTER = "clutter"  # boxes, bins, plant pots, shoe racks: never labelled


@dataclass(frozen=True)
class Waypoint:
    """Where an actor is at ``t``; ``backwards``: the way *to* this point is walked in reverse
    (a bike backed out of an elevator keeps facing where it faced)."""

    t: float
    u: float
    v: float
    backwards: bool = False


@dataclass(frozen=True)
class Actor:
    """A person or a vehicle. It is in the scene from its first to its last keyframe (a person
    who pushes something is also there while pushing; see :class:`Push`). ``yaw_deg`` (0 = front
    to the right, 90 = back to the camera) is used while it has never moved; otherwise it faces
    where it goes. ``look_seed`` picks its colours and shape; ``body`` fixes an e-bike's body
    style (:class:`~.specs.EbikeBody`: scooter, lite, moped) and rules out a rain cover.
    ``top_color`` (BGR) dresses a person in that jacket (a red jacket near a charger)."""

    name: str
    kind: ActorKind
    path: tuple[Waypoint, ...]
    yaw_deg: float = 0.0
    look_seed: int = 0
    body: EbikeBody | None = None
    top_color: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class Push:
    """``person`` pushes ``vehicle`` from ``t0`` to ``t1``: during that time the person walks
    beside (bikes, on ``side`` +1 or -1) or behind (strollers, wheelchairs) it, hands on it; the
    person's own keyframes lead to the vehicle before ``t0`` and away from it after ``t1``."""

    person: str
    vehicle: str
    t0: float
    t1: float
    side: float = 1.0


@dataclass(frozen=True)
class PlugOf:
    """The battery socket of the e-bike ``vehicle``."""

    vehicle: str


@dataclass(frozen=True)
class FloorUnder:
    """The floor just under the battery socket of ``vehicle``."""

    vehicle: str


@dataclass(frozen=True)
class FloorAt:
    """A floor point (band coordinates, as :class:`Waypoint`)."""

    u: float
    v: float


@dataclass(frozen=True)
class WindowSill:
    """A point on the sill of the facade window whose sill centre is nearest to the point
    (``x``, ``y``) given as fractions of the frame; ``along`` (0..1) picks where on the sill."""

    x: float
    y: float
    along: float = 0.5


CablePoint = PlugOf | FloorUnder | FloorAt | WindowSill


@dataclass(frozen=True)
class CableRun:
    """A charging cable through ``route`` (first point = its source, last = its end, where
    ``end`` is drawn: "plug", "strip", "brick" or "none"), visible from ``t0`` to ``t1``
    (None = the clip's end). ``sag`` (fraction of each span) and ``color`` (BGR) override the
    sampled look."""

    name: str
    route: tuple[CablePoint, ...]
    t0: float
    t1: float | None = None
    end: str = "plug"
    sag: float | None = None
    color: tuple[int, int, int] | None = None
    look_seed: int = 0


@dataclass(frozen=True)
class Blaze:
    """A battery fire at ``at`` (an e-bike's battery socket, or a floor point): smoke from
    ``t0 + smoke_after_s`` and flames from ``t0 + flame_after_s`` (None: never), growing to
    ``size_m`` metres high over ``grow_s`` seconds, until ``t1`` (None = the clip's end).
    ``smoke_grey`` is the plume's grey level (light or dark smoke)."""

    name: str
    at: PlugOf | FloorAt
    t0: float
    t1: float | None = None
    flame_after_s: float | None = 0.0
    smoke_after_s: float | None = 0.0
    size_m: float = 0.6
    grow_s: float = 6.0
    smoke_grey: int = 170
    look_seed: int = 0


class LightKind(StrEnum):
    LAMP = "lamp"  # a steady warm lamp
    LED = "led"  # a charger's blinking status light
    GLARE = "glare"  # a patch of sunlight reflected on the floor, drifting slowly


@dataclass(frozen=True)
class Light:
    """A light that is not a fire (hard negatives): ``height_m`` above the floor point (``u``,
    ``v``) (band coordinates, as :class:`Waypoint`), ``size_m`` across, ``color`` BGR; an LED
    blinks with ``period_s`` (on half of it)."""

    name: str
    kind: LightKind
    u: float
    v: float
    height_m: float
    size_m: float
    color: tuple[int, int, int]
    period_s: float = 1.0


@dataclass(frozen=True)
class Doorway:
    """An open doorway drawn into the background, for people to come and go through: on the
    ``left`` or ``right`` side wall of a level-camera scene, centred at band row ``v``; or, for
    ceiling cameras, the car door on the ``bottom`` edge of the floor, centred at ``v`` (0..1)
    along it."""

    side: str
    v: float
    width_m: float = 0.95
    height_m: float = 2.05


@dataclass(frozen=True)
class FloorArea:
    """A zone over the floor band: ``u0..u1`` across, ``v0..v1`` along (band coordinates)."""

    u0: float = 0.0
    u1: float = 1.0
    v0: float = 0.0
    v1: float = 1.0


@dataclass(frozen=True)
class FramePolygon:
    """A zone given directly in normalized coordinates of the final (distorted) frame."""

    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class SpotPlan:
    """A charging spot of a shed zone (its own floor area)."""

    name: str
    area: FloorArea | FramePolygon


@dataclass(frozen=True)
class ZonePlan:
    """A zone of the clip's sidecar; floor areas are mapped through the lens like the picture.
    ``spots``: a shed's charging spots."""

    name: str
    kind: ZoneKind
    area: FloorArea | FramePolygon
    spots: tuple[SpotPlan, ...] = ()


@dataclass(frozen=True)
class Storyboard:
    """One clip. ``scene_seed`` fixes the background; ``camera`` is applied to every frame
    (its ``timestamp`` and ``noise_sigma`` are applied by :mod:`.sensor` instead: a running
    clock from ``clock_start``, seconds since 2023-01-01, when ``clock`` is set, and noise that
    changes every frame). ``ceiling_scale`` shrinks the metre of a
    ceiling (top-down) scene so a car holds a whole e-bike (1 = the scene's own scale)."""

    scene: SceneKind
    scene_seed: int
    duration_s: float
    camera: CameraSpec
    actors: tuple[Actor, ...] = ()
    pushes: tuple[Push, ...] = ()
    cables: tuple[CableRun, ...] = ()
    zones: tuple[ZonePlan, ...] = ()
    doorways: tuple[Doorway, ...] = ()
    blazes: tuple[Blaze, ...] = ()
    lights: tuple[Light, ...] = ()
    rules: RuleParamsOverride | None = None
    ceiling_scale: float = 1.0
    clock: bool = True
    clock_start: int = 0
    camera_label: str = "CAM01"


def clip_camera(
    *,
    lens: float = 0.3,
    noise_sigma: float = 2.5,
    blur_sigma: float = 0.5,
    ir_night: bool = False,
    gain: float = 1.0,
    gamma: float = 1.0,
    white_balance: tuple[float, float, float] = (1.0, 1.0, 1.0),
    vignette: float = 0.25,
    downscale: float = 1.0,
) -> CameraSpec:
    """A fixed CCTV look for a whole clip: mild noise, slight barrel distortion, no motion blur
    (the camera does not move)."""
    return CameraSpec(
        gain=gain,
        gamma=gamma,
        white_balance=white_balance,
        cast=(0.0, 0.0, 0.0),
        gradient=0.15,
        gradient_angle=0.8,
        vignette=vignette,
        lens=lens,
        blur_sigma=blur_sigma,
        motion_px=0,
        motion_angle=0.0,
        downscale=downscale,
        noise_sigma=noise_sigma,
        ir_night=ir_night,
        timestamp=False,
        stamp_seconds=0,
        jpeg_quality=90,
    )


def parked(
    name: str,
    kind: ActorKind,
    u: float,
    v: float,
    t0: float,
    t1: float,
    yaw_deg: float = 0.0,
    body: EbikeBody | None = None,
) -> Actor:
    """A vehicle standing still at (u, v) from ``t0`` to ``t1``."""
    return Actor(name, kind, (Waypoint(t0, u, v), Waypoint(t1, u, v)), yaw_deg, body=body)
