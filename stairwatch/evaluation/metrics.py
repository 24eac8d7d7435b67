"""Counts, rates and latencies over all clips, and the result model ``--json`` dumps.

Precision is None when nothing was predicted, recall None when there was no truth, F1 None
when either is None. Ratios are rounded to 3 decimals, seconds to 3.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from stairwatch.evaluation.matching import (
    EVALUATED_TYPES,
    ClipMatching,
    PredictedEvent,
    TruthEvent,
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Latency(_Model):
    """Seconds late (negative: early) of the matched alerts."""

    mean: float
    p95: float
    count: int


class Scores(_Model):
    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None


class TypeScores(Scores):
    latency_s: Latency | None


class PredictedOut(_Model):
    type: str
    zone: str | None
    alert_s: float
    confidence: float
    matched: bool
    latency_s: float | None


class TruthOut(_Model):
    type: str
    zone: str | None
    start_s: float
    end_s: float
    matched: bool


class ClipResult(_Model):
    clip: str
    duration_s: float
    frames: int
    tp: int
    fp: int
    fn: int
    predicted: list[PredictedOut]
    truth: list[TruthOut]


class FrameMetrics(_Model):
    """Detector quality on the sidecars' boxed frames, at IoU 0.5, over our kinds."""

    map50: float
    per_class_ap50: dict[str, float]
    images: int
    boxes: int


class Speed(_Model):
    """Frames through the pipeline; wall seconds of the whole evaluation (decoding, detection,
    rules, frame scoring); clip seconds per wall second."""

    frames: int
    wall_s: float
    x_realtime: float | None


class EvalResult(_Model):
    clips: int
    duration_s: float
    model: str
    overall: Scores
    per_type: dict[str, TypeScores]
    false_alarms_per_hour: float | None
    per_clip: list[ClipResult]
    frames: FrameMetrics | None
    speed: Speed


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


def scores(tp: int, fp: int, fn: int) -> Scores:
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = None
    if precision is not None and recall is not None:
        f1 = round(2 * tp / (2 * tp + fp + fn), 3) if tp else 0.0
    return Scores(tp=tp, fp=fp, fn=fn, precision=precision, recall=recall, f1=f1)


def latency_stats(values: Sequence[float]) -> Latency | None:
    if not values:
        return None
    arr = np.asarray(values, np.float64)
    return Latency(
        mean=round(float(arr.mean()), 3),
        p95=round(float(np.percentile(arr, 95)), 3),
        count=len(arr),
    )


def clip_result(
    clip: str,
    duration_s: float,
    frames: int,
    predicted: Sequence[PredictedEvent],
    truth: Sequence[TruthEvent],
    matching: ClipMatching,
) -> ClipResult:
    """One clip's row: every prediction and truth with whether (and how late) it matched."""
    latency = {m.prediction: m.latency_s for m in matching.matches}
    matched_truth = {m.truth for m in matching.matches}
    return ClipResult(
        clip=clip,
        duration_s=round(duration_s, 3),
        frames=frames,
        tp=matching.tp,
        fp=matching.fp,
        fn=matching.fn,
        predicted=[
            PredictedOut(
                type=p.type.value,
                zone=p.zone,
                alert_s=round(p.alert_s, 3),
                confidence=round(p.confidence, 3),
                matched=i in latency,
                latency_s=round(latency[i], 3) if i in latency else None,
            )
            for i, p in enumerate(predicted)
        ],
        truth=[
            TruthOut(
                type=t.type.value,
                zone=t.zone,
                start_s=t.start_s,
                end_s=t.end_s,
                matched=i in matched_truth,
            )
            for i, t in enumerate(truth)
        ],
    )


def type_scores(clips: Sequence[ClipResult], event_type: str) -> TypeScores:
    preds = [p for c in clips for p in c.predicted if p.type == event_type]
    truths = [t for c in clips for t in c.truth if t.type == event_type]
    tp = sum(p.matched for p in preds)
    base = scores(tp, len(preds) - tp, sum(not t.matched for t in truths))
    latencies = [p.latency_s for p in preds if p.latency_s is not None]
    return TypeScores(**base.model_dump(), latency_s=latency_stats(latencies))


def summarize(
    clips: Sequence[ClipResult],
    model: str,
    frames: FrameMetrics | None,
    speed: Speed,
) -> EvalResult:
    """The whole evaluation from its clips' rows."""
    duration = sum(c.duration_s for c in clips)
    fp = sum(c.fp for c in clips)
    return EvalResult(
        clips=len(clips),
        duration_s=round(duration, 3),
        model=model,
        overall=scores(sum(c.tp for c in clips), fp, sum(c.fn for c in clips)),
        per_type={t.value: type_scores(clips, t.value) for t in EVALUATED_TYPES},
        false_alarms_per_hour=round(fp / (duration / 3600), 3) if duration > 0 else None,
        per_clip=list(clips),
        frames=frames,
        speed=speed,
    )


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def format_summary(result: EvalResult) -> str:
    """Plain-text tables for the terminal: per type, then per clip."""
    lines = [
        f"{'type':<20} {'tp':>4} {'fp':>4} {'fn':>4} {'prec':>6} {'recall':>6} {'f1':>6}"
        f" {'lat_mean':>8}"
    ]
    rows = [*result.per_type.items(), ("overall", result.overall)]
    for name, s in rows:
        lat = s.latency_s if isinstance(s, TypeScores) else None
        lines.append(
            f"{name:<20} {s.tp:>4} {s.fp:>4} {s.fn:>4} {_fmt(s.precision):>6} {_fmt(s.recall):>6} "
            f"{_fmt(s.f1):>6} {_fmt(lat.mean if lat else None):>8}"
        )
    lines.append("")
    width = max([4, *(len(c.clip) for c in result.per_clip)])
    lines.append(f"{'clip':<{width}} {'dur_s':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    for c in result.per_clip:
        lines.append(f"{c.clip:<{width}} {c.duration_s:>7.1f} {c.tp:>4} {c.fp:>4} {c.fn:>4}")
    lines.append("")
    fa = "-" if result.false_alarms_per_hour is None else f"{result.false_alarms_per_hour:.2f}"
    lines.append(f"{result.clips} clips, {result.duration_s:.1f} s; false alarms per hour: {fa}")
    if result.frames is not None:
        per_class = ", ".join(f"{k} {v:.3f}" for k, v in result.frames.per_class_ap50.items())
        lines.append(
            f"frames: mAP50 {result.frames.map50:.3f} ({per_class})"
            f" on {result.frames.images} images"
        )
    xr = "-" if result.speed.x_realtime is None else f"{result.speed.x_realtime:.1f}x realtime"
    lines.append(f"speed: {result.speed.frames} frames in {result.speed.wall_s:.1f} s ({xr})")
    return "\n".join(lines)
