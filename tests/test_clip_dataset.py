"""Training frames from re-rendered clip stories."""

from __future__ import annotations

from pathlib import Path

import cv2

from lab.synth.clip_dataset import write_clip_frames


def test_frames_are_labelled_with_our_kinds(tmp_path: Path) -> None:
    n = write_clip_frames(tmp_path, "train_clips", 1, 10.0, 100, fps=2, only=("stairwell_parked",))
    images = sorted((tmp_path / "images" / "train_clips").glob("*.jpg"))
    assert n == len(images) == 4  # 40 s at one frame every 10 s
    classes = set()
    for image in images:
        assert cv2.imread(str(image)).shape == (360, 640, 3)
        label = tmp_path / "labels" / "train_clips" / f"{image.stem}.txt"
        for line in label.read_text().splitlines():
            c, *box = line.split()
            classes.add(int(c))
            assert all(0.0 <= float(v) <= 1.0 for v in box)
    assert 0 in classes  # the e-bike of the story
