"""Write an Ultralytics YOLO dataset of synthetic images (optionally mixed with a real one).

Layout: ``images/{train,val}/NNNNNN.jpg``, ``labels/{train,val}/NNNNNN.txt`` (``class cx cy w h``,
normalised), ``data.yaml``. Image ``i`` depends only on ``(seed, i)``, so any worker count gives
the same bytes. The last ``round(images * val_fraction)`` indices form the synthetic ``val`` split.
"""

from __future__ import annotations

import multiprocessing
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import yaml
from tqdm import tqdm

from lab.synth.compose import Sample, SampleOptions, render_sample
from lab.synth.errors import SynthError
from lab.synth.mix import MixCounts, mix_yolo
from lab.synth.yolo_labels import yolo_line
from vision.kinds import KIND_NAMES

_PHOTO_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


@dataclass(frozen=True)
class DatasetOptions:
    out: Path
    images: int = 2000
    seed: int = 0
    width: int = 640
    height: int = 360
    val_fraction: float = 0.15
    backgrounds: Path | None = None
    photo_share: float = 0.25
    mix_yolo: Path | None = None
    mix_map: dict[str, str] = field(default_factory=dict)
    workers: int = 2
    overwrite: bool = False


@dataclass(frozen=True)
class DatasetSummary:
    data_yaml: Path
    train_images: int
    val_images: int
    boxes_per_class: dict[str, int]
    empty_images: int
    mixed: MixCounts | None


@dataclass(frozen=True)
class _Job:
    index: int
    split: str
    seed: int
    out: Path
    sample_options: SampleOptions


def yolo_lines(sample: Sample) -> list[str]:
    h, w = sample.image.shape[:2]
    return [yolo_line(lab.class_id, lab.box, w, h).rstrip("\n") for lab in sample.labels]


def _render_job(job: _Job) -> tuple[int, ...]:
    """Render and write one image; returns its class ids (a plain tuple crosses processes)."""
    sample = render_sample(job.seed, job.index, job.sample_options)
    name = f"{job.index:06d}"
    ok, jpg = cv2.imencode(".jpg", sample.image, [cv2.IMWRITE_JPEG_QUALITY, sample.jpeg_quality])
    if not ok:
        raise SynthError(f"JPEG encoding failed for image {job.index}")
    (job.out / "images" / job.split / f"{name}.jpg").write_bytes(jpg.tobytes())
    (job.out / "labels" / job.split / f"{name}.txt").write_text(
        "".join(f"{x}\n" for x in yolo_lines(sample))
    )
    return tuple(lab.class_id for lab in sample.labels)


def _prepare(opts: DatasetOptions) -> None:
    existing = [p for p in (opts.out / "images", opts.out / "labels") if p.exists()]
    if existing and not opts.overwrite:
        raise SynthError(f"{opts.out} already holds a dataset; pass --overwrite to replace it")
    for p in existing:
        shutil.rmtree(p)
    for kind in ("images", "labels"):
        for split in ("train", "val"):
            (opts.out / kind / split).mkdir(parents=True, exist_ok=True)


def _photos(folder: Path | None) -> tuple[Path, ...]:
    if folder is None:
        return ()
    photos = tuple(sorted(p for p in folder.rglob("*") if p.suffix.lower() in _PHOTO_EXTS))
    if not photos:
        raise SynthError(f"--backgrounds {folder}: no images found")
    return photos


def _write_yaml(opts: DatasetOptions, has_val_real: bool) -> Path:
    data: dict[str, object] = {
        "path": str(opts.out.resolve()),
        "train": "images/train",
        "val": "images/val",
        "names": dict(enumerate(KIND_NAMES)),
    }
    if has_val_real:
        data["val_real"] = "images/val_real"  # real held-out images; not used by training itself
    path = opts.out / "data.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def write_dataset(opts: DatasetOptions) -> DatasetSummary:
    _prepare(opts)
    sample_opts = SampleOptions(
        opts.width, opts.height, _photos(opts.backgrounds), opts.photo_share
    )
    n_val = round(opts.images * opts.val_fraction)
    n_train = opts.images - n_val
    jobs = [
        _Job(i, "train" if i < n_train else "val", opts.seed, opts.out, sample_opts)
        for i in range(opts.images)
    ]
    counts: Counter[int] = Counter()
    empty = 0
    with (
        multiprocessing.get_context("spawn").Pool(max(1, opts.workers))
        if opts.workers > 1
        else _Inline() as pool
    ):
        for ids in tqdm(
            pool.imap_unordered(_render_job, jobs, chunksize=4),
            total=len(jobs),
            desc="synth",
            unit="img",
        ):
            counts.update(ids)
            empty += not ids
    mixed = mix_yolo(opts.mix_yolo, opts.mix_map, opts.out) if opts.mix_yolo is not None else None
    data_yaml = _write_yaml(opts, mixed is not None and mixed.val_real_images > 0)
    return DatasetSummary(
        data_yaml,
        n_train + (mixed.train_images if mixed else 0),
        n_val,
        {name: counts[i] for i, name in enumerate(KIND_NAMES)},
        empty,
        mixed,
    )


class _Inline:
    """A one-process stand-in for :class:`multiprocessing.pool.Pool` (``--workers 1``)."""

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def imap_unordered(self, func, jobs, chunksize=1):  # type: ignore[no-untyped-def]
        return map(func, jobs)
