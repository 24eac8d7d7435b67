"""Real videos as negatives: the Intel sample clips and preview GIFs, re-encoded to H.264 at
their frame rate rounded to whole frames a second (and padded to even sizes), with person and
bicycle truth from the COCO teacher, every rule watching the whole frame, and no event."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from lab.real_check.errors import CheckSetError
from lab.real_check.geometry import pad_even, rescaled
from lab.real_check.teacher import Teacher
from lab.real_check.writer import negative_sidecar, sidecar_boxes, write_clip
from stairwatch.evaluation.sidecar import SidecarBox

LONG_CLIP_S = 10.0
BOX_EVERY_S = (0.5, 2.0)  # clips up to LONG_CLIP_S, longer ones


def _frames(path: Path) -> Iterator[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    try:
        while True:
            ok, image = cap.read()
            if not ok:
                return
            yield np.asarray(image, np.uint8)
    finally:
        cap.release()


def _probe(path: Path) -> tuple[float, int]:
    cap = cv2.VideoCapture(str(path))
    fps, count = cap.get(cv2.CAP_PROP_FPS), int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    if not fps or fps <= 0 or count <= 0:
        raise CheckSetError(f"{path}: cannot read its frame rate or frame count")
    return fps, count


def write_video_negative(
    path: Path, out_dir: Path, name: str, teacher: Teacher, kind: str, trust_empty: bool
) -> float:
    """Writes ``NAME.mp4`` and ``NAME.json``; returns the clip's duration in seconds.
    ``trust_empty``: frames where the teacher sees nothing are marked empty."""
    fps_in, count = _probe(path)
    fps = max(1, round(fps_in))
    duration = count / fps
    step = round((BOX_EVERY_S[0] if duration <= LONG_CLIP_S else BOX_EVERY_S[1]) * fps)
    boxes: list[SidecarBox] = []
    empty: list[float] = []

    def labelled() -> Iterator[np.ndarray]:
        for index, image in enumerate(_frames(path)):
            frame = pad_even(image)
            if index % step == 0:
                h, w = image.shape[:2]
                found, nothing = teacher.look(image)
                found = rescaled(found, w / frame.shape[1], h / frame.shape[0])
                boxes.extend(sidecar_boxes(index / fps, found))
                if nothing and trust_empty:
                    empty.append(round(index / fps, 3))
            yield frame

    write_clip(
        out_dir, name, fps, labelled(), duration, lambda: negative_sidecar(kind, boxes, empty)
    )
    return duration
