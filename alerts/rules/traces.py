"""Objects followed by place, not by tracker id.

A :class:`Trace` is one physical object as the rules see it: it continues across missed frames
(occlusion, detector flicker) and across tracker id switches, because a detection is matched to
a trace by its tracker id *or* by overlap / nearness to the trace's last box. A trace lost in a
zone is also found again a little further on (its :class:`Stays`): one stay, one trace, one
event. Rules own their traces; everything here is a pure function returning new values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from alerts.events import Box
from alerts.observation import Observation
from alerts.params import Anchor, PresenceParams
from alerts.rules.geometry import (
    anchor_points,
    box_height_px,
    box_width_px,
    centre_distance_px,
    iou,
    normalized_boxes,
    zone_area,
    zone_depth_px,
)
from vision.zones import Zone

_SAME_TRACK_BONUS = 1.0
_DISTANCE_PENALTY = 0.1
_SETTLE_S = 1.0


@dataclass(frozen=True)
class Sighting:
    """One detection of the kind a rule follows, normalized.

    Attributes:
        box: normalized box.
        confidence: detector score in [0, 1].
        track_id: the tracker's id, or None.
    """

    box: Box
    confidence: float
    track_id: int | None


@dataclass(frozen=True)
class Sample:
    """Where a trace was seen: ``box`` at ``ts`` seconds."""

    ts: float
    box: Box


@dataclass(frozen=True)
class Membership:
    """Which zone a trace is in, with hysteresis.

    Attributes:
        zone: the confirmed zone, or None.
        since: when the trace entered ``zone`` (first frame of the run that confirmed it).
        pending: a zone (or None: "no zone") the trace keeps being seen in instead of ``zone``.
        pending_count: consecutive frames of ``pending`` so far (0: nothing pending).
        pending_since: first frame of that run.
    """

    zone: str | None = None
    since: float | None = None
    pending: str | None = None
    pending_count: int = 0
    pending_since: float | None = None


@dataclass(frozen=True)
class Trace:
    """One object as a rule follows it.

    Attributes:
        id: number within its rule, never reused.
        box: latest normalized box.
        track_id: latest tracker id, or None.
        first_seen_ts, last_seen_ts: seconds.
        confidence: latest detector score.
        best_confidence: best detector score seen.
        samples: recent (ts, box), oldest first: the rest window plus one older sample.
        membership: its zone.
        rest_since: when it came to rest, or None while moving or not yet known.
    """

    id: int
    box: Box
    track_id: int | None
    first_seen_ts: float
    last_seen_ts: float
    confidence: float
    best_confidence: float
    samples: tuple[Sample, ...]
    membership: Membership = field(default_factory=Membership)
    rest_since: float | None = None


@dataclass(frozen=True)
class Stays:
    """Where a rule's objects stay, so one lost for a moment is found again there.

    Attributes:
        zones: the rule's zones.
        anchor: the point(s) of a box that decide whether it is in a zone.
        clear_after_s: a zone's seconds gone before a stay there is over.
    """

    zones: Sequence[Zone]
    anchor: Anchor
    clear_after_s: Callable[[str], float]


@dataclass(frozen=True)
class TraceSet:
    traces: tuple[Trace, ...] = ()
    next_id: int = 1


@dataclass(frozen=True)
class TraceUpdate:
    """Traces after one frame; ``seen`` maps trace id -> index of its sighting this frame."""

    traces: TraceSet
    seen: Mapping[int, int]


def sightings(obs: Observation, kind: str) -> list[Sighting]:
    """The frame's detections of ``kind`` (a name in :data:`vision.kinds.KIND_NAMES`)."""
    rows = obs.detections.of_class(kind)
    boxes = normalized_boxes(rows, obs.width, obs.height)
    ids = rows.tracker_id
    return [
        Sighting(box, float(rows.confidence[i]), None if ids is None else int(ids[i]))
        for i, box in enumerate(boxes)
    ]


