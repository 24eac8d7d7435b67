"""Predicted events against true events, one clip at a time. Pure functions.

A prediction alerting at ``a`` seconds matches a true event of the same type when
``start_s <= a <= end_s + GRACE_S`` and, where both name a zone, the zones agree.
Matching is one-to-one and greedy in order of ``a``: each prediction takes the
earliest-starting unmatched eligible truth. Unmatched predictions are false alarms,
unmatched truths misses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from alerts.events import Box, EventType
from alerts.params import RuleParams

EVALUATED_TYPES: Mapping[EventType, Callable[[RuleParams], float]] = {
    EventType.EBIKE_PARKED: lambda p: p.ebike_parked.dwell_s,
    EventType.EBIKE_IN_ELEVATOR: lambda p: 0.0,
    EventType.FLYING_WIRE: lambda p: 0.0,
    EventType.SHED_INTRUSION: lambda p: p.shed_intrusion.min_s,
    EventType.EXIT_BLOCKED: lambda p: p.exit_blocked.dwell_s,
    EventType.SMOKE_FIRE: lambda p: 0.0,
}
"""Event types a sidecar can label and eval scores (the camera-health types are not scored),
each with how long after its true start the rule is meant to alert, given the effective rule
parameters: a new type is one line here."""

GRACE_S = 5.0
"""Seconds after a true event ends in which an alert for it still counts."""


@dataclass(frozen=True)
class TruthEvent:
    """A labelled event; times in seconds from the clip's start."""

    type: EventType
    zone: str | None
    start_s: float
    end_s: float

    @property
    def middle_s(self) -> float:
        return (self.start_s + self.end_s) / 2


@dataclass(frozen=True)
class PredictedEvent:
    """A raised alert; ``alert_s`` in seconds from the clip's start, ``box`` the object then."""

    type: EventType
    zone: str | None
    alert_s: float
    confidence: float = 0.0
    box: Box | None = None


@dataclass(frozen=True)
class Match:
    """``predicted[prediction]`` matched ``truth[truth]``; ``latency_s`` as :func:`latency_s`."""

    prediction: int
    truth: int
    latency_s: float


@dataclass(frozen=True)
class ClipMatching:
    """The outcome for one clip, as indexes into the lists given to :func:`match_events`."""

    matches: tuple[Match, ...]
    false_alarms: tuple[int, ...]
    misses: tuple[int, ...]

    @property
    def tp(self) -> int:
        return len(self.matches)

    @property
    def fp(self) -> int:
        return len(self.false_alarms)

    @property
    def fn(self) -> int:
        return len(self.misses)


def is_eligible(prediction: PredictedEvent, truth: TruthEvent) -> bool:
    """Same type, zones agree where both are named, alert within the truth's window."""
    if prediction.type != truth.type:
        return False
    if prediction.zone is not None and truth.zone is not None and prediction.zone != truth.zone:
        return False
    return truth.start_s <= prediction.alert_s <= truth.end_s + GRACE_S


def expected_delay_s(
    truth: TruthEvent,
    zone: str | None,
    params: RuleParams,
    zone_params: Mapping[str, RuleParams],
) -> float:
    """How long after ``start_s`` the rules are meant to alert (:data:`EVALUATED_TYPES`), with
    the zone's rules when ``zone`` has its own, else ``params``."""
    effective = zone_params.get(zone, params) if zone is not None else params
    return EVALUATED_TYPES[truth.type](effective)


def latency_s(
    prediction: PredictedEvent,
    truth: TruthEvent,
    params: RuleParams,
    zone_params: Mapping[str, RuleParams],
) -> float:
    """``alert_s - (start_s + expected delay)``: 0 is on time, positive is late.

    The zone is the truth's, else the prediction's (the zone whose rules fired)."""
    zone = truth.zone if truth.zone is not None else prediction.zone
    return prediction.alert_s - (truth.start_s + expected_delay_s(truth, zone, params, zone_params))


def match_events(
    predicted: Sequence[PredictedEvent],
    truth: Sequence[TruthEvent],
    params: RuleParams,
    zone_params: Mapping[str, RuleParams] | None = None,
) -> ClipMatching:
    """Greedy one-to-one matching of one clip's predictions to its truth (see module doc)."""
    zone_params = zone_params or {}
    unmatched = set(range(len(truth)))
    matches = []
    false_alarms = []
    for p in sorted(range(len(predicted)), key=lambda i: predicted[i].alert_s):
        candidates = [t for t in unmatched if is_eligible(predicted[p], truth[t])]
        if not candidates:
            false_alarms.append(p)
            continue
        t = min(candidates, key=lambda i: (truth[i].start_s, i))
        unmatched.discard(t)
        matches.append(Match(p, t, latency_s(predicted[p], truth[t], params, zone_params)))
    return ClipMatching(tuple(matches), tuple(false_alarms), tuple(sorted(unmatched)))
