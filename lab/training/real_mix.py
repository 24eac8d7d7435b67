"""Real pixels into a training set: another real YOLO dataset, cables drawn onto real photos,
close-ups of real people.

``stairwatch synth dataset --mix-yolo`` mixes one real dataset into the rendered one. This adds
more (the real indoor CCTV people, say) under their own file prefix and held-out split, and draws
flying wires onto a share of the real training photos, so the cable class is also learnt over
real walls, floors and bikes rather than only over rendered ones.

Usage::

    python -m lab.training.real_mix add DATASET --source ../shared/data/cctv_people \\
        --map subject=person "other personnel=person" --prefix cctv_ --held-out val_people
    python -m lab.training.real_mix cables DATASET --prefix real_ cctv_ --share 0.25 --seed 7
    python -m lab.training.real_mix closeups DATASET --prefix cctv_ --split train_closeups \\
        --count 800 --seed 9
    python -m lab.training.real_mix degrade DATASET --prefix real_ --split train_degraded

Close-ups are windows cut around one labelled person of a real training photo so that they fill
most of the frame, as people do in a lift or a narrow corridor: without them the model had
only seen real people small and far, and took a person close to the camera for an e-bike.
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
from lab.synth.yolo_labels import read_yolo, split_folders, yolo_line
from lab.training.degrade import write_degraded
from vision.kinds import ObjectKind

_CABLE = class_id(ObjectKind.CABLE)
_EBIKE = class_id(ObjectKind.EBIKE)
_CLOSEUP_SIZE = (640, 360)  # the rendered scenes' size
_MIN_VISIBLE = 0.5  # a box cut by the window is kept when this share of it remains


@dataclass(frozen=True)
class CableCounts:
    images_seen: int
    images_drawn: int
    cables: int


def _label_boxes(label: Path, w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Classes (N,) and xyxy pixel boxes (N, 4) of a YOLO label file."""
    rows = read_yolo(label, w, h)
    classes = np.array([c for c, _ in rows], int)
    return classes, np.array([b for _, b in rows], float).reshape(-1, 4)


def _ebike_boxes(label: Path, w: int, h: int) -> np.ndarray:
    """(N, 4) xyxy pixel boxes of the ``ebike`` lines of a YOLO label file."""
    classes, boxes = _label_boxes(label, w, h)
    return boxes[classes == _EBIKE]


def closeup_window(
    rng: np.random.Generator, person: np.ndarray, w: int, h: int
) -> np.ndarray | None:
    """An xyxy pixel window of the close-up aspect in a ``w`` x ``h`` photo in which ``person``
    (xyxy px) fills 55-95 % of the height; None where the photo is too small for it."""
    out_w, out_h = _CLOSEUP_SIZE
    win_h = (person[3] - person[1]) / rng.uniform(0.55, 0.95)
    win_w = win_h * out_w / out_h
    if win_w > w or win_h > h or win_h < 0.25 * out_h:
        return None
    lo = np.maximum(0.0, person[2:] - (win_w, win_h))  # the window holds the whole person
    hi = np.minimum(person[:2], (w - win_w, h - win_h))
    if (lo > hi).any():
        return None
    x1, y1 = rng.uniform(lo, hi)
    return np.array([x1, y1, x1 + win_w, y1 + win_h])


def _area(boxes: np.ndarray) -> np.ndarray:
    return np.asarray((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))


def _boxes_in_window(boxes: np.ndarray, window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (N, 4) boxes clipped to ``window`` and moved into its frame, and which of them to
    keep (at least ``_MIN_VISIBLE`` of each still in view)."""
    clipped = np.clip(boxes, window[[0, 1, 0, 1]], window[[2, 3, 2, 3]])
    keep = _area(clipped) >= _MIN_VISIBLE * np.maximum(_area(boxes), 1e-9)
    return clipped - window[[0, 1, 0, 1]], keep


def write_closeups(dataset: Path, split: str, prefix: str, count: int, seed: int) -> int:
    """Write ``count`` close-ups (640x360 JPEG + labels) cut from the ``train`` images named
    ``prefix``* into ``dataset/images/split``; returns how many were written."""
    labels = sorted((dataset / "labels" / "train").glob(f"{prefix}*.txt"))
    if not labels:
        raise DatasetSourceError(f"{dataset / 'labels' / 'train'}: no label starts with {prefix}")
    out_images, out_labels = split_folders(dataset, split)
    rng = np.random.default_rng(seed)
    written = 0
    for _ in tqdm(range(count * 3), desc="close-ups", unit="try"):
        if written == count:
            break
        label = labels[int(rng.integers(len(labels)))]
        image = cv2.imread(str(dataset / "images" / "train" / f"{label.stem}.jpg"))
        if image is None:
            continue
        h, w = image.shape[:2]
        classes, boxes = _label_boxes(label, w, h)
        people = np.flatnonzero(classes == class_id(ObjectKind.PERSON))
        window = (
            closeup_window(rng, boxes[people[int(rng.integers(len(people)))]], w, h)
            if len(people)
            else None
        )
        if window is None:
            continue
        x1, y1, x2, y2 = np.round(window).astype(int)
        crop = cv2.resize(image[y1:y2, x1:x2], _CLOSEUP_SIZE, interpolation=cv2.INTER_LINEAR)
        inside, keep = _boxes_in_window(boxes, window)
        scale = np.array([_CLOSEUP_SIZE[0] / (x2 - x1), _CLOSEUP_SIZE[1] / (y2 - y1)] * 2)
        name = f"closeup_{written:06d}"
        cv2.imwrite(str(out_images / f"{name}.jpg"), crop, [cv2.IMWRITE_JPEG_QUALITY, 92])
        lines = [
            yolo_line(int(c), b * scale, *_CLOSEUP_SIZE)
            for b, c, k in zip(inside, classes, keep, strict=True)
            if k
        ]
        (out_labels / f"{name}.txt").write_text("".join(lines))
        written += 1
    return written


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
            f.writelines(yolo_line(_CABLE, b, w, h) for b in boxes)
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
    close = sub.add_parser("closeups", help="real people close to the camera, from train photos")
    close.add_argument("dataset", type=Path)
    close.add_argument("--prefix", default="cctv_")
    close.add_argument("--split", default="train_closeups")
    close.add_argument("--count", type=int, default=800)
    close.add_argument("--seed", type=int, default=9)
    deg = sub.add_parser("degrade", help="shrunk, recompressed, darker copies of real photos")
    deg.add_argument("dataset", type=Path)
    deg.add_argument("--prefix", nargs="+", default=["real_"])
    deg.add_argument("--split", default="train_degraded")
    deg.add_argument("--seed", type=int, default=12)
    args = p.parse_args(argv)
    try:
        if args.what == "add":
            m = mix_yolo(
                args.source, parse_mix_map(args.map), args.dataset, args.prefix, args.held_out
            )
            held_out = f"{m.val_real_images} {args.held_out}"
            print(f"added {m.train_images} train, {held_out} images, {m.boxes} boxes")
        elif args.what == "degrade":
            n = write_degraded(args.dataset, args.split, tuple(args.prefix), args.seed)
            print(f"wrote {n} degraded copies into images/{args.split}")
        elif args.what == "closeups":
            n = write_closeups(args.dataset, args.split, args.prefix, args.count, args.seed)
            print(f"wrote {n} close-ups into images/{args.split}")
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
