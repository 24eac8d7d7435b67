"""``stairwatch synth dataset``: render a synthetic YOLO training set, maybe mixed with real.
``stairwatch synth clips``: render the sample videos with their ground-truth sidecars.
``stairwatch synth fire-clips``: render the held-out smoke and fire set (shed clips)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def _size(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit() or int(w) < 64 or int(h) < 64:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT (>= 64), got {text!r}")
    return int(w), int(h)


def register(sub: Any) -> None:
    p = sub.add_parser("synth", help="synthetic training data")
    synth_sub = p.add_subparsers(dest="synth_command", required=True, metavar="SUBCOMMAND")
    d = synth_sub.add_parser("dataset", help="write an Ultralytics dataset of synthetic images")
    d.add_argument("--out", type=Path, required=True, help="output folder (outside the repository)")
    d.add_argument("--images", type=int, default=2000, help="synthetic images, train + val")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--size", type=_size, default=(640, 360), help="WIDTHxHEIGHT of 16:9 frames")
    d.add_argument("--val-fraction", type=float, default=0.15)
    d.add_argument("--backgrounds", type=Path, help="folder of real background photos")
    d.add_argument(
        "--photo-share", type=float, default=0.25, help="share of images on --backgrounds"
    )
    d.add_argument(
        "--mix-yolo", type=Path, help="real YOLO dataset to add to train (valid/test -> val_real)"
    )
    d.add_argument("--mix-map", nargs="*", default=[], metavar="SRC=DST", help="e.g. bike=ebike")
    d.add_argument("--workers", type=int, default=2)
    d.add_argument("--overwrite", action="store_true", help="replace an existing dataset in --out")
    d.set_defaults(func=run)
    c = synth_sub.add_parser("clips", help="render the sample clips (NAME.mp4 + NAME.json)")
    c.add_argument("--out", type=Path, required=True, help="output folder, e.g. sample_videos")
    c.add_argument("--seed", type=int, default=0, help="looks of people, vehicles, cables; noise")
    c.add_argument("--fps", type=int, default=10)
    c.add_argument("--size", type=_size, default=(640, 360), help="WIDTHxHEIGHT (even numbers)")
    c.add_argument("--only", nargs="+", default=[], metavar="NAME", help="just these clips")
    c.set_defaults(func=run_clips)
    f = synth_sub.add_parser(
        "fire-clips", help="render the held-out smoke/fire set (shed clips with and without fire)"
    )
    f.add_argument("--out", type=Path, required=True, help="output folder (outside the repository)")
    f.add_argument("--positives", type=int, default=40, help="clips with a battery fire")
    f.add_argument("--negatives", type=int, default=40, help="clips with look-alikes only")
    f.add_argument("--seed", type=int, default=0, help="picks every clip's story and looks")
    f.add_argument("--fps", type=int, default=10)
    f.add_argument("--size", type=_size, default=(640, 360), help="WIDTHxHEIGHT (even numbers)")
    f.set_defaults(func=run_fire_clips)


def run(args: argparse.Namespace) -> int:
    from lab.synth.dataset import DatasetOptions, write_dataset
    from lab.synth.errors import SynthError
    from lab.synth.mix import parse_mix_map

    try:
        if args.mix_yolo is not None and not args.mix_map:
            raise SynthError("--mix-yolo needs at least one --mix-map SRC=DST")
        opts = DatasetOptions(
            out=args.out,
            images=args.images,
            seed=args.seed,
            width=args.size[0],
            height=args.size[1],
            val_fraction=args.val_fraction,
            backgrounds=args.backgrounds,
            photo_share=args.photo_share,
            mix_yolo=args.mix_yolo,
            mix_map=parse_mix_map(args.mix_map),
            workers=args.workers,
            overwrite=args.overwrite,
        )
        summary = write_dataset(opts)
    except SynthError as exc:
        print(f"stairwatch synth: {exc}", file=sys.stderr)
        return 2
    print(
        f"wrote {summary.data_yaml}: {summary.train_images} train, {summary.val_images} val images"
    )
    print(
        f"boxes per class: {summary.boxes_per_class}; images without labels: {summary.empty_images}"
    )
    if summary.mixed is not None:
        m = summary.mixed
        print(
            f"mixed in: {m.train_images} train, {m.val_real_images} val_real images, "
            f"{m.boxes} boxes"
        )
    return 0


def run_clips(args: argparse.Namespace) -> int:
    from lab.synth.errors import SynthError
    from lab.synth.sample_clips import write_sample_clips

    try:
        written = write_sample_clips(args.out, args.seed, args.fps, args.size, args.only)
    except SynthError as exc:
        print(f"stairwatch synth: {exc}", file=sys.stderr)
        return 2
    for clip in written:
        events = ", ".join(
            f"{e.type.value} {e.start_s:g}-{e.end_s:g}s" for e in clip.sidecar.events
        )
        print(f"{clip.video}: {clip.bytes / 1e6:.2f} MB; events: {events or 'none'}")
    return 0


def run_fire_clips(args: argparse.Namespace) -> int:
    from lab.synth.errors import SynthError
    from lab.synth.fire_clips import write_fire_set

    try:
        written = write_fire_set(
            args.out, args.positives, args.negatives, args.seed, args.fps, args.size
        )
    except SynthError as exc:
        print(f"stairwatch synth: {exc}", file=sys.stderr)
        return 2
    fires = sum(c.positive for c in written)
    print(f"{args.out}: {fires} clips with a fire, {len(written) - fires} without")
    print(f"score them: stairwatch eval {args.out}")
    return 0
