"""Training frames from storyboarded clips: the sample clips' stories re-rendered with other
scenes, looks and noise (never the sample clips themselves), as an Ultralytics split.

The detector then also sees objects as clips show them (moving, partly out of frame, pushed by
people, seen from the ceiling) and not only as single synthetic stills. The sample clips stay
held out: every frame here comes from a different ``scene_seed`` and ``seed``.

Usage::

    python -m lab.synth.clip_dataset --out DATASET_DIR --split train_clips \
        --variants 3 --every-s 1.0 [--first-seed 100]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from lab.synth.clip_frames import ClipRenderer
from lab.synth.sample_clips import SAMPLE_CLIPS
from lab.synth.truth import frame_truth
from lab.synth.yolo_labels import yolo_line
from vision.kinds import KIND_NAMES


def _yolo_lines(boxes: list[tuple[str, tuple[float, float, float, float]]], w: int, h: int) -> str:
    return "".join(yolo_line(KIND_NAMES.index(kind), box, w, h) for kind, box in boxes)


def write_clip_frames(
    out: Path,
    split: str,
    variants: int,
    every_s: float,
    first_seed: int,
    fps: int = 2,
    only: tuple[str, ...] = (),
) -> int:
    """Render ``variants`` new instances of every sample story and keep a frame every
    ``every_s`` seconds as JPEG (quality varied like a DVR) with YOLO labels.

    Returns the number of frames written."""
    images, labels = out / "images" / split, out / "labels" / split
    images.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    step = max(1, round(every_s * fps))
    written = 0
    names = only or tuple(SAMPLE_CLIPS)
    jobs = [(name, v) for name in names for v in range(variants)]
    for name, variant in tqdm(jobs, desc="clip frames", unit="clip"):
        seed = first_seed + variant
        story = replace(SAMPLE_CLIPS[name](), scene_seed=SAMPLE_CLIPS[name]().scene_seed + seed)
        renderer = ClipRenderer(story, fps, (640, 360), seed)
        rng = np.random.default_rng([seed, written])
        for frame in renderer.frames():
            if frame.index % step:
                continue
            truth = frame_truth(frame.t, frame.objects, renderer.width, renderer.height)
            boxes = [(b.kind.value, b.xyxy) for b in truth.boxes if b.labelled]
            stem = f"clip_{name}_{seed}_{frame.index:05d}"
            quality = int(rng.integers(45, 90))
            cv2.imwrite(
                str(images / f"{stem}.jpg"), frame.image, [cv2.IMWRITE_JPEG_QUALITY, quality]
            )
            (labels / f"{stem}.txt").write_text(_yolo_lines(boxes, renderer.width, renderer.height))
            written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--out", type=Path, required=True, help="dataset folder (holds images/, labels/)"
    )
    p.add_argument("--split", default="train_clips")
    p.add_argument("--variants", type=int, default=3, help="new instances of each story")
    p.add_argument("--every-s", type=float, default=1.0, help="keep a frame this often")
    p.add_argument("--first-seed", type=int, default=100, help="the sample clips use seed 0")
    p.add_argument("--fps", type=int, default=2, help="rendering rate of the stories")
    args = p.parse_args(argv)
    n = write_clip_frames(
        args.out, args.split, args.variants, args.every_s, args.first_seed, args.fps
    )
    print(f"wrote {n} frames to {args.out / 'images' / args.split}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
