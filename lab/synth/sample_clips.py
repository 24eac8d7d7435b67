"""The storyboards of the bundled ``sample_videos/`` clips (played by ``stairwatch demo``, scored
by ``stairwatch eval sample_videos``) and the command-level writer for them.

Every sidecar sets ``ebike_parked.dwell_s = 10`` and ``flying_wire.persist_s = 5`` so the clips
can stay short, and the ceiling cameras over elevator cars judge a bike in the car by its box's
centre (seen from above, the bottom of a box is not where the bike stands). Backgrounds are fixed
per clip (hand-picked scene seeds); the ``seed`` argument changes the actors' and cables' looks
and the sensor noise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from alerts.params import (
    Anchor,
    EbikeInElevatorOverride,
    EbikeParkedOverride,
    ExitBlockedOverride,
    FlyingWireOverride,
    RuleParamsOverride,
    ShedIntrusionOverride,
)
from lab.synth.clips import render_clip
from lab.synth.errors import SynthError
from lab.synth.fire_clips import shed_fire
from lab.synth.scenes import SceneKind
from lab.synth.specs import EbikeBody
from lab.synth.storyboard import (
    Actor,
    ActorKind,
    CableRun,
    Doorway,
    FloorArea,
    FloorAt,
    FloorUnder,
    FramePolygon,
    PlugOf,
    Push,
    SpotPlan,
    Storyboard,
    Waypoint,
    WindowSill,
    ZonePlan,
    clip_camera,
    parked,
)
from stairwatch.evaluation.sidecar import Sidecar
from vision.zones import ZoneKind

_DAY = 86400
SHORT_RULES = RuleParamsOverride(
    ebike_parked=EbikeParkedOverride(dwell_s=10),
    flying_wire=FlyingWireOverride(persist_s=5),
)
# Sheds: closed at night (eval runs a clip from midnight), 10 s in the closed shed, 15 s in an exit.
SHED_RULES = SHORT_RULES.model_copy(
    update={
        "shed_intrusion": ShedIntrusionOverride.model_validate(
            {"closed_hours": ["22:00-06:00"], "min_s": 10}
        ),
        "exit_blocked": ExitBlockedOverride(dwell_s=15),
    }
)
TOP_DOWN_RULES = SHORT_RULES.model_copy(
    update={"ebike_in_elevator": EbikeInElevatorOverride(anchor=Anchor.CENTER)}
)


def _walk(name: str, *keys: tuple[float, float, float], look: int = 0) -> Actor:
    """A person through ``keys`` (t, u, v)."""
    return Actor(name, ActorKind.PERSON, tuple(Waypoint(*k) for k in keys), look_seed=look)


def _ride(
    name: str, kind: ActorKind, *keys: tuple[float, float, float], body: EbikeBody | None = None
) -> Actor:
    """A vehicle (wheeled by whoever pushes it) through ``keys`` (t, u, v)."""
    return Actor(name, kind, tuple(Waypoint(*k) for k in keys), body=body)


def _no_parking(name: str) -> ZonePlan:
    """A no-parking zone over the whole visible floor."""
    return ZonePlan(name, ZoneKind.NO_PARKING, FloorArea(-0.1, 1.1, -0.02, 1.6))


def _clock(day: int, hour: int, minute: int) -> int:
    """Seconds since 2023-01-01 of ``hour:minute`` on its ``day``-th day: a clip's clock."""
    return day * _DAY + hour * 3600 + minute * 60


def _prop(name: str, u: float, v: float, look: int, yaw: float = 0.0) -> Actor:
    """Unlabelled clutter standing there all clip long."""
    return Actor(
        name, ActorKind.CLUTTER, (Waypoint(0.0, u, v), Waypoint(1e6, u, v)), yaw, look_seed=look
    )


def stairwell_parked() -> Storyboard:
    """A person wheels an e-bike onto the landing, parks it (at rest from 6 s), walks away;
    a neighbour comes by later; the bike stays."""
    bike = _ride(
        "ebike",
        ActorKind.EBIKE,
        (3.5, 0.3, 1.9),
        (4.8, 0.35, 0.75),
        (6.0, 0.66, 0.3),
        (40.0, 0.66, 0.3),
        body=EbikeBody.SCOOTER,
    )
    return Storyboard(
        scene=SceneKind.STAIRWELL,
        scene_seed=19,
        duration_s=40.0,
        camera=clip_camera(lens=0.3, noise_sigma=2.5),
        actors=(
            bike,
            _prop("boxes", 0.02, 0.1, 3),
            _walk("owner", (7.0, 0.95, 0.45), (9.0, 0.95, 1.9)),
            _walk(
                "neighbour",
                (21.0, 0.1, 1.9),
                (23.0, 0.15, 0.6),
                (27.0, 0.15, 0.6),
                (29.0, 0.05, 1.9),
                look=1,
            ),
        ),
        pushes=(Push("owner", "ebike", 3.5, 6.0, side=-1.0),),
        zones=(_no_parking("landing"),),
        rules=SHORT_RULES,
        clock_start=_clock(500, 9, 12),
        camera_label="B3-4F",
    )


