"""Photos as a messenger forwards them: shrunk, recompressed (often twice), sometimes darker.

The real check set's worst misses are forwarded photos: 13 of its 16 elevator events from
messenger pictures were missed against 5 of 35 from camera originals (docs/real_check_diagnosis.md).
Their bikes are no smaller than the others'; what differs is detail lost to downscaling and
blocky JPEG, and dark sheds. So each real training photo gets a degraded copy (same labels):
the model sees the same bikes with the detail a forward or a cheap camera leaves.

Usage::

    python -m lab.training.real_mix degrade DATASET --prefix real_ --split train_degraded --seed 12
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from lab.synth.camera import shrink_and_grow
from lab.synth.errors import DatasetSourceError
from lab.synth.yolo_labels import split_folders


@dataclass(frozen=True)
class Degradation:
    """One forward's damage.

    Attributes:
        scale: the photo is shrunk to this share of its width and height, then grown back.
        qualities: JPEG qualities it is saved at, in order (two: forwarded twice).
        gamma: > 1 darkens the mid-tones (a dim shed); 1 leaves them.
    """

    scale: float
    qualities: tuple[int, ...]
    gamma: float


def draw_degradation(rng: np.random.Generator) -> Degradation:
    """A random forward: shrunk to 0.25-0.6, saved at quality 12-45 once or twice, darker in a
    third of the photos."""
    count = 1 + int(rng.random() < 0.5)
    qualities = tuple(int(q) for q in rng.integers(12, 46, size=count))
    gamma = float(rng.uniform(1.4, 2.2)) if rng.random() < 0.33 else 1.0
    return Degradation(float(rng.uniform(0.25, 0.6)), qualities, gamma)


def degrade(image: NDArray[np.uint8], d: Degradation) -> NDArray[np.uint8]:
    """(H, W, 3) BGR ``image`` after ``d``; same size."""
    out = shrink_and_grow(image, d.scale)
    if d.gamma != 1.0:
        lut = (255.0 * (np.arange(256) / 255.0) ** d.gamma).round().astype(np.uint8)
        out = cv2.LUT(out, lut)
    for quality in d.qualities:
        ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise DatasetSourceError(f"JPEG encoding failed at quality {quality}")
        out = np.asarray(cv2.imdecode(data, cv2.IMREAD_COLOR), np.uint8)
    return np.asarray(out, np.uint8)


def write_degraded(
    dataset: Path, split: str, prefixes: tuple[str, ...], seed: int, source: str = "train"
) -> int:
    """A degraded copy of every ``dataset/images/source`` photo named ``prefixes``*, with its
    labels, into ``dataset/images/split``; returns how many were written."""
    images = sorted(
        p for p in (dataset / "images" / source).iterdir() if p.name.startswith(prefixes)
    )
    if not images:
        raise DatasetSourceError(f"{dataset / 'images' / source}: no image starts with {prefixes}")
    out_images, out_labels = split_folders(dataset, split)
    rng = np.random.default_rng(seed)
    for path in tqdm(images, desc="degrade", unit="img"):
        image = cv2.imread(str(path))
        if image is None:
            raise DatasetSourceError(f"{path}: not a readable image")
        name = f"degraded_{path.stem}"
        worse = degrade(np.asarray(image, np.uint8), draw_degradation(rng))
        cv2.imwrite(str(out_images / f"{name}.jpg"), worse, [cv2.IMWRITE_JPEG_QUALITY, 95])
        label = dataset / "labels" / source / f"{path.stem}.txt"
        if label.exists():
            shutil.copyfile(label, out_labels / f"{name}.txt")
    return len(images)
