"""Rectangular training's sampler: whole batches in a new random order every epoch."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml

from lab.training.rect import BlockShuffleSampler


def batches(order: list[int], block: int) -> list[list[int]]:
    return [order[i : i + block] for i in range(0, len(order), block)]


@pytest.mark.parametrize(
    ("size", "block"),
    [(100, 32), (96, 32), (5, 8), (1, 1), (33, 32), (64, 1)],
)
def test_each_batch_is_one_block_and_every_index_comes_once(size: int, block: int) -> None:
    sampler = BlockShuffleSampler(size, block, seed=0)
    order = list(sampler)
    assert sorted(order) == list(range(size))
    assert len(sampler) == size
    for batch in batches(order, block):
        assert len({i // block for i in batch}) == 1  # one rect batch shape


def test_the_partial_block_comes_last() -> None:
    order = list(BlockShuffleSampler(100, 32, seed=3))
    assert sorted(order[96:]) == [96, 97, 98, 99]


def test_epochs_differ_and_seeds_repeat() -> None:
    sampler = BlockShuffleSampler(320, 32, seed=1)
    first, second = list(sampler), list(sampler)
    assert first != second
    assert list(BlockShuffleSampler(320, 32, seed=1)) == first


@pytest.mark.parametrize(("size", "block"), [(0, 32), (10, 0)])
def test_empty_sizes_are_refused(size: int, block: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        BlockShuffleSampler(size, block, seed=0)


def wide_and_square_dataset(root: Path, count: int = 10) -> Path:
    """Half 160x90 frames, half 100x100 photos, one box each, in Ultralytics' layout."""
    for split, n in (("train", count), ("val", 2)):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        for i in range(n):
            height, width = (90, 160) if i % 2 else (100, 100)
            image = np.full((height, width, 3), 128, np.uint8)
            cv2.imwrite(str(root / "images" / split / f"{i}.jpg"), image)
            (root / "labels" / split / f"{i}.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    data = {"path": str(root), "train": "images/train", "val": "images/val", "names": {0: "a"}}
    (root / "data.yaml").write_text(yaml.safe_dump(data))
    return root / "data.yaml"


def rect_trainer(tmp_path: Path, shape: tuple[int, int] | None) -> Any:
    """A rect trainer on :func:`wide_and_square_dataset` at 128 px, batches of 4, model built."""
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("ultralytics") is None:
        pytest.skip("the train extra (torch, ultralytics) is not installed")
    from lab.training.offline import prepare_offline

    prepare_offline(tmp_path / "yolo_config")  # before ultralytics is imported
    from lab.training.rect import rect_trainer_class

    overrides = {
        "model": "yolo11n.yaml",
        "data": str(wide_and_square_dataset(tmp_path / "ds")),
        "imgsz": 128,
        "batch": 4,
        "rect": True,
        "workers": 0,
        "device": "cpu",
        "plots": False,
        "project": str(tmp_path),
        "name": "run",
    }
    trainer = rect_trainer_class(shape)(overrides=overrides)
    trainer.model = trainer.get_model(cfg="yolo11n.yaml", verbose=False)
    return trainer


def norms_training(trainer: Any) -> list[bool]:
    """Whether each batch-norm layer trains once the trainer puts the model in training mode."""
    trainer.freeze_layer_names = []  # set by Ultralytics' training setup, skipped here
    trainer._model_train()
    assert trainer.model.training
    return [m.training for m in trainer.model.modules() if type(m).__name__ == "BatchNorm2d"]


@pytest.mark.slow
def test_rect_trainer_feeds_wide_frames_as_wide_batches(tmp_path: Path) -> None:
    trainer = rect_trainer(tmp_path, None)
    loader = trainer.get_dataloader(trainer.data["train"], batch_size=4, rank=-1, mode="train")
    shapes = sorted(tuple(batch["img"].shape) for batch in loader)
    # 10 images by aspect: 4 wide (one 96x128 batch), 4 with a square among them, the last 2
    assert shapes == [(2, 3, 128, 128), (4, 3, 96, 128), (4, 3, 128, 128)]
    states = norms_training(trainer)
    assert states and not any(states)  # one kind of picture a batch: statistics kept


@pytest.mark.slow
def test_one_rect_shape_mixes_and_shuffles_every_batch(tmp_path: Path) -> None:
    trainer = rect_trainer(tmp_path, (96, 128))
    loader = trainer.get_dataloader(trainer.data["train"], batch_size=4, rank=-1, mode="train")
    epochs = [[(tuple(b["img"].shape[2:]), tuple(b["im_file"])) for b in loader] for _ in range(2)]
    assert {shape for epoch in epochs for shape, _ in epoch} == {(96, 128)}
    assert [files for _, files in epochs[0]] != [files for _, files in epochs[1]]
    assert all(norms_training(trainer))  # mixed batches: batch norm trains


@pytest.mark.parametrize(
    ("text", "expected"),
    [("192x320", (192, 320)), ("320X192", (320, 192)), ("32x32", (32, 32))],
)
def test_rect_shape_reads_height_by_width(text: str, expected: tuple[int, int]) -> None:
    from lab.commands.train import _shape

    assert _shape(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("192", "HEIGHTxWIDTH"),
        ("axb", "HEIGHTxWIDTH"),
        ("180x320", "multiples of 32"),
        ("0x320", "multiples of 32"),
    ],
)
def test_rect_shape_names_what_is_wrong(text: str, message: str) -> None:
    import argparse

    from lab.commands.train import _shape

    with pytest.raises(argparse.ArgumentTypeError, match=message):
        _shape(text)
