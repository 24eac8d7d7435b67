"""Matching predicted alerts to labelled events: windows, zones, one-to-one greed, latency."""

from __future__ import annotations

import pytest

from alerts.events import EventType
from alerts.params import RuleParams, RuleParamsOverride
from stairwatch.evaluation.matching import (
    GRACE_S,
    PredictedEvent,
    TruthEvent,
    expected_delay_s,
    match_events,
)

PARKED = EventType.EBIKE_PARKED
ELEVATOR = EventType.EBIKE_IN_ELEVATOR
WIRE = EventType.FLYING_WIRE


def pred(a: float, type_: EventType = ELEVATOR, zone: str | None = "z") -> PredictedEvent:
    return PredictedEvent(type_, zone, a)


def truth(
    start: float, end: float, type_: EventType = ELEVATOR, zone: str | None = "z"
) -> TruthEvent:
    return TruthEvent(type_, zone, start, end)


@pytest.mark.parametrize(
    ("predicted", "truths", "counts"),
    [
        pytest.param([pred(9.9)], [truth(10, 20)], (0, 1, 1), id="early"),
        pytest.param([pred(20 + GRACE_S + 0.01)], [truth(10, 20)], (0, 1, 1), id="late"),
        pytest.param([pred(10.0)], [truth(10, 20)], (1, 0, 0), id="at-start"),
        pytest.param([pred(20 + GRACE_S)], [truth(10, 20)], (1, 0, 0), id="at-end-plus-grace"),
        pytest.param([pred(20.0)], [truth(10, 20)], (1, 0, 0), id="at-end"),
        pytest.param([pred(12), pred(14)], [truth(10, 20)], (1, 1, 0), id="duplicate"),
        pytest.param([pred(12, WIRE)], [truth(10, 20)], (0, 1, 1), id="wrong-type"),
        pytest.param([pred(12, zone="a")], [truth(10, 20, zone="b")], (0, 1, 1), id="wrong-zone"),
        pytest.param([pred(12, zone=None)], [truth(10, 20)], (1, 0, 0), id="zone-missing-pred"),
        pytest.param([pred(12)], [truth(10, 20, zone=None)], (1, 0, 0), id="zone-missing-truth"),
        pytest.param([], [], (0, 0, 0), id="negative-clip-quiet"),
        pytest.param([pred(3), pred(40, WIRE)], [], (0, 2, 0), id="negative-clip-alarms"),
        pytest.param([], [truth(10, 20)], (0, 0, 1), id="missed"),
        pytest.param(
            [pred(12), pred(32)], [truth(10, 20), truth(30, 40)], (2, 0, 0), id="two-events"
        ),
    ],
)
def test_counts(
    predicted: list[PredictedEvent], truths: list[TruthEvent], counts: tuple[int, int, int]
) -> None:
    m = match_events(predicted, truths, RuleParams())
    assert (m.tp, m.fp, m.fn) == counts


@pytest.mark.parametrize(
    ("predicted", "expected_pairs", "false_alarms", "misses"),
    [
        # The alert at 15 comes first and takes the earliest-starting eligible truth (0-100),
        # leaving 10-20 to be missed and the alert at 50 without an unmatched truth.
        pytest.param([pred(15), pred(50)], {(0, 0)}, (1,), (1,), id="greedy-in-time-order"),
        pytest.param([pred(50), pred(15)], {(1, 0)}, (0,), (1,), id="input-order-irrelevant"),
    ],
)
def test_greedy_order(
    predicted: list[PredictedEvent],
    expected_pairs: set[tuple[int, int]],
    false_alarms: tuple[int, ...],
    misses: tuple[int, ...],
) -> None:
    truths = [truth(0, 100), truth(10, 20)]
    m = match_events(predicted, truths, RuleParams())
    assert {(x.prediction, x.truth) for x in m.matches} == expected_pairs
    assert m.false_alarms == false_alarms
    assert m.misses == misses


def _params() -> tuple[RuleParams, dict[str, RuleParams]]:
    """Global dwell 60 < clip dwell 30 < zone ``landing`` dwell 10."""
    clip = RuleParams().merged(RuleParamsOverride.model_validate({"ebike_parked": {"dwell_s": 30}}))
    landing = clip.merged(RuleParamsOverride.model_validate({"ebike_parked": {"dwell_s": 10}}))
    return clip, {"landing": landing}


@pytest.mark.parametrize(
    ("prediction", "truth_event", "latency"),
    [
        pytest.param(
            pred(25, PARKED, "landing"), truth(12, 80, PARKED, "landing"), 3.0, id="zone-dwell"
        ),
        pytest.param(
            pred(25, PARKED, "landing"), truth(12, 80, PARKED, None), 3.0, id="pred-zone-dwell"
        ),
        pytest.param(pred(45, PARKED, "hall"), truth(12, 80, PARKED, "hall"), 3.0, id="clip-dwell"),
        pytest.param(pred(40, PARKED, None), truth(12, 80, PARKED, None), -2.0, id="early"),
        pytest.param(
            pred(14, ELEVATOR, "landing"), truth(12, 20, ELEVATOR, "landing"), 2.0, id="no-dwell"
        ),
    ],
)
def test_latency(prediction: PredictedEvent, truth_event: TruthEvent, latency: float) -> None:
    params, zone_params = _params()
    m = match_events([prediction], [truth_event], params, zone_params)
    assert [x.latency_s for x in m.matches] == [pytest.approx(latency)]


@pytest.mark.parametrize(
    ("event_type", "zone", "delay"),
    [
        (PARKED, "landing", 10.0),
        (PARKED, None, 30.0),
        (PARKED, "other", 30.0),
        (WIRE, "landing", 0.0),
    ],
)
def test_expected_delay(event_type: EventType, zone: str | None, delay: float) -> None:
    params, zone_params = _params()
    assert expected_delay_s(truth(0, 1, event_type, zone), zone, params, zone_params) == delay