def follow(
    traces: TraceSet,
    seen_now: Sequence[Sighting],
    obs: Observation,
    presence: PresenceParams,
    history_s: float,
    stays: Stays,
) -> TraceUpdate:
    """Match this frame's sightings to traces (greedy, best first) and start traces for the rest.

    A sighting may continue a trace when it has the trace's tracker id, overlaps its last box by
    ``presence.match_iou``, or lies within ``presence.match_distance`` box heights of it. A
    sighting left over may then continue a trace lost in a zone (not seen this frame, gone at
    most that zone's ``clear_after_s``) when it stands in that zone and its box overlaps the
    trace's last box or its anchor lies within ``presence.refind_distance`` box widths of it:
    the object was lost for a moment and found again, perhaps moved, perhaps under a new
    tracker id. ``history_s``: how many seconds of samples to keep.
    """
    pairs = _candidate_pairs(traces.traces, seen_now, obs, presence)
    seen: dict[int, int] = {}
    used: set[int] = set()
    _match_greedily(traces.traces, pairs, seen, used)
    refound = _refound_pairs(traces.traces, seen_now, seen, used, obs, presence, stays)
    _match_greedily(traces.traces, refound, seen, used)
    updated = [
        _sighted(t, seen_now[seen[t.id]], obs.timestamp, history_s) if t.id in seen else t
        for t in traces.traces
    ]
    next_id = traces.next_id
    for row, sighting in enumerate(seen_now):
        if row not in used:
            updated.append(_new_trace(next_id, sighting, obs.timestamp))
            seen[next_id] = row
            next_id += 1
    return TraceUpdate(TraceSet(tuple(updated), next_id), seen)


def drop_stale(traces: TraceSet, ts: float, ttl_s: float) -> TraceSet:
    """Forget traces not seen for more than ``ttl_s`` seconds."""
    kept = tuple(t for t in traces.traces if ts - t.last_seen_ts <= ttl_s)
    return replace(traces, traces=kept)


def with_membership(
    trace: Trace,
    zones: Sequence[Zone],
    anchor: Anchor,
    obs: Observation,
    presence: PresenceParams,
) -> Trace:
    """The trace with its zone membership advanced by this frame's sighting.

    Entering takes ``enter_frames`` consecutive frames inside; leaving takes ``leave_frames``
    consecutive frames beyond ``leave_margin`` box heights outside. Among overlapping zones the
    smallest (most specific) wins, ties by configuration order; a confirmed zone is kept as
    long as the object is in it, so an object never switches between overlapping zones.
    """
    m = trace.membership
    points = anchor_points(trace.box, anchor)
    depths = {z.name: zone_depth_px(z, points, obs.width, obs.height) for z in zones}
    margin = presence.leave_margin * box_height_px(trace.box, obs.height)
    if m.zone is not None and depths.get(m.zone, -1.0) >= -margin:
        return replace(trace, membership=Membership(m.zone, m.since))
    inside = sorted((zone_area(z), i, z.name) for i, z in enumerate(zones) if depths[z.name] >= 0)
    target = inside[0][2] if inside else None
    if target == m.zone:
        return replace(trace, membership=Membership(m.zone, m.since))
    continuing = m.pending_count > 0 and m.pending == target
    count = m.pending_count + 1 if continuing else 1
    since = m.pending_since if continuing else obs.timestamp
    needed = presence.enter_frames if target is not None else presence.leave_frames
    if count >= needed:
        return replace(trace, membership=Membership(target, since if target else None))
    return replace(trace, membership=Membership(m.zone, m.since, target, count, since))


def in_sheds(
    traces: Sequence[Trace],
    sheds: Sequence[Zone],
    anchor: Anchor,
    obs: Observation,
    presence: PresenceParams,
) -> set[int]:
    """Ids of the traces whose anchor, where last seen, stands in one of the ``shed`` zones
    (within ``leave_margin`` box heights of it, so one at a shed's edge does not flicker out).

    Sheds are where e-bikes, their chargers and cables belong: drawn inside a ``no_parking`` or
    ``cable_watch`` zone they carve the shed out of it, and the rules never call such a trace due.
    """
    out: set[int] = set()
    if not sheds:  # most cameras: no geometry on every frame for nothing
        return out
    for trace in traces:
        points = anchor_points(trace.box, anchor)
        margin = presence.leave_margin * box_height_px(trace.box, obs.height)
        if any(zone_depth_px(z, points, obs.width, obs.height) >= -margin for z in sheds):
            out.add(trace.id)
    return out


def with_rest(
    trace: Trace,
    obs: Observation,
    max_speed: float,
    window_s: float,
    wheeled_speed: float | None,
) -> Trace:
    """The trace with ``rest_since`` advanced by this frame's sighting.

    Speed is the box centre's travel from the oldest kept sample to now, in box heights per
    second. Moving (``max_speed`` or more, or ``wheeled_speed`` or more when given: a person is
    with it) clears ``rest_since``; slower, over at least half a window, sets it (if unset) to
    when the object settled: the earliest sample from which it stayed within one second's
    travel at ``max_speed``. Shorter histories leave it as it was.
    """
    first = trace.samples[0]
    span = obs.timestamp - first.ts
    if span <= 0:
        return trace
    travel = centre_distance_px(first.box, trace.box, obs.width, obs.height)
    speed = travel / box_height_px(trace.box, obs.height) / span
    limit = max_speed if wheeled_speed is None else min(max_speed, wheeled_speed)
    if speed >= limit:
        return replace(trace, rest_since=None)
    if span >= window_s / 2 and trace.rest_since is None:
        radius = max_speed * box_height_px(trace.box, obs.height) * _SETTLE_S
        return replace(trace, rest_since=_settled_since(trace, radius, obs))
    return trace


