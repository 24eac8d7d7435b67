"""``stairwatch train``: train the default detector from its architecture YAML, offline."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

WARMUP = 3.0
# No warm-up to fine-tune: Ultralytics warms up for at least 100 steps, longer than a whole
# fine-tune on a site's few images, which would then barely move the weights.
FINE_TUNE_WARMUP = 0.0
FINE_TUNE_LR0 = 0.0003
FINE_TUNE_FREEZE = 10
NO_REPLAY_WARNING = (
    "stairwatch train: fine-tuning without base data to replay: a model trained on a site's "
    "few images alone can forget what it knew (other cameras, other light). Pass --replay with "
    "the base training data's data.yaml (make one with `stairwatch synth dataset`), and compare "
    "the result with `stairwatch eval` before promoting it."
)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "train",
        help="train a detector (needs the 'train' extra)",
        description="Train a YOLO detector from random init on an Ultralytics dataset, offline, "
        "or fine-tune a model's .pt on a site's own data (stairwatch dataset export): low "
        "learning rate, frozen backbone, base data replayed. Writes weights/best.pt and "
        "train_summary.json into --out.",
    )
    p.add_argument("--data", type=Path, required=True, help="the dataset's data.yaml")
    p.add_argument(
        "--model",
        default="yolo11n.yaml",
        help="architecture YAML (yolo11n.yaml, yolo26n.yaml: random init), or a local .pt of an "
        "earlier run to continue training from its weights",
    )
    p.add_argument("--imgsz", type=int, default=320, help="square training size in pixels")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument(
        "--time-hours",
        type=float,
        default=None,
        help="wall-clock budget in hours; overrides --epochs and fits the schedule to it",
    )
    p.add_argument("--cache", action="store_true", help="keep decoded training images in RAM")
    p.add_argument(
        "--warmup-epochs",
        type=float,
        default=None,
        help=f"learning-rate warm-up (default {WARMUP}; {FINE_TUNE_WARMUP} to fine-tune a .pt)",
    )
    p.add_argument(
        "--lr0",
        type=float,
        default=None,
        help=f"initial learning rate (default: Ultralytics chooses; {FINE_TUNE_LR0} to fine-tune)",
    )
    p.add_argument(
        "--freeze",
        type=int,
        default=None,
        help=f"first layers kept as they are (default: {FINE_TUNE_FREEZE}, the backbone, to "
        "fine-tune a .pt; else none)",
    )
    p.add_argument(
        "--replay",
        type=Path,
        help="base training data (data.yaml or its folder) mixed in when fine-tuning, so the "
        "model does not forget what it knew, e.g. from `stairwatch synth dataset`",
    )
    p.add_argument(
        "--replay-share",
        type=float,
        default=1.0,
        help="base images replayed per site training image (default 1)",
    )
    p.add_argument("--optimizer", default="AdamW", choices=("AdamW", "SGD"), help="with --lr0")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2, help="dataloader processes")
    p.add_argument("--device", default="cpu", help="cpu, or a CUDA device such as 0")
    p.add_argument("--out", type=Path, default=Path("runs/stairwatch"), help="run folder")
    p.add_argument(
        "--patience", type=int, default=100, help="epochs without improvement before stopping"
    )
    p.add_argument(
        "--fraction", type=float, default=1.0, help="share of the training images to use"
    )
    p.add_argument(
        "--rect",
        action="store_true",
        help="rectangular batches (16:9 frames at 320x192), in random order every epoch: for a "
        "model that will run on rectangular inputs (no mosaic; a batch holds one aspect, so "
        "batch-norm statistics are kept)",
    )
    p.add_argument(
        "--rect-shape",
        type=_shape,
        default=None,
        metavar="HEIGHTxWIDTH",
        help="with --rect: every image letterboxed into this one input (e.g. 192x320, what a "
        "16:9 camera feeds at model.input_size 320), batches mixed and shuffled",
    )
    p.add_argument(
        "--resume", action="store_true", help="continue the run in --out from weights/last.pt"
    )
    p.add_argument(
        "--plots",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write Ultralytics plots (default: when offline fonts are available)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lab.training.errors import TrainingError
    from lab.training.offline import prepare_offline, require_modules

    try:
        require_modules()
        environment = prepare_offline()
        return _train(args, environment)
    except TrainingError as exc:
        print(f"stairwatch train: {exc}", file=sys.stderr)
        return 2


def _shape(text: str) -> tuple[int, int]:
    """``HEIGHTxWIDTH`` in pixels, each a positive multiple of 32 (the model's stride)."""
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        message = f"expected HEIGHTxWIDTH such as 192x320, got {text!r}"
        raise argparse.ArgumentTypeError(message) from None
    if min(height, width) < 32 or height % 32 or width % 32:
        raise argparse.ArgumentTypeError(f"{text}: height and width must be multiples of 32")
    return height, width


def _default(given: Any, default: Any) -> Any:
    return default if given is None else given


def _train(args: argparse.Namespace, environment: Any) -> int:
    from lab.training.errors import TrainingError
    from lab.training.train import TrainConfig, train_detector

    fine_tune = args.model.endswith(".pt") and not args.resume
    if not 0 < args.replay_share <= 100:
        raise TrainingError(f"--replay-share must be in (0, 100], got {args.replay_share}")
    if fine_tune and args.replay is None:
        print(NO_REPLAY_WARNING, file=sys.stderr)
    config = TrainConfig(
        data=args.data,
        out=args.out,
        model=args.model,
        imgsz=args.imgsz,
        epochs=args.epochs,
        batch=args.batch,
        seed=args.seed,
        workers=args.workers,
        device=args.device,
        patience=args.patience,
        fraction=args.fraction,
        resume=args.resume,
        plots=args.plots,
        time_hours=args.time_hours,
        cache=args.cache,
        warmup_epochs=_default(args.warmup_epochs, FINE_TUNE_WARMUP if fine_tune else WARMUP),
        lr0=_default(args.lr0, FINE_TUNE_LR0 if fine_tune else None),
        optimizer=args.optimizer,
        freeze=_default(args.freeze, FINE_TUNE_FREEZE if fine_tune else 0),
        replay=args.replay,
        replay_share=args.replay_share,
        rect=args.rect or args.rect_shape is not None,
        rect_shape=args.rect_shape,
    )
    result = train_detector(config, environment, command=["stairwatch", *sys.argv[1:]])
    summary = result.summary
    print(f"best weights: {result.best_weights}")
    print(f"summary:      {result.summary_path}")
    print(f"mAP50 {summary.metrics.map50:.3f}  mAP50-95 {summary.metrics.map50_95:.3f}")
    for name, ap50 in summary.metrics.map50_per_class.items():
        print(f"  {name:<10} mAP50 {'n/a (not in val)' if ap50 is None else f'{ap50:.3f}'}")
    if summary.seconds_per_100_images is not None:
        speed = summary.seconds_per_100_images
        print(f"speed: {speed:.1f} s per 100 images per epoch (training pass)")
    return 0
