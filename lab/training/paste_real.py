"""Real object crops pasted onto rendered and real backgrounds, as a new split of a YOLO dataset.

Crops come only from the ``train`` splits of the real datasets (their ``valid``/``test`` stay held
out): the Modes of Transport ``bike`` boxes (motor scooters) as ``ebike``, every class of the CCTV
people set as ``person``. Backgrounds are the empty rendered scenes and, for ``--real-share`` of
the images, the real frames given (the people set's train frames; ``--backgrounds`` adds the
dataset's own training images whose names start with a prefix, labels and all).

Usage::

    python -m lab.training.paste_real DATASET --split train_paste --count 1200 --seed 11 \\
        --bikes ../shared/data/modes_of_transport --people ../shared/data/cctv_people \\
        [--backgrounds real_] [--real-share 0.3]

Writes ``DATASET/images/SPLIT/paste_NNNNNN.jpg`` and ``DATASET/labels/SPLIT/...txt`` and adds
``images/SPLIT`` to ``train`` in ``DATASET/data.yaml``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections import Counter
from pathlib import Path

import cv2
import yaml
from tqdm import tqdm

from lab.synth.compose import Label
from lab.synth.errors import DatasetSourceError
from lab.synth.mix import read_class_names
from lab.synth.paste_scene import CropPools, PasteOptions, RealBackground, paste_sample
from lab.synth.real_crops import harvest_crops, train_folders
from lab.synth.yolo_labels import yolo_line
from vision.kinds import KIND_NAMES

_BIKE_CLASS = "bike"


def real_backgrounds(root: Path) -> tuple[RealBackground, ...]:
    """The train frames of a people dataset, every class mapped to ``person``."""
    images, labels = train_folders(root)
    table = dict.fromkeys(range(len(read_class_names(root))), KIND_NAMES.index("person"))
    return tuple(
        RealBackground(p, labels / f"{p.stem}.txt", table) for p in sorted(images.glob("*.jpg"))
    )


def dataset_backgrounds(dataset: Path, prefixes: tuple[str, ...]) -> tuple[RealBackground, ...]:
    """The dataset's own ``train`` images starting with ``prefixes`` (labels already ours)."""
    table = {i: i for i in range(len(KIND_NAMES))}
    return tuple(
        RealBackground(p, dataset / "labels" / "train" / f"{p.stem}.txt", table)
        for p in sorted((dataset / "images" / "train").glob("*"))
        if p.name.startswith(prefixes) and p.suffix.lower() in (".jpg", ".jpeg", ".png")
    )


def _yolo_lines(labels: tuple[Label, ...], w: int, h: int) -> str:
    return "".join(yolo_line(lb.class_id, lb.box, w, h) for lb in labels)


def _add_to_yaml(dataset: Path, split: str) -> None:
    path = dataset / "data.yaml"
    if not path.is_file():
        return
    data = yaml.safe_load(path.read_text())
    train = data.get("train", [])
    train = [train] if isinstance(train, str) else list(train)
    if f"images/{split}" not in train:
        data["train"] = [*train, f"images/{split}"]
        path.write_text(yaml.safe_dump(data, sort_keys=False))


def write_paste_split(
    dataset: Path,
    split: str,
    count: int,
    seed: int,
    pools: CropPools,
    backgrounds: tuple[RealBackground, ...],
    opts: PasteOptions,
) -> Counter[str]:
    """Write ``count`` pasted images into ``dataset``'s ``split`` (replacing it); returns the
    number of boxes per class name and of images per background kind (``bg:KIND``)."""
    images, labels = dataset / "images" / split, dataset / "labels" / split
    for folder in (images, labels):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    counts: Counter[str] = Counter()
    for i in tqdm(range(count), desc="paste", unit="img"):
        s = paste_sample(seed, i, pools, backgrounds, opts)
        name = f"paste_{i:06d}"
        cv2.imwrite(
            str(images / f"{name}.jpg"), s.image, [cv2.IMWRITE_JPEG_QUALITY, s.jpeg_quality]
        )
        (labels / f"{name}.txt").write_text(_yolo_lines(s.labels, opts.width, opts.height))
        counts.update(KIND_NAMES[lb.class_id] for lb in s.labels)
        counts[f"bg:{s.background}"] += 1
    _add_to_yaml(dataset, split)
    return counts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dataset", type=Path)
    p.add_argument("--split", default="train_paste")
    p.add_argument("--count", type=int, default=1200)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--bikes", type=Path, required=True, help="YOLO set whose 'bike' -> ebike")
    p.add_argument("--people", type=Path, required=True, help="YOLO set of people (all classes)")
    p.add_argument("--backgrounds", nargs="*", default=[], metavar="PREFIX")
    p.add_argument("--real-share", type=float, default=0.3)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    args = p.parse_args(argv)
    if args.split in ("train", "val", "val_real"):
        print(f"--split {args.split}: choose a new split name", file=sys.stderr)
        return 2
    try:
        pools = CropPools(
            tuple(harvest_crops(args.bikes, {_BIKE_CLASS: "ebike"})),
            tuple(
                harvest_crops(args.people, dict.fromkeys(read_class_names(args.people), "person"))
            ),
        )
        if not pools.bikes:
            raise DatasetSourceError(f"--bikes {args.bikes}: no usable crop")
        backgrounds = real_backgrounds(args.people)
        if args.backgrounds:
            backgrounds += dataset_backgrounds(args.dataset, tuple(args.backgrounds))
        opts = PasteOptions(args.width, args.height, args.real_share)
        counts = write_paste_split(
            args.dataset, args.split, args.count, args.seed, pools, backgrounds, opts
        )
    except DatasetSourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    boxes = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if not k.startswith("bg:"))
    bgs = ", ".join(f"{k[3:]} {v}" for k, v in sorted(counts.items()) if k.startswith("bg:"))
    print(
        f"pasted {args.count} images into {args.dataset / 'images' / args.split} from "
        f"{len(pools.bikes)} bike and {len(pools.people)} person crops: boxes {boxes}; "
        f"backgrounds {bgs}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