def corridor_passing() -> Storyboard:
    """An e-bike comes out of a door at the far end and is wheeled toward the camera and out
    of view without stopping; a neighbour walks the other way, into that door."""
    bike = _ride(
        "ebike",
        ActorKind.EBIKE,
        (1.0, 1.02, 0.06),
        (2.5, 0.7, 0.1),
        (8.0, 0.55, 0.75),
        (10.5, 0.5, 1.9),
        body=EbikeBody.MOPED,
    )
    return Storyboard(
        scene=SceneKind.CORRIDOR,
        scene_seed=10,
        duration_s=30.0,
        camera=clip_camera(lens=0.35, noise_sigma=2.5),
        actors=(
            bike,
            _prop("rack", 1.05, 0.55, 5, yaw=90.0),
            Actor("rider", ActorKind.PERSON, ()),
            _walk(
                "neighbour",
                (3.0, 0.2, 1.9),
                (8.0, 0.4, 0.3),
                (10.0, 0.75, 0.1),
                (10.6, 1.02, 0.06),
                look=1,
            ),
            _walk("visitor", (16.0, -0.05, 0.42), (17.0, 0.3, 0.5), (20.5, 0.55, 1.9), look=2),
        ),
        pushes=(Push("rider", "ebike", 1.0, 10.5, side=1.0),),
        doorways=(Doorway("left", 0.42), Doorway("right", 0.06)),
        zones=(_no_parking("corridor"),),
        rules=SHORT_RULES,
        clock_start=_clock(420, 18, 5),
        camera_label="B1-2F",
    )


def _lift_ride(vehicle: Actor, scene_seed: int, clock_start: int, label: str) -> Storyboard:
    """Ceiling fisheye over an elevator car: a person wheels ``vehicle`` in through the door
    (bottom of the frame), rides, and backs it out again."""
    return Storyboard(
        scene=SceneKind.ELEVATOR_TOPDOWN,
        scene_seed=scene_seed,
        duration_s=32.0,
        camera=clip_camera(lens=0.95, noise_sigma=3.0, vignette=0.4),
        actors=(vehicle, Actor("rider", ActorKind.PERSON, ())),
        pushes=(Push("rider", vehicle.name, vehicle.path[0].t, vehicle.path[-1].t, side=1.0),),
        doorways=(Doorway("bottom", 0.5, width_m=0.9),),
        ceiling_scale=0.6,
        zones=(ZonePlan("car", ZoneKind.ELEVATOR, FloorArea(-0.12, 1.12, -0.05, 1.05)),),
        rules=TOP_DOWN_RULES,
        clock_start=clock_start,
        camera_label=label,
    )


def _in_and_out(rest: tuple[float, float], spot: tuple[float, float]) -> tuple[Waypoint, ...]:
    t0, t1 = rest
    u, v = spot
    return (
        Waypoint(t0 - 4.0, 0.55, 2.0),
        Waypoint(t0 - 2.0, 0.52, 0.9),
        Waypoint(t0, u, v),
        Waypoint(t1, u, v),
        Waypoint(t1 + 2.0, 0.52, 0.9, backwards=True),
        Waypoint(t1 + 5.0, 0.55, 2.0, backwards=True),
    )


def elevator_entry() -> Storyboard:
    """A person wheels an e-bike into the elevator car, rides ~15 s, backs out again."""
    bike = Actor(
        "ebike", ActorKind.EBIKE, _in_and_out((5.0, 20.0), (0.42, 0.42)), body=EbikeBody.SCOOTER
    )
    return _lift_ride(bike, 8, _clock(610, 7, 41), "LIFT-1")


def elevator_bicycle() -> Storyboard:
    """Hard negative: the same with a plain bicycle."""
    bicycle = Actor("bicycle", ActorKind.BICYCLE, _in_and_out((5.0, 20.0), (0.45, 0.4)))
    return _lift_ride(bicycle, 13, _clock(612, 17, 3), "LIFT-2")


