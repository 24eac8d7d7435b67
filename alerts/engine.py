"""One camera's rules, run frame by frame over explicit, inspectable state. No threads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from typing import Any, Protocol

from alerts.errors import AlertsError
from alerts.events import EventChange
from alerts.observation import Observation
from alerts.params import RuleParams
from alerts.rules import (
    camera_tampered,
    ebike_in_elevator,
    ebike_parked,
    exit_blocked,
    flying_wire,
    shed_intrusion,
    shed_spots,
    smoke_fire,
)
from alerts.rules.camera_tampered import TamperState
from alerts.rules.context import RuleContext
from alerts.rules.shed_spots import ShedOccupancy, SpotsState
from alerts.rules.smoke_fire import SmokeFireState
from alerts.rules.zone_objects import ObjectRuleState
from vision.zones import Zone


class RuleEngineError(AlertsError):
    """An observation the engine cannot take (another camera, time running backwards)."""


@dataclass(frozen=True, eq=False)
class EngineState:
    """Every rule's state after the last step."""

    ebike_parked: ObjectRuleState = field(default_factory=ObjectRuleState)
    ebike_in_elevator: ObjectRuleState = field(default_factory=ObjectRuleState)
    flying_wire: ObjectRuleState = field(default_factory=ObjectRuleState)
    camera_tampered: TamperState = field(default_factory=TamperState)
    shed_intrusion: ObjectRuleState = field(default_factory=ObjectRuleState)
    exit_blocked: ObjectRuleState = field(default_factory=ObjectRuleState)
    shed_spots: SpotsState = field(default_factory=SpotsState)
    smoke_fire: SmokeFireState = field(default_factory=SmokeFireState)
    last_ts: float | None = None


class EventRule(Protocol):
    """A rule module that raises events: its state is a field of :class:`EngineState`."""

    def step(
        self, state: Any, obs: Observation, ctx: RuleContext
    ) -> tuple[Any, list[EventChange]]: ...

    def flush(self, state: Any, ts: float) -> tuple[Any, list[EventChange]]: ...


EVENT_RULES: tuple[tuple[str, EventRule], ...] = (
    ("ebike_parked", ebike_parked),
    ("ebike_in_elevator", ebike_in_elevator),
    ("flying_wire", flying_wire),
    ("camera_tampered", camera_tampered),
    ("shed_intrusion", shed_intrusion),
    ("exit_blocked", exit_blocked),
    ("smoke_fire", smoke_fire),
)
"""The rules that raise events, by their :class:`EngineState` field, in the order their changes
come out of a step or flush. ``shed_spots`` is stepped apart: it raises no event."""


class CameraRuleEngine:
    """Runs the rules of one camera. Not thread-safe: one caller at a time.

    Args:
        camera_id: the camera; observations of other cameras are refused.
        zones: its zones, in configuration order.
        params: the camera's rule parameters.
        zone_params: parameters of zones that differ from the camera's, by zone name.
        tz: the site's time zone, for schedules (None: the machine's local time).

    After each :meth:`step`, :attr:`occupancy` holds the sheds' spots as of that frame.
    """

    def __init__(
        self,
        camera_id: str,
        zones: Sequence[Zone],
        params: RuleParams,
        zone_params: Mapping[str, RuleParams] | None = None,
        tz: tzinfo | None = None,
    ):
        names = [z.name for z in zones]
        if len(set(names)) != len(names):
            raise RuleEngineError(f"camera {camera_id}: zone names must be unique, got {names}")
        self.context = RuleContext(camera_id, tuple(zones), params, dict(zone_params or {}), tz)
        self.state = EngineState()
        self.occupancy: tuple[ShedOccupancy, ...] = ()

    @property
    def camera_id(self) -> str:
        return self.context.camera_id

    def step(self, obs: Observation) -> list[EventChange]:
        """Advance every rule by one frame; returns that frame's event changes in rule order."""
        self._check(obs)
        states, changes = {}, []
        for name, rule in EVENT_RULES:
            states[name], more = rule.step(getattr(self.state, name), obs, self.context)
            changes += more
        spots, self.occupancy = shed_spots.step(self.state.shed_spots, obs, self.context)
        self.state = replace(self.state, **states, shed_spots=spots, last_ts=obs.timestamp)
        return changes

    def step_fire(self, obs: Observation) -> list[EventChange]:
        """Advance only ``smoke_fire`` by one frame: the extra frames a second it gets on a camera
        with a shed zone (:func:`alerts.rules.smoke_fire.check_fps`), with the last frame's
        detections; the other rules wait for the next full :meth:`step`."""
        self._check(obs)
        fire, changes = smoke_fire.step(self.state.smoke_fire, obs, self.context)
        self.state = replace(self.state, smoke_fire=fire, last_ts=obs.timestamp)
        return changes

    def _check(self, obs: Observation) -> None:
        if obs.camera_id != self.camera_id:
            raise RuleEngineError(f"engine of {self.camera_id} got a frame of {obs.camera_id}")
        last = self.state.last_ts
        if last is not None and obs.timestamp < last:
            raise RuleEngineError(
                f"{self.camera_id}: time went back from {last} to {obs.timestamp}"
            )

    def flush(self, timestamp: float) -> list[EventChange]:
        """End every open event at ``timestamp`` (end of a clip, shutdown) and forget the objects.
        The learned camera view and the key numbering are kept."""
        states, changes = {}, []
        for name, rule in EVENT_RULES:
            states[name], more = rule.flush(getattr(self.state, name), timestamp)
            changes += more
        self.state = replace(self.state, **states)
        return changes
