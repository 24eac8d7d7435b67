"""``stairwatch bench``: the model alone, then the whole service on looping sample clips."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

PHASES = ("model", "service", "still", "saturation")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "bench",
        help="model and whole-service throughput, frame age and memory on this machine",
        description="Measures onnxruntime alone (batch 1 and --batch), then runs the service on "
        "--cameras looping file cameras (the sample clips re-encoded to --width x --height at "
        "--fps): due detections run and frame age at --detect-fps, motion gating on still "
        "scenes, and detections/s when every frame is due (efficiency = that / raw fps).",
    )
    p.add_argument("--model", type=Path, help="ONNX model (default: the bundled one)")
    p.add_argument("--labels", type=Path, help="class names, one a line (YOLOX exports)")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="KIND=NAME[,NAME...]",
        help="model classes meaning one of our kinds (repeatable), e.g. ebike=motorcycle",
    )
    p.add_argument("--clips", type=Path, help="folder of clips (default: sample_videos/)")
    p.add_argument("--cameras", type=int, default=8, help="file cameras (default 8)")
    p.add_argument("--seconds", type=float, default=60.0, help="service run (default 60)")
    p.add_argument(
        "--phase-seconds",
        type=float,
        default=20.0,
        help="still-scene and saturation runs (default 20)",
    )
    p.add_argument("--model-seconds", type=float, default=5.0, help="per model measurement")
    p.add_argument("--batch", type=int, default=4, help="inference batch size (default 4)")
    p.add_argument(
        "--input-size",
        type=int,
        help="long side of the model input in pixels for a model with a dynamic input (as "
        "model.input_size; default: its default)",
    )
    p.add_argument("--max-wait-ms", type=float, default=50.0, help="batch fill wait (default 50)")
    p.add_argument(
        "--workers", type=int, help="detector calls at once (default: as the service, auto)"
    )
    p.add_argument(
        "--threads", type=int, help="onnxruntime threads per call (default: cores / workers)"
    )
    p.add_argument("--detect-fps", type=float, default=2.0, help="per camera (default 2)")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--fps", type=int, default=15, help="camera frame rate (default 15)")
    p.add_argument(
        "--codec",
        choices=("h264", "mpeg4"),
        default="h264",
        help="the cameras' stream: h264 as IP cameras send it (a key frame every 2 s, no "
        "B-frames; default) or mpeg4 (MPEG-4 Part 2, the bench's cameras before 2026-12-07)",
    )
    p.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated subset of {','.join(PHASES)} (default: all)",
    )
    p.add_argument(
        "--rtsp",
        action="store_true",
        help="service and saturation runs read live RTSP (the source tree's GStreamer test "
        "server, a moving test pattern at --width x --height, --fps) instead of the clips",
    )
    p.add_argument(
        "--still-share",
        type=float,
        default=0.0,
        help="share of the service run's cameras showing a still scene, as stairwells do most "
        "of the day (default 0: every camera moves, the worst case)",
    )
    p.add_argument("--json", type=Path, metavar="OUT", help="write the result as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"stairwatch bench: {message}", file=sys.stderr)
    return 2


def _problems(args: argparse.Namespace, phases: set[str]) -> list[str]:
    problems = [f"unknown phase {p!r}" for p in sorted(phases - set(PHASES))]
    checks = [
        (args.cameras >= 1, "--cameras must be at least 1"),
        (args.seconds > 0 and args.phase_seconds > 0, "durations must be > 0"),
        (args.model_seconds > 0, "--model-seconds must be > 0"),
        (1 <= args.batch <= 64, "--batch must be in [1, 64]"),
        (0 < args.detect_fps <= 30, "--detect-fps must be in (0, 30]"),
        (args.width >= 16 and args.height >= 16 and 1 <= args.fps <= 60, "bad clip format"),
        (args.threads is None or args.threads >= 1, "--threads must be at least 1"),
        (args.workers is None or 1 <= args.workers <= 64, "--workers must be in [1, 64]"),
        (0.0 <= args.still_share <= 1.0, "--still-share must be in [0, 1]"),
    ]
    return problems + [message for ok, message in checks if not ok]


def run(args: argparse.Namespace) -> int:
    from stairwatch.assets import default_model_path, sample_videos_dir
    from stairwatch.bench.clips import BenchClipError, ClipFormat
    from stairwatch.bench.result import format_summary
    from stairwatch.bench.run import BenchOptions, run_bench
    from stairwatch.commands.eval import parse_class_map
    from stairwatch.config import InferenceConfig, ModelConfig, usable_cores
    from vision.detector import load_detector
    from vision.errors import VisionError
    from vision.kinds import ObjectKind

    logging.getLogger("alembic").setLevel(logging.WARNING)  # one migration run per phase
    logging.getLogger("stairwatch.runtime.sink").setLevel(logging.WARNING)  # one line per event
    phases = {p.strip() for p in args.phases.split(",") if p.strip()}
    problems = _problems(args, phases)
    try:
        class_map = {ObjectKind(k): v for k, v in parse_class_map(args.map).items()}
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        return _fail("; ".join(problems))
    model = args.model or default_model_path()
    inference = InferenceConfig(
        batch_size=args.batch,
        max_wait_ms=args.max_wait_ms,
        workers=args.workers,
        threads=args.threads,
    )
    cores = usable_cores()
    try:
        detector = load_detector(
            model,
            args.labels,
            ModelConfig().detector_confidence,
            threads=inference.threads_per_call(cores, args.cameras),
            input_side=args.input_size or ModelConfig().input_size,
        )
    except VisionError as exc:
        return _fail(f"{exc} (pass --model)")
    options = BenchOptions(
        cameras=args.cameras,
        seconds=args.seconds,
        phase_seconds=args.phase_seconds,
        model_seconds=args.model_seconds,
        detect_fps=args.detect_fps,
        batch=args.batch,
        max_wait_ms=args.max_wait_ms,
        workers=inference.worker_count(cores, args.cameras),
        threads=inference.threads_per_call(cores, args.cameras),
        fmt=ClipFormat(args.width, args.height, args.fps, codec=args.codec),
        class_map=class_map,
        phases=frozenset(phases),
        rtsp=args.rtsp,
        progress=not args.no_progress,
        still_share=args.still_share,
    )
    try:
        result = run_bench(detector, args.clips or sample_videos_dir(), options)
    except (BenchClipError, VisionError) as exc:
        return _fail(str(exc))
    print(format_summary(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0
