"""``stairwatch eval CLIPS_DIR``: run the service's pipeline over labelled clips and score it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

DEFAULT_DETECT_FPS = 2.0


def register(sub: Any) -> None:
    p = sub.add_parser(
        "eval",
        help="score detection and alerting against clips with ground-truth sidecars",
        description="Every NAME.mp4 (any video) in CLIPS_DIR with a NAME.json sidecar is run "
        "through the same detector, tracker and rules as the service, on the video's own clock.",
    )
    p.add_argument("clips_dir", type=Path, metavar="CLIPS_DIR")
    p.add_argument("--config", type=Path, help="service configuration (model and global rules)")
    p.add_argument(
        "--model", type=Path, help="ONNX model (default: the config's, else the bundled one)"
    )
    p.add_argument("--labels", type=Path, help="class names, one a line (YOLOX exports)")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="KIND=NAME[,NAME...]",
        help="model classes meaning one of our kinds, e.g. ebike=motorbike,bicycle (repeatable)",
    )
    p.add_argument(
        "--detect-fps", type=float, default=DEFAULT_DETECT_FPS, help="frames a second run"
    )
    p.add_argument("--confidence", type=float, help="detector confidence threshold")
    p.add_argument("--json", type=Path, metavar="OUT", help="write the result as JSON")
    p.add_argument(
        "--report", type=Path, metavar="OUT.html", help="write a self-contained HTML report"
    )
    p.add_argument(
        "--motion-gate",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="skip the detector on still frames, as the service does (default: on)",
    )
    p.add_argument(
        "--workers",
        type=int,
        help="clips evaluated at once (default: one per CPU core, at most 4; same results)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def parse_class_map(items: list[str]) -> dict[str, tuple[str, ...]]:
    """``["ebike=motorbike,bicycle"]`` -> ``{"ebike": ("motorbike", "bicycle")}``.

    Raises ValueError naming the malformed item."""
    from vision.kinds import KIND_NAMES

    out: dict[str, tuple[str, ...]] = {}
    for item in items:
        kind, sep, names = item.partition("=")
        kind = kind.strip()
        parts = tuple(n.strip() for n in names.split(",") if n.strip())
        if not sep or not parts:
            raise ValueError(f"--map {item!r}: expected KIND=NAME[,NAME...]")
        if kind not in KIND_NAMES:
            raise ValueError(
                f"--map {item!r}: unknown kind {kind!r} (kinds: {', '.join(KIND_NAMES)})"
            )
        out[kind] = parts
    return out


def _fail(message: str) -> int:
    print(f"stairwatch eval: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from alerts.params import RuleParams
    from stairwatch.config import (
        ConfigError,
        InferenceConfig,
        ModelConfig,
        load_settings,
        usable_cores,
    )
    from stairwatch.evaluation.errors import EvaluationError, SidecarError
    from stairwatch.evaluation.metrics import format_summary
    from stairwatch.evaluation.report import write_report
    from stairwatch.evaluation.runner import EvalOptions, evaluate
    from stairwatch.evaluation.sidecar import find_clips
    from vision.detector import load_detector
    from vision.errors import VisionError
    from vision.kinds import ObjectKind

    if args.detect_fps <= 0:
        return _fail(f"--detect-fps must be > 0, got {args.detect_fps}")
    if args.confidence is not None and not 0 < args.confidence < 1:
        return _fail(f"--confidence must be in (0, 1), got {args.confidence}")
    if args.workers is not None and not 1 <= args.workers <= 64:
        return _fail(f"--workers must be in [1, 64], got {args.workers}")
    try:
        cli_map = parse_class_map(args.map)
    except ValueError as exc:
        return _fail(str(exc))
    model_cfg, rules = ModelConfig(), RuleParams()
    if args.config is not None:
        try:
            settings = load_settings(args.config)
        except ConfigError as exc:
            return _fail("\n".join(f"{exc.source}: {p}" for p in exc.problems))
        model_cfg, rules = settings.model, settings.rules
    class_map = {**model_cfg.kind_map(), **{ObjectKind(k): v for k, v in cli_map.items()}}
    model_path = args.model or model_cfg.path
    labels = args.labels or (model_cfg.labels if args.model is None else None)
    confidence = args.confidence if args.confidence is not None else model_cfg.confidence

    try:
        clips = find_clips(args.clips_dir)
    except SidecarError as exc:
        return _fail("invalid sidecar\n" + "\n".join(f"{exc.path}: {p}" for p in exc.problems))
    except EvaluationError as exc:
        return _fail(str(exc))
    cores = usable_cores()
    parallel = InferenceConfig(workers=args.workers)
    try:
        track_confidence = min(model_cfg.track_confidence, confidence)
        detector = load_detector(
            model_path,
            labels,
            track_confidence,
            model_cfg.iou,
            threads=parallel.threads_per_call(cores, len(clips)),
        )
    except VisionError as exc:
        return _fail(str(exc))
    options = EvalOptions(
        model_name=str(model_path),
        confidence=confidence,
        track_confidence=track_confidence,
        class_map=class_map,
        detect_fps=args.detect_fps,
        rules=rules,
        thumbnails=args.report is not None,
        progress=not args.no_progress,
        motion_gate=args.motion_gate,
        workers=parallel.worker_count(cores, len(clips)),
    )
    try:
        outcome = evaluate(clips, detector, options)
    except (EvaluationError, VisionError) as exc:
        return _fail(str(exc))

    print(format_summary(outcome.result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(outcome.result.model_dump_json(indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    if args.report is not None:
        write_report(args.report, outcome.result, outcome.thumbnails)
        print(f"wrote {args.report}")
    return 0
