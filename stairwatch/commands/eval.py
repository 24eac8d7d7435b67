"""``stairwatch eval CLIPS_DIR``: run the service's pipeline over labelled clips and score it."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for annotations: the command's imports stay lazy
    from stairwatch.config import ModelConfig
    from stairwatch.evaluation.runner import EvalOptions
    from stairwatch.evaluation.sidecar import LabeledClip

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
        "--model",
        type=Path,
        action="append",
        help="ONNX model (default: the config's, else the bundled one); give it twice or more "
        "to compare models side by side, per event type and camera",
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
    from stairwatch.config import ConfigError, ModelConfig, load_settings
    from stairwatch.evaluation.errors import EvaluationError, SidecarError
    from stairwatch.evaluation.runner import EvalOptions
    from stairwatch.evaluation.sidecar import find_clips
    from vision.kinds import ObjectKind

    if args.detect_fps <= 0:
        return _fail(f"--detect-fps must be > 0, got {args.detect_fps}")
    if args.confidence is not None and not 0 < args.confidence < 1:
        return _fail(f"--confidence must be in (0, 1), got {args.confidence}")
    if args.workers is not None and not 1 <= args.workers <= 64:
        return _fail(f"--workers must be in [1, 64], got {args.workers}")
    if args.report is not None and len(args.model or ()) > 1:
        return _fail("--report takes one --model (compare several in the terminal or --json)")
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
    confidence = args.confidence if args.confidence is not None else model_cfg.confidence
    try:
        clips = find_clips(args.clips_dir)
    except SidecarError as exc:
        return _fail("invalid sidecar\n" + "\n".join(f"{exc.path}: {p}" for p in exc.problems))
    except EvaluationError as exc:
        return _fail(str(exc))
    options = EvalOptions(
        model_name="",
        confidence=confidence,
        class_map=class_map,
        detect_fps=args.detect_fps,
        rules=rules,
        thumbnails=args.report is not None,
        progress=not args.no_progress,
        motion_gate=args.motion_gate,
    )
    return _run_models(args, clips, options, model_cfg)


def _run_models(
    args: argparse.Namespace,
    clips: Sequence[LabeledClip],
    options: EvalOptions,
    model_cfg: ModelConfig,
) -> int:
    """Evaluate each model given (or the configured one) and print its result, or all of them
    side by side."""
    from stairwatch.evaluation.compare import format_comparison
    from stairwatch.evaluation.errors import EvaluationError
    from stairwatch.evaluation.metrics import format_summary
    from stairwatch.evaluation.report import write_report
    from stairwatch.evaluation.runner import ModelSource, evaluate_model
    from vision.errors import VisionError

    paths = args.model or [model_cfg.path]
    labels = args.labels or (model_cfg.labels if args.model is None else None)
    runs = []
    for path in paths:
        source = ModelSource(
            path, labels, model_cfg.track_confidence, model_cfg.iou, model_cfg.input_size
        )
        try:
            runs.append(evaluate_model(clips, source, options, args.workers))
        except (EvaluationError, VisionError) as exc:
            return _fail(f"{path}: {exc}" if len(paths) > 1 else str(exc))
    results = [r.result for r in runs]
    if len(runs) == 1:
        print(format_summary(results[0]))
    else:
        camera_of = {c.name: c.sidecar.camera.id for c in clips}
        named = [
            (f"{chr(65 + i)}: {Path(p).name}", r)
            for i, (p, r) in enumerate(zip(paths, results, strict=True))
        ]
        print(format_comparison(named, camera_of))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        text = (
            results[0].model_dump_json(indent=2)
            if len(results) == 1
            else json.dumps([r.model_dump(mode="json") for r in results], indent=2)
        )
        args.json.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    if args.report is not None:
        write_report(args.report, results[0], runs[0].thumbnails)
        print(f"wrote {args.report}")
    return 0
