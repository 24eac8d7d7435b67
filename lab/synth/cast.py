"""The storyboard's actors in one scene: their looks, their tracks on the floor, who pushes what,
and what to draw for them at a given time.

A person pushing a vehicle is drawn in one group with it (hands on the handlebar), as the
training images draw pushers; before and after the push the person walks on their own track,
which starts and ends where the push leaves them.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

import numpy as np

from lab.synth.clutter import clutter_model
from lab.synth.errors import SynthError
from lab.synth.motion import GroundMap, Key, Track
from lab.synth.people import person_model, stroller_model, wheelchair_model
from lab.synth.shapes import Model, Projector
from lab.synth.specs import (
    PersonPose,
    PersonSpec,
    sample_bicycle,
    sample_ebike,
    sample_person,
    sample_stroller,
    sample_wheelchair,
)
from lab.synth.storyboard import Actor, ActorKind, Push
from lab.synth.vehicles import bicycle_model, ebike_model
from vision.kinds import ObjectKind

STRIDE_M = 1.4  # one full walking cycle (two steps)
PUSH_OFFSET_M = {  # where the pusher stands, in the pushed object's own metres (x fwd, z left)
    ActorKind.EBIKE: (0.0, 0.42),
    ActorKind.BICYCLE: (0.0, 0.42),
    ActorKind.STROLLER: (-0.87, 0.0),
    ActorKind.WHEELCHAIR: (-0.82, 0.0),
}
LABELS = {
    ActorKind.EBIKE: ObjectKind.EBIKE,
    ActorKind.BICYCLE: ObjectKind.BICYCLE,
    ActorKind.PERSON: ObjectKind.PERSON,
}
"""Actor kinds that are ground truth; the others are drawn but never labelled."""


@dataclass(frozen=True)
class Look:
    """An actor's fixed appearance: its model (people get theirs per frame, from ``person``)
    and, for e-bikes, the battery socket in object metres."""

    model: Model | None
    person: PersonSpec | None
    plug_m: tuple[float, float, float] | None


@dataclass(frozen=True)
class Group:
    """Models drawn together at one anchor this frame, with each model's actor and label."""

    depth_y: float
    names: tuple[str, ...]
    kinds: tuple[ObjectKind | None, ...]
    models: tuple[Model, ...]
    proj: Projector


def _look(actor: Actor, seed: int, index: int) -> Look:
    rng = np.random.default_rng([seed, index, actor.look_seed])
    if actor.kind == ActorKind.EBIKE:
        spec = sample_ebike(rng)
        if actor.body is not None:
            spec = replace(spec, body=actor.body, rain_cover=False)
        model, plug = ebike_model(spec)
        return Look(model, None, plug)
    if actor.kind == ActorKind.PERSON:
        person = sample_person(rng, PersonPose.WALKING)
        if actor.top_color is not None:
            person = replace(person, top_color=actor.top_color)
        return Look(None, person, None)
    makers = {
        ActorKind.BICYCLE: lambda: bicycle_model(sample_bicycle(rng)),
        ActorKind.STROLLER: lambda: stroller_model(sample_stroller(rng)),
        ActorKind.WHEELCHAIR: lambda: wheelchair_model(sample_wheelchair(rng)),
        ActorKind.CLUTTER: lambda: clutter_model(rng),
    }
    return Look(makers[actor.kind](), None, None)


