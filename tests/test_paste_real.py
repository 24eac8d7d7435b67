"""Real-crop pasting: crops only from train and only whole objects, labels on the pasted pixels,
the same bytes for the same seed. Inputs are tiny synthetic YOLO sets built in ``tmp_path``."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from lab.synth.paste import paste_crop
from lab.synth.paste_scene import CropPools, PasteOptions
from lab.synth.placement import Spot
from lab.synth.real_crops import harvest_crops
from lab.training.paste_real import real_backgrounds, write_paste_split

Box = tuple[int, float, float, float, float]  # class, x0, y0, x1, y1 in pixels


def _write_set(root: Path, splits: dict[str, list[Box]], size: int = 200) -> None:
    """One ``size`` px square image per split: grey, each box filled in its own colour."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "data.yaml").write_text(yaml.safe_dump({"names": ["bike", "car"]}))
    for split, boxes in splits.items():
        (root / split / "images").mkdir(parents=True)
        (root / split / "labels").mkdir(parents=True)
        image = np.full((size, size, 3), 90, np.uint8)
        lines = []
        for k, (c, x0, y0, x1, y1) in enumerate(boxes):
            image[int(y0) : int(y1), int(x0) : int(x1)] = (40 + 60 * k, 200, 255 - 50 * k)
            cx, cy = (x0 + x1) / 2 / size, (y0 + y1) / 2 / size
            lines.append(f"{c} {cx} {cy} {(x1 - x0) / size} {(y1 - y0) / size}\n")
        cv2.imwrite(str(root / split / "images" / f"{split}.png"), image)
        (root / split / "labels" / f"{split}.txt").write_text("".join(lines))


def test_crops_come_only_from_the_train_split(tmp_path: Path) -> None:
    whole = (0, 50.0, 50.0, 120.0, 140.0)
    _write_set(tmp_path / "s", {"train": [whole], "valid": [whole], "test": [whole]})
    crops = harvest_crops(tmp_path / "s", {"bike": "ebike"})
    assert [c.path.parent.parent.name for c in crops] == ["train"]


@pytest.mark.parametrize(
    ("boxes", "expected"),
    [
        ([(0, 50, 50, 120, 140)], 1),  # whole, clear of the border
        ([(0, 50, 50, 120, 80)], 0),  # 30 px tall: too small
        ([(0, 0, 50, 70, 140)], 0),  # cut by the left border
        ([(0, 50, 50, 120, 140), (1, 60, 60, 120, 140)], 0),  # mostly covered by a car
        ([(0, 20, 20, 80, 120), (0, 110, 20, 180, 120)], 2),  # two bikes apart
        ([(0, 20, 20, 80, 120), (1, 100, 60, 140, 100)], 1),  # a car apart does not matter
    ],
)
def test_only_whole_uncovered_objects_make_crops(
    tmp_path: Path, boxes: list[Box], expected: int
) -> None:
    _write_set(tmp_path / "s", {"train": boxes})
    assert len(harvest_crops(tmp_path / "s", {"bike": "ebike"})) == expected


def test_the_label_sits_on_the_pasted_pixels(tmp_path: Path) -> None:
    _write_set(tmp_path / "s", {"train": [(0, 50, 50, 120, 140)]})
    (crop,) = harvest_crops(tmp_path / "s", {"bike": "ebike"})
    image = np.zeros((180, 320, 3), np.uint8)
    pasted = paste_crop(
        image, crop, crop.read(), Spot(160, 170, 60.0), 1.0, np.random.default_rng(0)
    )
    changed = np.argwhere(image.max(2) > 0)
    x0, y0, x1, y1 = (int(v) for v in pasted.rect)
    assert changed.min(0).tolist() == [y0, x0] and changed.max(0).tolist() == [y1 - 1, x1 - 1]
    (label,) = pasted.labels
    bx0, by0, bx1, by1 = (round(v) for v in label.box)
    assert (by1, (bx0 + bx1) / 2) == pytest.approx((170, 160), abs=1)
    inside = image[by0 + 1 : by1 - 1, bx0 + 1 : bx1 - 1].reshape(-1, 3)
    assert (inside[:, 1] > 150).all()  # the object's colour, nudged toward black, never the grey
    ring = image[y0 + 6 : by0 - 1, bx0:bx1, 1]
    assert (ring < 110).all()  # the grey margin around it is not labelled


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    bikes, people = tmp_path / "bikes", tmp_path / "people"
    _write_set(bikes, {"train": [(0, 50, 50, 120, 140)]})
    _write_set(people, {"train": [(0, 60, 30, 100, 150), (1, 130, 30, 170, 150)]})
    pools = CropPools(
        tuple(harvest_crops(bikes, {"bike": "ebike"})),
        tuple(harvest_crops(people, {"bike": "person", "car": "person"})),
    )
    opts = PasteOptions(width=160, height=90, real_share=0.5)
    outs = []
    for run in ("a", "b"):
        write_paste_split(
            tmp_path / run, "train_paste", 4, 3, pools, real_backgrounds(people), opts
        )
        outs.append(
            {p.name: p.read_bytes() for p in sorted((tmp_path / run).rglob("*")) if p.is_file()}
        )
    assert outs[0] == outs[1] and len(outs[0]) == 8
    labels = "".join(
        (tmp_path / "a" / "labels" / "train_paste" / f"paste_{i:06d}.txt").read_text()
        for i in range(4)
    )
    assert labels.startswith(("0 ", "2 ")) and "\n0 " in "\n" + labels  # ebikes were labelled