def facade_cable() -> Storyboard:
    """An e-bike parked below a facade; at 12 s a charging cable hangs from a second-floor
    window down to its battery. Passers-by on the pavement."""
    bike = parked(
        "ebike", ActorKind.EBIKE, 0.55, 0.2, 0.0, 40.0, yaw_deg=0.0, body=EbikeBody.SCOOTER
    )
    cable = CableRun(
        "wire",
        (WindowSill(0.33, 0.376, along=0.85), PlugOf("ebike")),
        t0=12.0,
        end="plug",
        sag=0.2,
        color=(28, 28, 30),
    )
    return Storyboard(
        scene=SceneKind.FACADE,
        scene_seed=9,
        duration_s=40.0,
        camera=clip_camera(lens=0.25, noise_sigma=2.0, gain=1.05),
        actors=(
            bike,
            _walk("walker", (2.0, -0.1, 0.55), (11.0, 1.1, 0.6)),
            _walk("walker2", (24.0, 1.1, 0.35), (35.0, -0.1, 0.3), look=1),
        ),
        cables=(cable,),
        zones=(
            ZonePlan(
                "facade",
                ZoneKind.CABLE_WATCH,
                FramePolygon(((0.0, 0.0), (1.0, 0.0), (1.0, 0.74), (0.0, 0.74))),
            ),
        ),
        rules=SHORT_RULES,
        clock_start=_clock(700, 16, 30),
        camera_label="YARD-E",
    )


def corridor_cable() -> Storyboard:
    """Night, infrared: an e-bike already parked in the corridor; a neighbour comes out of a
    door, runs a charging cable from a power strip to it (visible from 8 s) and leaves."""
    bike = parked(
        "ebike", ActorKind.EBIKE, 0.3, 0.5, 0.0, 40.0, yaw_deg=60.0, body=EbikeBody.SCOOTER
    )
    cable = CableRun(
        "wire",
        (PlugOf("ebike"), FloorUnder("ebike"), FloorAt(-0.06, 0.58), FloorAt(-0.08, 0.68)),
        t0=8.0,
        end="strip",
        sag=0.05,
        color=(40, 40, 40),
    )
    return Storyboard(
        scene=SceneKind.CORRIDOR,
        scene_seed=14,
        duration_s=40.0,
        camera=clip_camera(
            lens=0.3, noise_sigma=3.5, ir_night=True, gain=0.72, gamma=1.15, blur_sigma=0.7
        ),
        actors=(
            bike,
            _prop("bin", 1.0, 0.3, 1),
            _walk(
                "neighbour",
                (2.5, -0.05, 0.35),
                (4.5, 0.45, 0.62),
                (9.0, 0.45, 0.62),
                (12.0, 0.7, 1.9),
            ),
        ),
        cables=(cable,),
        doorways=(Doorway("left", 0.35),),
        zones=(_no_parking("corridor"),),
        rules=SHORT_RULES,
        clock_start=_clock(650, 23, 38),
        camera_label="B2-6F",
    )


def people_only() -> Storyboard:
    """Hard negatives: people walking, a parent who stops with a stroller for 12 s, a
    wheelchair pushed through. No e-bike."""
    stroller = _ride(
        "stroller",
        ActorKind.STROLLER,
        (6.0, -0.05, 0.3),
        (7.5, 0.35, 0.4),
        (10.0, 0.45, 0.7),
        (22.0, 0.45, 0.7),
        (25.0, 0.4, 1.9),
    )
    wheelchair = _ride(
        "wheelchair", ActorKind.WHEELCHAIR, (27.0, 0.7, 1.9), (33.5, 0.25, 0.35), (34.5, -0.05, 0.3)
    )
    return Storyboard(
        scene=SceneKind.CORRIDOR,
        scene_seed=4,
        duration_s=40.0,
        camera=clip_camera(lens=0.3, noise_sigma=2.5),
        actors=(
            _prop("plant", 1.02, 0.2, 2),
            _prop("boxes", 1.0, 0.62, 3),
            _walk("walker", (1.0, 0.6, 1.9), (6.0, 0.1, 0.32), (6.6, -0.05, 0.3)),
            stroller,
            Actor("parent", ActorKind.PERSON, (), look_seed=1),
            wheelchair,
            Actor("helper", ActorKind.PERSON, (), look_seed=2),
            _walk("runner", (14.0, 0.2, 1.9), (18.0, 0.3, 0.3), (18.5, -0.05, 0.3), look=3),
        ),
        pushes=(
            Push("parent", "stroller", 6.0, 25.0),
            Push("helper", "wheelchair", 27.0, 34.5),
        ),
        doorways=(Doorway("left", 0.3),),
        zones=(_no_parking("hallway"),),
        rules=SHORT_RULES,
        clock_start=_clock(455, 15, 20),
        camera_label="B5-1F",
    )


