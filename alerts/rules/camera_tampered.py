"""camera_tampered: the view is blocked, blurred or turned away for ``after_s`` -> high.

The normal view (sharpness, thumbnail) is learned from normal frames over ``learn_s`` and then
follows slow changes (time constant ``adapt_s``); abnormal frames never teach it. Blur and
"turned away" are judged only once the reference is learned; "blocked" from the first frame.
Frames without an image are skipped, and so are frames less than ``measure_every_s`` after the
last measured one (the measure is the rule's whole cost). ENDED once normal for ``clear_after_s``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from alerts.events import Detail, EventChange, EventRecord, EventType, Severity
from alerts.observation import Observation
from alerts.params import CameraTamperedParams
from alerts.rules.context import RuleContext
from alerts.rules.lifecycle import OpenEvent, Sight, end_event, event_key, observe, raise_event
from vision.tamper import (
    ImageMeasures,
    TamperReference,
    TamperThresholds,
    TamperVerdict,
    assess,
    learn_reference,
    measure_image,
)
from vision.throttle import too_soon

_FIRST_FRAME_S = 0.5  # how much time the very first frame stands for
_MAX_FRAME_S = 5.0  # a longer gap between frames counts as this much learning
_CLOCK_SLACK_S = 0.01  # frame times jitter: 0.999 s after the last measure counts as 1 s


@dataclass(frozen=True, eq=False)
class TamperState:
    """Attributes:
    reference: the learned normal view, or None before the first normal frame.
    last_ts: time of the last measured frame.
    abnormal_since: start of the current abnormal run, or None.
    normal_since: start of the current normal run while an event is open, or None.
    event: the open event, or None.
    raised: events raised so far (numbers the keys).
    """

    reference: TamperReference | None = None
    last_ts: float | None = None
    abnormal_since: float | None = None
    normal_since: float | None = None
    event: OpenEvent | None = None
    raised: int = 0


def step(
    state: TamperState, obs: Observation, ctx: RuleContext
) -> tuple[TamperState, list[EventChange]]:
    p = ctx.params.camera_tampered
    ts = obs.timestamp
    if obs.image is None or too_soon(state.last_ts, ts, p.measure_every_s, _CLOCK_SLACK_S):
        return state, []
    measures = measure_image(obs.image)
    ready = state.reference is not None and state.reference.learned_s >= p.learn_s
    verdict = assess(measures, state.reference if ready else None, _thresholds(p))
    state = replace(state, last_ts=ts, reference=_learned(state, verdict, measures, ts, p))
    if verdict.normal:
        return _normal(state, ts, p)
    return _abnormal(state, verdict, ts, ctx)


def flush(state: TamperState, ts: float) -> tuple[TamperState, list[EventChange]]:
    """End an open event; the learned reference is kept (same camera, same view)."""
    changes = [end_event(state.event, ts)] if state.event is not None else []
    return TamperState(reference=state.reference, raised=state.raised), changes


def _learned(
    state: TamperState,
    verdict: TamperVerdict,
    measures: ImageMeasures,
    ts: float,
    p: CameraTamperedParams,
) -> TamperReference | None:
    """The reference with this frame folded in when it is normal (never teach it tampering)."""
    if not verdict.normal:
        return state.reference
    dt = (
        _FIRST_FRAME_S if state.last_ts is None else min(max(ts - state.last_ts, 0.0), _MAX_FRAME_S)
    )
    return learn_reference(state.reference, measures, dt, p.adapt_s)


def _normal(
    state: TamperState, ts: float, p: CameraTamperedParams
) -> tuple[TamperState, list[EventChange]]:
    if state.event is None:
        return replace(state, abnormal_since=None), []
    normal_since = state.normal_since if state.normal_since is not None else ts
    if ts - normal_since < p.clear_after_s:
        return replace(state, normal_since=normal_since), []
    ended = end_event(state.event, normal_since)
    return replace(state, event=None, abnormal_since=None, normal_since=None), [ended]


def _abnormal(
    state: TamperState, verdict: TamperVerdict, ts: float, ctx: RuleContext
) -> tuple[TamperState, list[EventChange]]:
    since = state.abnormal_since if state.abnormal_since is not None else ts
    state = replace(state, abnormal_since=since, normal_since=None)
    if state.event is not None:
        event, changes = observe(state.event, Sight(ts, None, 1.0, None), ctx.params.events, None)
        return replace(state, event=event), changes
    if ts - since < ctx.params.camera_tampered.after_s:
        return state, []
    number = state.raised + 1
    record = EventRecord(
        key=event_key(ctx.camera_id, EventType.CAMERA_TAMPERED, None, number),
        camera_id=ctx.camera_id,
        zone=None,
        type=EventType.CAMERA_TAMPERED,
        severity=Severity.HIGH,
        track_id=None,
        confidence=1.0,
        start_ts=since,
        alert_ts=ts,
        details=_details(verdict),
    )
    event, change = raise_event(record, None, ts)
    return replace(state, event=event, raised=number), [change]


def _details(verdict: TamperVerdict) -> tuple[Detail, ...]:
    flags = (
        (verdict.blocked, Detail.VIEW_BLOCKED),
        (verdict.blurred, Detail.VIEW_BLURRED),
        (verdict.moved, Detail.CAMERA_TURNED_AWAY),
    )
    return tuple(detail for flag, detail in flags if flag)


def _thresholds(p: CameraTamperedParams) -> TamperThresholds:
    return TamperThresholds(
        blocked_std=p.blocked_std,
        blocked_uniform_fraction=p.blocked_uniform_fraction,
        blur_ratio=p.blur_ratio,
        moved_correlation=p.moved_correlation,
    )