class Cast:
    """Every actor of a storyboard placed on ``ground``; ``seed`` picks their looks."""

    def __init__(
        self, actors: tuple[Actor, ...], pushes: tuple[Push, ...], ground: GroundMap, seed: int
    ):
        self.ground = ground
        self.actors = {a.name: a for a in actors}
        if len(self.actors) != len(actors):
            raise SynthError("actor names must be unique")
        self.looks = {a.name: _look(a, seed, i) for i, a in enumerate(actors)}
        self.pushes = self._check_pushes(pushes)
        self.tracks = {
            a.name: Track(self._own_keys(a), a.yaw_deg) for a in actors if a.name not in self.pushes
        }
        for push in pushes:  # vehicles first: a pusher's track starts where the push leaves them
            self.tracks[push.person] = self._pusher_track(push)

    def _check_pushes(self, pushes: tuple[Push, ...]) -> dict[str, Push]:
        by_person: dict[str, Push] = {}
        for p in pushes:
            person, vehicle = self.actors.get(p.person), self.actors.get(p.vehicle)
            if person is None or person.kind != ActorKind.PERSON:
                raise SynthError(f"push: {p.person!r} is not a person of the storyboard")
            if vehicle is None or vehicle.kind not in PUSH_OFFSET_M:
                raise SynthError(f"push: {p.vehicle!r} is not a pushable actor")
            if p.person in by_person:
                raise SynthError(f"push: {p.person!r} pushes more than once")
            by_person[p.person] = p
        return by_person

    def _own_keys(self, actor: Actor) -> tuple[Key, ...]:
        keys = []
        for w in actor.path:
            x, z = self.ground.world(*self.ground.pixel(w.u, w.v))
            keys.append(Key(w.t, x, z, w.backwards))
        if any(b.t < a.t for a, b in itertools.pairwise(keys)):
            raise SynthError(f"{actor.name}: keyframes must be in time order")
        if not keys and actor.name not in self.pushes:
            raise SynthError(f"{actor.name}: no keyframes")
        return tuple(keys)

    def _pusher_track(self, push: Push) -> Track:
        actor = self.actors[push.person]
        own = self._own_keys(actor)
        if any(push.t0 < k.t < push.t1 for k in own):
            raise SynthError(f"{push.person}: keyframes inside the push {push.t0}..{push.t1}")
        ends = [
            Key(t, *self.ground.world(*self._pusher_pixel(push, t))) for t in (push.t0, push.t1)
        ]
        return Track(tuple(sorted([*own, *ends], key=lambda k: k.t)), actor.yaw_deg)

    # -- poses -----------------------------------------------------------------------------

    def projector(self, name: str, t: float) -> Projector:
        """Object metres of actor ``name`` -> undistorted pixels at ``t``."""
        track = self.tracks[name]
        x, y = self.ground.to_pixel(track.position(t))
        facing = self.ground.facing(x, y, track.yaw(t))
        return Projector((x, y), self.ground.px_per_m(y), facing)

    def _pusher_pixel(self, push: Push, t: float) -> tuple[float, float]:
        dx, dz = PUSH_OFFSET_M[self.actors[push.vehicle].kind]
        return self.projector(push.vehicle, t).point((dx, 0.0, dz * push.side))

    def pushing(self, person: str, t: float) -> Push | None:
        p = self.pushes.get(person)
        return p if p is not None and p.t0 <= t <= p.t1 else None

    def moving(self, name: str, t: float) -> bool:
        """Whether its picture changes at ``t`` (walking, or pushing even while standing)."""
        return self.tracks[name].moving(t) or self.pushing(name, t) is not None

    def _person_model(self, name: str, t: float, push: Push | None) -> Model:
        spec = self.looks[name].person
        if spec is None:
            raise SynthError(f"{name} is not a person")
        if push is not None:
            track = self.tracks[push.vehicle]
            # Legs together while the pushed thing stands still.
            phase = spec.phase + 2 * math.pi * track.distance(t) / STRIDE_M
            phase = phase if track.moving(t) else 0.0
            return person_model(replace(spec, pose=PersonPose.PUSHING, phase=phase))
        track = self.tracks[name]
        pose = PersonPose.WALKING if track.moving(t) else PersonPose.STANDING
        phase = spec.phase + 2 * math.pi * track.distance(t) / STRIDE_M
        return person_model(replace(spec, pose=pose, phase=phase))

    def groups(self, t: float) -> list[Group]:
        """What to draw at ``t``: lone people, and every other actor with its pusher if any."""
        out = []
        for name, actor in self.actors.items():
            if not self.tracks[name].alive(t):
                continue
            if actor.kind != ActorKind.PERSON:
                out.append(self._vehicle_group(name, t))
            elif self.pushing(name, t) is None:
                proj = self.projector(name, t)
                model = self._person_model(name, t, None)
                out.append(Group(proj.anchor_xy[1], (name,), (ObjectKind.PERSON,), (model,), proj))
        return out

    def _vehicle_group(self, name: str, t: float) -> Group:
        actor, look = self.actors[name], self.looks[name]
        if look.model is None:
            raise SynthError(f"{name} has no model")
        proj = self.projector(name, t)
        names, kinds, models = [name], [LABELS.get(actor.kind)], [look.model]
        for push in self.pushes.values():
            if push.vehicle == name and push.t0 <= t <= push.t1:
                dx, dz = PUSH_OFFSET_M[actor.kind]
                person = self._person_model(push.person, t, push)
                models.append(person.translated(dx, 0.0, dz * push.side))
                names.append(push.person)
                kinds.append(ObjectKind.PERSON)
        return Group(proj.anchor_xy[1], tuple(names), tuple(kinds), tuple(models), proj)

    def plug_point(self, vehicle: str, t: float, on_floor: bool) -> tuple[float, float]:
        """Undistorted pixel of the e-bike's battery socket (or the floor right under it)."""
        plug = self.looks[vehicle].plug_m if vehicle in self.looks else None
        if plug is None or not self.tracks[vehicle].alive(t):
            raise SynthError(f"cable: {vehicle!r} is no e-bike in the scene at {t:.1f} s")
        where = (plug[0], 0.0, plug[2]) if on_floor else plug
        return self.projector(vehicle, t).point(where)