def _spot(name: str, u: float, v: float) -> SpotPlan:
    return SpotPlan(name, FloorArea(u - 0.12, u + 0.12, v - 0.12, v + 0.12))


def shed_night() -> Storyboard:
    """Night in the bike shed (closed 22:00-06:00): two e-bikes charge in their spots, a third
    spot is free; a resident crosses the front of the shed in a few seconds; later someone
    walks in, lingers by the bikes for about 20 s and leaves."""
    return Storyboard(
        scene=SceneKind.BIKE_SHED,
        scene_seed=3,
        duration_s=40.0,
        camera=clip_camera(lens=0.3, noise_sigma=2.5),
        actors=(
            parked("bike1", ActorKind.EBIKE, 0.25, 0.45, 0.0, 40.0, body=EbikeBody.SCOOTER),
            parked("bike2", ActorKind.EBIKE, 0.5, 0.45, 0.0, 40.0, body=EbikeBody.MOPED),
            _walk("resident", (1.0, -0.1, 0.95), (5.0, 1.1, 0.95)),
            _walk(
                "intruder",
                (11.0, 1.1, 0.9),
                (13.0, 0.8, 0.75),
                (22.0, 0.75, 0.7),
                (24.0, 0.65, 0.72),
                (33.0, 0.7, 0.75),
                (37.0, 1.1, 0.95),
                look=2,
            ),
        ),
        zones=(
            ZonePlan(
                "shed",
                ZoneKind.SHED,
                FloorArea(-0.1, 1.1, 0.0, 1.0),
                spots=(_spot("A1", 0.25, 0.45), _spot("A2", 0.5, 0.45), _spot("A3", 0.75, 0.45)),
            ),
        ),
        rules=SHED_RULES,
        clock_start=_clock(640, 1, 14),
        camera_label="SHED-2",
    )


def exit_blocked() -> Storyboard:
    """A corridor that is the building's escape route: a neighbour wheels a bicycle out of a
    door, leaves it across the aisle (at rest from 6 s) and goes back in; someone else waits in
    the aisle for 16 s (people are no obstruction); the bicycle stays."""
    bicycle = _ride(
        "bicycle", ActorKind.BICYCLE, (2.0, -0.05, 0.72), (6.0, 0.45, 0.75), (40.0, 0.45, 0.75)
    )
    return Storyboard(
        scene=SceneKind.CORRIDOR,
        scene_seed=6,
        duration_s=40.0,
        camera=clip_camera(lens=0.3, noise_sigma=2.5),
        actors=(
            bicycle,
            Actor("owner", ActorKind.PERSON, ((Waypoint(8.0, -0.05, 0.72)),)),
            _walk(
                "waiter",
                (14.0, 1.0, 1.9),
                (17.0, 0.85, 0.55),
                (33.0, 0.85, 0.55),
                (36.0, 1.0, 1.9),
                look=1,
            ),
        ),
        pushes=(Push("owner", "bicycle", 2.0, 6.0, side=-1.0),),
        doorways=(Doorway("left", 0.72),),
        zones=(ZonePlan("aisle", ZoneKind.EXIT, FloorArea(-0.1, 1.1, 0.45, 1.2)),),
        rules=SHED_RULES,
        clock_start=_clock(660, 20, 2),
        camera_label="B4-1F",
    )


SAMPLE_CLIPS: dict[str, Callable[[], Storyboard]] = {
    "stairwell_parked": stairwell_parked,
    "corridor_passing": corridor_passing,
    "elevator_entry": elevator_entry,
    "facade_cable": facade_cable,
    "corridor_cable": corridor_cable,
    "people_only": people_only,
    "elevator_bicycle": elevator_bicycle,
    "shed_night": shed_night,
    "exit_blocked": exit_blocked,
    "shed_fire": shed_fire,
}


@dataclass(frozen=True)
class WrittenClip:
    video: Path
    sidecar: Sidecar
    bytes: int


def write_sample_clips(
    out: Path,
    seed: int = 0,
    fps: int = 10,
    size: tuple[int, int] = (640, 360),
    only: Sequence[str] = (),
) -> list[WrittenClip]:
    """Render the named clips (all when ``only`` is empty) into ``out`` as NAME.mp4 + NAME.json."""
    unknown = sorted(set(only) - set(SAMPLE_CLIPS))
    if unknown:
        raise SynthError(f"unknown clip(s) {', '.join(unknown)}; known: {', '.join(SAMPLE_CLIPS)}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in SAMPLE_CLIPS.items():
        if only and name not in only:
            continue
        video = out / f"{name}.mp4"
        sidecar = render_clip(make(), video, fps, size, seed)
        written.append(WrittenClip(video, sidecar, video.stat().st_size))
    return written
