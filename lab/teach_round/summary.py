"""What the round did, as ``DIR/summary.json``: the split, the verdicts, the export, and per
model on the later weeks recall per event type, false alarms per hour and frame mAP50."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lab.teach_round.cameras import Camera
from lab.teach_round.verdicts import SiteEvent
from stairwatch.evaluation.metrics import EvalResult
from stairwatch.teach.export import Manifest


def verdict_counts(events: Sequence[SiteEvent]) -> dict[str, int]:
    """``origin/verdict`` -> events, e.g. ``alert/false_alarm``; unreviewed: ``alert/none``."""
    counts = Counter(
        f"{e.origin.value}/{'none' if e.review is None else e.review.verdict.value}" for e in events
    )
    return dict(sorted(counts.items()))


def model_scores(result: EvalResult) -> dict[str, Any]:
    return {
        "model": Path(result.model).name,
        "recall": {t: s.recall for t, s in result.per_type.items() if s.tp + s.fn},
        "found": {t: f"{s.tp}/{s.tp + s.fn}" for t, s in result.per_type.items() if s.tp + s.fn},
        "false_alarms": result.overall.fp,
        "false_alarms_per_hour": result.false_alarms_per_hour,
        "f1": result.overall.f1,
        "frame_map50": None if result.frames is None else result.frames.map50,
    }


def summarize_round(
    *,
    first: Sequence[Camera],
    later: Sequence[Camera],
    events: Sequence[SiteEvent],
    reviewed: int,
    manifest: Manifest,
    results_json: Path,
    minutes: float,
) -> dict[str, Any]:
    results = [EvalResult.model_validate(r) for r in json.loads(results_json.read_text("utf-8"))]
    return {
        "first_week": {"cameras": len(first), "clips": sum(len(c.clips) for c in first)},
        "later_weeks": {
            "cameras": len(later),
            "clips": sum(len(c.clips) for c in later),
            "hours": round(results[0].duration_s / 3600, 3),
        },
        "events": verdict_counts(events),
        "reviewed": reviewed,
        "exported_images": manifest.images,
        "models": [model_scores(r) for r in results],
        "minutes": round(minutes, 1),
    }
