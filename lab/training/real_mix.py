"""Real pixels into a training set: another real YOLO dataset, and cables drawn onto real photos.

``stairwatch synth dataset --mix-yolo`` mixes one real dataset into the rendered one. This adds
more (the real indoor CCTV people, say) under their own file prefix and held-out split, and draws
flying wires onto a share of the real training photos, so the cable class is also learnt over
real walls, floors and bikes rather than only over rendered ones.

Usage::

    python -m lab.training.real_mix add DATASET --source ../shared/data/cctv_people \\
        --map subject=person "other personnel=person" --prefix cctv_ --held-out val_people
    python -m lab.training.real_mix cables DATASET --prefix real_ cctv_ --share 0.25 --seed 7
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from lab.synth.errors import DatasetSourceError
from lab.synth.mix import mix_yolo, parse_mix_map
from lab.synth.photo_cables import draw_photo_cables
from lab.synth.placement import class_id
from vision.kinds import ObjectKind

_CABLE = class_id(ObjectKind.CABLE)
_EBIKE = class_id(ObjectKind.EBIKE)


@dataclass(frozen=True)
class CableCounts:
    images_seen: int
    images_drawn: int
    cables: int


def _ebike_boxes(label: Path, w: int, h: int) -> np.ndarray:
    """(N, 4) xyxy pixel boxes of the ``ebike`` lines of a YOLO label file."""
    rows = []
    for line in label.read_text().splitlines() if label.is_file() else []:
        c, cx, cy, bw, bh = (float(v) for v in line.split()[:5])
        if int(c) == _EBIKE:
            rows.append(
                [(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h]
            )
    return np.array(rows, float).reshape(-1, 4)


def _yolo_line(box: np.ndarray, w: int, h: int) -> str:
    x1, y1, x2, y2 = box / np.array([w, h, w, h])
    return f"{_CABLE} {(x1 + x2) / 2:.6f} {(y1 + y2) / 2:.6f} {x2 - x1:.6f} {y2 - y1:.6f}\n"


def draw_cables_on_split(
    dataset: Path, split: str, prefixes: tuple[str, ...], share: float, seed: int
) -> CableCounts:
    """Draw one or two cables onto ``share`` of the images of ``dataset/images/split`` whose
    names start with one of ``prefixes``, rewriting the image and appending ``cable`` labels."""
    images = sorted(
        p for p in (dataset / "images" / split).iterdir() if p.name.startswith(prefixes)
    )
    if not images:
        raise DatasetSourceError(f"{dataset / 'images' / split}: no image starts with {prefixes}")
    rng = np.random.default_rng(seed)
    drawn = cables = 0
    for path in tqdm(images, desc="cables", unit="img"):
        if rng.random() >= share:
            continue
        image = cv2.imread(str(path))
        if image is None:
            raise DatasetSourceError(f"{path}: not a readable image")
        h, w = image.shape[:2]
        label = dataset / "labels" / split / f"{path.stem}.txt"
        boxes = draw_photo_cables(
            rng, image, _ebike_boxes(label, w, h), 1 + int(rng.random() < 0.3)
        )
        cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 92])
        with label.open("a") as f:
            f.writelines(_yolo_line(b, w, h) for b in boxes)
        drawn += 1
        cables += len(boxes)
    return CableCounts(len(images), drawn, cables)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="what", required=True)
    add = sub.add_parser("add", help="copy a real YOLO dataset in (train -> train)")
    add.add_argument("dataset", type=Path)
    add.add_argument("--source", type=Path, required=True)
    add.add_argument("--map", nargs="+", required=True, metavar="SRC=DST")
    add.add_argument("--prefix", required=True, help="file-name prefix of the copied images")
    add.add_argument("--held-out", default="val_real", help="split for its valid/test images")
    cab = sub.add_parser("cables", help="draw cables onto a share of the real training photos")
    cab.add_argument("dataset", type=Path)
    cab.add_argument("--split", default="train")
    cab.add_argument("--prefix", nargs="+", default=["real_"])
    cab.add_argument("--share", type=float, default=0.25)
    cab.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    try:
        if args.what == "add":
            m = mix_yolo(
                args.source, parse_mix_map(args.map), args.dataset, args.prefix, args.held_out
            )
            held_out = f"{m.val_real_images} {args.held_out}"
            print(f"added {m.train_images} train, {held_out} images, {m.boxes} boxes")
        else:
            c = draw_cables_on_split(
                args.dataset, args.split, tuple(args.prefix), args.share, args.seed
            )
            print(f"cables drawn on {c.images_drawn} of {c.images_seen} images: {c.cables} cables")
    except DatasetSourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
