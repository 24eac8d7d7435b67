"""Several models' results on the same clips, side by side: per event type and per camera.

Pure functions over :class:`~stairwatch.evaluation.metrics.EvalResult`; the camera of a clip
comes from its sidecar (``camera.id``), ``-`` where it names none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from stairwatch.evaluation.metrics import EvalResult, Scores, scores

NO_CAMERA = "-"


def camera_scores(result: EvalResult, camera_of: Mapping[str, str]) -> dict[str, Scores]:
    """Camera id -> its clips' summed event scores, cameras sorted."""
    sums: dict[str, tuple[int, int, int]] = {}
    for clip in result.per_clip:
        camera = camera_of.get(clip.clip) or NO_CAMERA
        tp, fp, fn = sums.get(camera, (0, 0, 0))
        sums[camera] = (tp + clip.tp, fp + clip.fp, fn + clip.fn)
    return {camera: scores(*sums[camera]) for camera in sorted(sums)}


def _cell(s: Scores) -> str:
    recall = "-" if s.recall is None else f"{s.recall:.3f}"
    f1 = "-" if s.f1 is None else f"{s.f1:.3f}"
    return f"{s.tp:>3} {s.fp:>3} {s.fn:>3} {recall:>6} {f1:>6}"


CELL_WIDTH = 24
CELL_HEAD = f"{'tp':>3} {'fp':>3} {'fn':>3} {'recall':>6} {'f1':>6}"


def format_comparison(named: Sequence[tuple[str, EvalResult]], camera_of: Mapping[str, str]) -> str:
    """Plain-text tables: per event type (and overall), per camera, then false alarms an hour
    and frame mAP50, one column block per model (``named``: label, result)."""
    width = max(20, *(len(c) for r in named for c in camera_scores(r[1], camera_of)))
    lines = [f"{'':<{width}} " + " | ".join(f"{label:<{CELL_WIDTH}}" for label, _ in named)]
    lines.append(f"{'':<{width}} " + " | ".join(CELL_HEAD for _ in named))
    types = list(named[0][1].per_type)
    for name in [*types, "overall"]:
        cells = [r.overall if name == "overall" else r.per_type[name] for _, r in named]
        lines.append(f"{name:<{width}} " + " | ".join(_cell(s) for s in cells))
    lines.append("")
    per_camera = [camera_scores(r, camera_of) for _, r in named]
    for camera in sorted({c for table in per_camera for c in table}):
        cells = [table.get(camera, scores(0, 0, 0)) for table in per_camera]
        lines.append(f"{'camera ' + camera:<{width}} " + " | ".join(_cell(s) for s in cells))
    lines.append("")
    fa = ["-" if r.false_alarms_per_hour is None else f"{r.false_alarms_per_hour:.2f}"
          for _, r in named]  # fmt: skip
    lines.append(
        f"{'false alarms / hour':<{width}} " + " | ".join(f"{v:<{CELL_WIDTH}}" for v in fa)
    )
    maps = ["-" if r.frames is None else f"{r.frames.map50:.3f}" for _, r in named]
    lines.append(f"{'frame mAP50':<{width}} " + " | ".join(f"{v:<{CELL_WIDTH}}" for v in maps))
    return "\n".join(lines)