def _settled_since(trace: Trace, radius_px: float, obs: Observation) -> float:
    """Time of the earliest sample from which every later one lies within ``radius_px``."""
    since = trace.samples[-1].ts
    for sample in reversed(trace.samples):
        if centre_distance_px(sample.box, trace.box, obs.width, obs.height) > radius_px:
            break
        since = sample.ts
    return since


def _candidate_pairs(
    traces: Sequence[Trace],
    seen_now: Sequence[Sighting],
    obs: Observation,
    presence: PresenceParams,
) -> list[tuple[float, int, int]]:
    """(score, trace index, sighting index) of every allowed match."""
    pairs = []
    for ti, trace in enumerate(traces):
        for row, s in enumerate(seen_now):
            overlap = iou(trace.box, s.box)
            height = max(box_height_px(trace.box, obs.height), box_height_px(s.box, obs.height))
            distance = centre_distance_px(trace.box, s.box, obs.width, obs.height) / height
            same_track = s.track_id is not None and s.track_id == trace.track_id
            if same_track or overlap >= presence.match_iou or distance <= presence.match_distance:
                score = overlap - _DISTANCE_PENALTY * min(distance, 10.0)
                pairs.append((score + (_SAME_TRACK_BONUS if same_track else 0.0), ti, row))
    return pairs


def _match_greedily(
    traces: Sequence[Trace],
    pairs: Sequence[tuple[float, int, int]],
    seen: dict[int, int],
    used: set[int],
) -> None:
    """Take (score, trace index, sighting index) pairs best score first, each trace and sighting
    once, into ``seen`` (trace id -> sighting index) and ``used`` (sighting indices)."""
    for _, trace_index, row in sorted(pairs, key=lambda p: -p[0]):
        trace_id = traces[trace_index].id
        if trace_id not in seen and row not in used:
            seen[trace_id] = row
            used.add(row)


def _refound_pairs(
    traces: Sequence[Trace],
    seen_now: Sequence[Sighting],
    seen: Mapping[int, int],
    used: set[int],
    obs: Observation,
    presence: PresenceParams,
    stays: Stays,
) -> list[tuple[float, int, int]]:
    """(score, trace index, sighting index) of every lost trace a left-over sighting may
    continue; the score falls with the distance."""
    zones = {z.name: z for z in stays.zones}
    pairs = []
    for ti, trace in enumerate(traces):
        zone = zones.get(trace.membership.zone) if trace.membership.zone else None
        if zone is None or trace.id in seen:
            continue
        if obs.timestamp - trace.last_seen_ts > stays.clear_after_s(zone.name):
            continue
        for row, s in enumerate(seen_now):
            if row in used:
                continue
            gap = _gap_widths(trace.box, s.box, stays.anchor, obs)
            near = gap <= presence.refind_distance or iou(trace.box, s.box) > 0
            points = anchor_points(s.box, stays.anchor)
            margin = presence.leave_margin * box_height_px(s.box, obs.height)
            if near and zone_depth_px(zone, points, obs.width, obs.height) >= -margin:
                pairs.append((-gap, ti, row))
    return pairs


def _gap_widths(a: Box, b: Box, anchor: Anchor, obs: Observation) -> float:
    """Distance between the boxes' places (anchor; centre for long objects), in widths of the
    wider box."""
    place = Anchor.CENTER if anchor is Anchor.BOX else anchor
    (ax, ay), (bx, by) = anchor_points(a, place)[0], anchor_points(b, place)[0]
    dist = float(np.hypot((ax - bx) * obs.width, (ay - by) * obs.height))
    return dist / max(box_width_px(a, obs.width), box_width_px(b, obs.width))


def _sighted(trace: Trace, s: Sighting, ts: float, history_s: float) -> Trace:
    samples = (*trace.samples, Sample(ts, s.box))
    recent = [i for i, sample in enumerate(samples) if sample.ts >= ts - history_s]
    start = max(0, recent[0] - 1) if recent else len(samples) - 1
    return replace(
        trace,
        box=s.box,
        track_id=s.track_id if s.track_id is not None else trace.track_id,
        last_seen_ts=ts,
        confidence=s.confidence,
        best_confidence=max(trace.best_confidence, s.confidence),
        samples=samples[start:],
    )


def _new_trace(trace_id: int, s: Sighting, ts: float) -> Trace:
    return Trace(
        trace_id, s.box, s.track_id, ts, ts, s.confidence, s.confidence, (Sample(ts, s.box),)
    )
