"""Rectangular training with shuffled batches.

Cameras send 16:9 frames and the detector can feed them at 320x192 instead of letterboxing them
into a 320x320 square (a third less inference). A model trained only on square inputs scores
worse at 320x192, so it should be fine-tuned on rectangular batches (Ultralytics ``rect=True``).
Ultralytics then sorts the images by aspect ratio, gives each batch of neighbours one shape, and
turns shuffling off: every epoch sees the same batches in the same order, square real photos
first and 16:9 rendered frames last, which drifts a fine-tune towards whatever comes last.
:class:`BlockShuffleSampler` keeps each batch's images together (one shape a batch) but draws the
batches, and the images inside each, in a new random order every epoch. A batch of one aspect is
also one kind of picture (all rendered frames, or all real photos), so the trainer keeps every
batch-norm layer's statistics as they were (its weights still learn): trained on such batches
they swung between the kinds, and a fine-tune raised 43 false alarms an hour on the real check
set against 16 with them kept. Better still (10.4 square), with a ``shape``: every image
letterboxed into the one input a 16:9 camera feeds, so batches stay mixed and shuffled and batch
norm trains as in square training (models/README.md, "fine-tuned on rectangular batches").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import numpy as np


class BlockShuffleSampler:
    """Indices ``0..size-1`` in whole blocks of ``block`` (``i // block`` is a rect batch),
    blocks and the indices inside each shuffled anew at every ``iter``; the last, partial block
    always comes last, so every batch of ``block`` consecutive indices is one block."""

    def __init__(self, size: int, block: int, seed: int) -> None:
        if size < 1 or block < 1:
            raise ValueError(f"size {size} and block {block} must be at least 1")
        self.size = size
        self.block = block
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[int]:
        full = self.size // self.block
        order = self._rng.permutation(full).tolist()
        if self.size % self.block:
            order.append(full)
        for index in order:
            start = index * self.block
            members = self._rng.permutation(np.arange(start, min(start + self.block, self.size)))
            yield from members.tolist()


def rect_trainer_class(shape: tuple[int, int] | None = None) -> type:
    """A ``DetectionTrainer`` whose rect training loader draws whole batches in random order.

    ``shape`` (height, width in pixels, multiples of 32): every training image letterboxed into
    this one input instead (a 16:9 camera's 192x320), so batches mix every kind of picture and
    are shuffled as in square training, and batch norm trains as usual.
    Built on call so that importing this module does not import Ultralytics (nor torch).
    """
    import torch
    from ultralytics.data.build import InfiniteDataLoader, seed_worker
    from ultralytics.models.yolo.detect import DetectionTrainer

    class RectShuffleTrainer(DetectionTrainer):
        def build_dataset(
            self, img_path: str, mode: str = "train", batch: int | None = None
        ) -> Any:
            dataset = super().build_dataset(img_path, mode, batch)
            if mode == "train" and shape is not None and self.args.rect:
                dataset.batch_shapes[:] = shape  # one shape for all: Ultralytics then shuffles
            return dataset

        def _model_train(self) -> None:
            super()._model_train()
            model = cast(torch.nn.Module, self.model)  # a path until Ultralytics loads it
            if self.args.rect and shape is None:
                for module in model.modules():
                    if isinstance(module, torch.nn.BatchNorm2d):
                        module.eval()

        def get_dataloader(
            self, dataset_path: str, batch_size: int = 16, rank: int = 0, mode: str = "train"
        ) -> Any:
            if mode != "train" or not self.args.rect or shape is not None:
                return super().get_dataloader(dataset_path, batch_size, rank, mode)
            dataset = self.build_dataset(dataset_path, mode, batch_size)
            batch = min(batch_size, len(dataset))
            generator = torch.Generator()
            generator.manual_seed(int(self.args.seed))
            workers = min(self.args.workers, max(len(dataset) // batch - 1, 0))
            return InfiniteDataLoader(
                dataset=dataset,
                batch_size=batch,
                shuffle=False,
                sampler=BlockShuffleSampler(len(dataset), batch, int(self.args.seed)),
                num_workers=workers,
                collate_fn=dataset.collate_fn,
                worker_init_fn=seed_worker,
                generator=generator,
            )

    return RectShuffleTrainer
