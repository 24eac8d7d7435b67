"""exit_blocked: an object (e-bike, bicycle: ``kinds``) at rest in an ``exit`` zone for
``dwell_s`` -> high, in the patrollers' digest.

``exit`` zones are fire exits and aisles, in sheds and stairwells alike. People are never
objects here (they move on; a person in a closed shed is ``shed_intrusion``'s). The objects are
followed as one set whatever kind the detector calls them from frame to frame, so a bicycle the
detector once calls an e-bike stays one stay. An object moving (``max_speed`` or more) never
counts; one lost for less than ``clear_after_s`` and found again nearby is the same stay: one
event per stay, ENDED once it has been gone ``clear_after_s``.
"""

from __future__ import annotations

from functools import partial

from alerts.events import EventChange, EventType, Severity
from alerts.observation import Observation
from alerts.rules.context import RuleContext
from alerts.rules.traces import Stays, Trace, follow, sightings, with_membership, with_rest
from alerts.rules.zone_objects import (
    Due,
    ObjectRule,
    ObjectRuleState,
    due_at_rest,
    flush_objects,
    settle,
)
from vision.zones import ZoneKind


def step(
    state: ObjectRuleState, obs: Observation, ctx: RuleContext
) -> tuple[ObjectRuleState, list[EventChange]]:
    zones = ctx.zones_of(ZoneKind.EXIT)
    if not zones:
        return state, []
    camera = ctx.params
    anchor = camera.exit_blocked.anchor
    clear_after = partial(_clear_after_s, ctx)
    stays = Stays(zones, anchor, clear_after)
    objects = [s for kind in camera.exit_blocked.kinds for s in sightings(obs, kind)]
    history = max(p.exit_blocked.rest_window_s for p in ctx.all_params())
    update = follow(state.traces, objects, obs, camera.presence, history, stays)
    traces = tuple(
        _advance(t, obs, ctx, zones) if t.id in update.seen else t for t in update.traces.traces
    )
    rule = ObjectRule(
        EventType.EXIT_BLOCKED,
        clear_after_s=clear_after,
        remind_after_s=lambda z: None,
        forget_after_s=max(p.exit_blocked.clear_after_s for p in ctx.all_params()),
        due=lambda t: _due(t, obs.timestamp, ctx),
    )
    return settle(state, update, traces, obs.timestamp, camera.events, ctx.camera_id, rule)


def flush(state: ObjectRuleState, ts: float) -> tuple[ObjectRuleState, list[EventChange]]:
    return flush_objects(state, ts)


def _clear_after_s(ctx: RuleContext, zone: str | None) -> float:
    return ctx.for_zone(zone).exit_blocked.clear_after_s


def _advance(trace: Trace, obs: Observation, ctx: RuleContext, zones: tuple) -> Trace:
    camera = ctx.params
    trace = with_membership(trace, zones, camera.exit_blocked.anchor, obs, camera.presence)
    p = ctx.for_zone(trace.membership.zone).exit_blocked
    return with_rest(trace, obs, p.max_speed, p.rest_window_s, None)


def _due(trace: Trace, ts: float, ctx: RuleContext) -> Due | None:
    dwell_s = ctx.for_zone(trace.membership.zone).exit_blocked.dwell_s
    return due_at_rest(trace, ts, dwell_s, Severity.HIGH)
