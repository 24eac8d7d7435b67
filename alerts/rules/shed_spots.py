"""Which charging spots of each shed are taken. Not an event rule: a pure ``step`` that returns
the occupancy of every shed with spots on this frame, for the store to sample.

A spot is taken by the vehicle (``ebike`` first, else ``bicycle``) whose anchor stands in it,
at rest, smoothed as for parking: membership needs ``presence.enter_frames`` frames in and
``leave_frames`` beyond the margin out, a vehicle moving (wheeled in or out) does not take a spot,
and one hidden for less than ``clear_after_s`` (people in front of it) keeps it. A bike moved to
another spot frees the first as soon as it moves and takes the second once it rests there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from alerts.observation import Observation
from alerts.params import ShedSpotsParams
from alerts.rules.context import RuleContext
from alerts.rules.traces import (
    Stays,
    Trace,
    TraceSet,
    follow,
    sightings,
    with_membership,
    with_rest,
)
from vision.kinds import ObjectKind
from vision.zones import Zone, ZoneKind

VEHICLES = (ObjectKind.EBIKE, ObjectKind.BICYCLE)  # first wins when both stand in one spot


@dataclass(frozen=True)
class SpotState:
    """One spot now: ``occupant`` is the kind of vehicle taking it, or None when free."""

    name: str
    occupant: ObjectKind | None


@dataclass(frozen=True)
class ShedOccupancy:
    """One shed's spots, in configuration order."""

    shed: str
    spots: tuple[SpotState, ...]

    @property
    def total(self) -> int:
        return len(self.spots)

    @property
    def free(self) -> int:
        return sum(s.occupant is None for s in self.spots)


@dataclass(frozen=True)
class SpotsState:
    """The vehicles followed, per kind."""

    traces: Mapping[ObjectKind, TraceSet] = field(default_factory=dict)


@dataclass(frozen=True)
class _Spot:
    key: str  # unique within the camera: "shed/spot" (spot names are unique per shed only)
    shed: str
    zone: Zone


def step(
    state: SpotsState, obs: Observation, ctx: RuleContext
) -> tuple[SpotsState, tuple[ShedOccupancy, ...]]:
    sheds = tuple(z for z in ctx.zones_of(ZoneKind.SHED) if z.spots)
    if not sheds:
        return state, ()
    spots = _spots(sheds)
    zones = tuple(s.zone for s in spots)
    shed_of = {s.key: s.shed for s in spots}
    traces = {
        kind: _follow(state.traces.get(kind, TraceSet()), kind, obs, ctx, zones, shed_of)
        for kind in VEHICLES
    }
    taken: dict[str, ObjectKind] = {}
    for kind in reversed(VEHICLES):  # the first kind overwrites the later ones
        for trace in traces[kind].traces:
            if trace.membership.zone is not None and trace.rest_since is not None:
                taken[trace.membership.zone] = kind
    occupancy = tuple(
        ShedOccupancy(
            shed.name, tuple(SpotState(s.name, taken.get(_key(shed, s))) for s in shed.spots)
        )
        for shed in sheds
    )
    return SpotsState(traces), occupancy


def _spots(sheds: tuple[Zone, ...]) -> tuple[_Spot, ...]:
    return tuple(
        _Spot(_key(shed, s), shed.name, replace(s, name=_key(shed, s)))
        for shed in sheds
        for s in shed.spots
    )


def _key(shed: Zone, spot: Zone) -> str:
    return f"{shed.name}/{spot.name}"


def _params(ctx: RuleContext, shed: str | None) -> ShedSpotsParams:
    return ctx.for_zone(shed).shed_spots


def _follow(
    traces: TraceSet,
    kind: ObjectKind,
    obs: Observation,
    ctx: RuleContext,
    zones: tuple[Zone, ...],
    shed_of: Mapping[str, str],
) -> TraceSet:
    presence = ctx.params.presence
    anchor = ctx.params.shed_spots.anchor
    every = [p.shed_spots for p in ctx.all_params()]
    stays = Stays(zones, anchor, lambda key: _params(ctx, shed_of.get(key)).clear_after_s)
    history = max(p.rest_window_s for p in every)
    update = follow(traces, sightings(obs, kind), obs, presence, history, stays)
    advanced = tuple(
        _advance(t, obs, ctx, zones, shed_of) if t.id in update.seen else t
        for t in update.traces.traces
    )
    kept = tuple(
        t
        for t in advanced
        if obs.timestamp - t.last_seen_ts
        <= _params(ctx, shed_of.get(t.membership.zone or "")).clear_after_s
    )
    return replace(update.traces, traces=kept)


def _advance(
    trace: Trace,
    obs: Observation,
    ctx: RuleContext,
    zones: tuple[Zone, ...],
    shed_of: Mapping[str, str],
) -> Trace:
    presence = ctx.params.presence
    trace = with_membership(trace, zones, ctx.params.shed_spots.anchor, obs, presence)
    p = _params(ctx, shed_of.get(trace.membership.zone or ""))
    return with_rest(trace, obs, p.max_speed, p.rest_window_s, None)
