"""Build the real-footage check set into a folder: clips, sidecars, a manifest and the
attribution the licences ask for. Deterministic in its options.

Parts (``--parts``): ``elevator`` and ``parked`` (held-out Modes of Transport photos with a
scooter, alternately), ``people`` (held-out cctv_people frames, no event), ``negatives``
(held-out Modes of Transport photos without a scooter label in which the COCO teacher sees no
motorbike or bicycle either, no event), ``cables`` (a cable drawn on
one in four cctv frames and Modes of Transport photos), ``intel`` (the Intel clips and preview
GIFs, no event). See :mod:`lab.real_check.stagings` for what each clip shows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from lab.real_check.errors import CheckSetError
from lab.real_check.sources import Photo, TruthBox, cctv_frames, intel_videos, mot_photos
from lab.real_check.stagings import (
    Staging,
    cable_clip,
    elevator_pan,
    parked_still,
    still_negative,
)
from lab.real_check.teacher import PEOPLE_AND_BICYCLES, TWO_WHEELERS, Teacher, load_teacher
from lab.real_check.videos import write_video_negative
from lab.real_check.writer import ClipInfo, write_clip
from vision.kinds import ObjectKind

PARTS = ("elevator", "parked", "people", "negatives", "cables", "intel")
TEACHER_EMPTY_TRUSTED = ("one-by-one-person-detection",)
"""Videos whose frames the teacher calls empty are empty (checked by eye: people there are
large; in the car park views it misses a small cyclist)."""
CABLE_EVERY = 4  # one background in this many gets a cable clip
HELD_OUT = {
    "modes_of_transport": "valid + test, minus photos whose source photo has copies in train",
    "cctv_people": "valid",
    "intel": "all (the project never trains on them)",
}
ATTRIBUTION = """\
Built by `python -m lab.real_check` from ../shared: third-party pictures, never to be committed
or shipped. Only parts never used for training (see manifest.json):
- Modes of Transport dataset (Roboflow Universe, CC BY 4.0): valid and test photos whose source
  photo has no copy in train; `bike` boxes as `ebike`.
- cctv dataset by ai-indonesia (Roboflow Universe, CC BY 4.0), resized: the valid frames; both
  classes as `person`. Faces are visible: evaluation only, never shown or shipped.
- Sample videos by Intel Corporation, CC BY 4.0: person and bicycle boxes from the COCO teacher.
- COCO teacher: YOLOX-Nano (Apache-2.0), boxes at score >= 0.5, checked by eye on a sample.
- Cables drawn by stairwatch's own renderer (lab/synth/cables.py).
"""


@dataclass(frozen=True)
class BuildOptions:
    parts: tuple[str, ...] = PARTS
    limit: int | None = None  # at most this many clips a part
    fps: int = 5  # the evaluation samples 2 a second
    seed: int = 0


def clip_name(*parts: str) -> str:
    """File-system-safe clip name from its parts."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", "_".join(parts)).strip("-")


def read_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    if image is None:
        raise CheckSetError(f"{path}: not a readable image")
    return np.asarray(image, np.uint8)


_HOW = {"elevator": "the camera pans a scooter into the zone", "parked": "held still"}


class Builder:
    """Writes clips into ``out`` and keeps a :class:`ClipInfo` of each."""

    def __init__(self, shared: Path, out: Path, options: BuildOptions, teacher: Teacher):
        self.shared, self.out, self.options, self.teacher = shared, out, options, teacher
        self.infos: list[ClipInfo] = []

    def _first(self, items: list[Photo]) -> list[Photo]:
        return items if self.options.limit is None else items[: self.options.limit]

    def _write(self, part: str, name: str, staging: Staging, source: Path) -> None:
        fps = self.options.fps
        sidecar = staging.sidecar
        write_clip(self.out, name, fps, staging.frames, staging.duration_s, lambda: sidecar)
        rel = str(source.relative_to(self.shared))
        self.infos.append(ClipInfo(name, part, (rel,), staging.duration_s, len(sidecar.events)))

    def truth(self, photo: Photo, image: np.ndarray) -> tuple[tuple[TruthBox, ...], bool]:
        """The dataset's boxes, with the teacher's people where the dataset labels only
        vehicles; and whether the picture surely holds no object of our kinds (never said of
        a street photo: the teacher misses small, far people)."""
        if photo.labels_people:
            return photo.boxes, not photo.boxes
        return photo.boxes + self.teacher.boxes(image), False  # far people may escape it

    def bike_photos(self, mot: list[Photo]) -> None:
        """Alternately an elevator and a parked clip per photo with a scooter (a photo no pan
        fits goes to parked), up to ``limit`` of each."""
        made = {part: 0 for part in ("elevator", "parked") if part in self.options.parts}
        limit = self.options.limit
        for index, photo in enumerate(p for p in mot if p.of(ObjectKind.EBIKE)):
            open_parts = [p for p, n in made.items() if limit is None or n < limit]
            if not open_parts:
                return
            image = read_image(photo.path)
            boxes, _ = self.truth(photo, image)
            order = sorted(open_parts, key=lambda p: (p == "elevator") == (index % 2 == 1))
            for part in order:
                make = elevator_pan if part == "elevator" else parked_still
                kind = f"real photo ({photo.dataset}), {_HOW[part]}"
                staging = make(image, boxes, self.options.fps, kind)
                if staging is not None:
                    self._write(part, clip_name("mot", part, photo.source), staging, photo.path)
                    made[part] += 1
                    break

    def unlabelled_two_wheeler(self, photo: Photo) -> bool:
        """Whether the teacher sees a motorbike or bicycle (score >= 0.25) the labels omit."""
        _, nothing = self.teacher.with_take(TWO_WHEELERS).look(read_image(photo.path))
        return not nothing

    def stills(self, part: str, photos: list[Photo]) -> None:
        for photo in self._first(photos):
            image = read_image(photo.path)
            kind = f"real photo ({photo.dataset}), held still, no event"
            boxes, empty = self.truth(photo, image)
            staging = still_negative(image, boxes, self.options.fps, kind, empty)
            self._write(part, clip_name(part, photo.source), staging, photo.path)

    def cables(self, backgrounds: list[Photo]) -> None:
        for index, photo in enumerate(self._first(backgrounds)):
            image = read_image(photo.path)
            seed = self.options.seed * 100_003 + index
            kind = f"real photo ({photo.dataset}), a rendered cable appears"
            boxes, _ = self.truth(photo, image)
            staging = cable_clip(image, boxes, self.options.fps, kind, seed)
            self._write("cables", clip_name("cable", photo.source), staging, photo.path)

    def intel(self) -> None:
        teacher = self.teacher.with_take(PEOPLE_AND_BICYCLES)
        videos = intel_videos(self.shared)
        for video in videos if self.options.limit is None else videos[: self.options.limit]:
            gif = video.suffix == ".gif"
            name = (
                clip_name("intel", "preview", video.stem) if gif else clip_name("intel", video.stem)
            )
            kind = "real video (Intel sample videos), no event"
            trusted = video.stem in TEACHER_EMPTY_TRUSTED
            duration = write_video_negative(video, self.out, name, teacher, kind, trusted)
            rel = str(video.relative_to(self.shared))
            self.infos.append(ClipInfo(name, "intel", (rel,), round(duration, 3), 0))


def _interleave(a: list[Photo], b: list[Photo]) -> list[Photo]:
    out = [x for pair in zip(a, b, strict=False) for x in pair]
    return out + a[len(b) :] + b[len(a) :]


def build(shared: Path, out: Path, options: BuildOptions) -> list[ClipInfo]:
    """Write every clip of ``options.parts`` into ``out`` (created; must hold no clip yet).

    Raises :class:`CheckSetError` when ``../shared`` lacks what a part needs."""
    unknown = sorted(set(options.parts) - set(PARTS))
    if unknown:
        raise CheckSetError(f"unknown part(s) {', '.join(unknown)} (parts: {', '.join(PARTS)})")
    out.mkdir(parents=True, exist_ok=True)
    if any(p.suffix in (".mp4", ".json") for p in out.iterdir()):
        raise CheckSetError(f"{out}: already holds clips or sidecars; build into an empty folder")
    builder = Builder(shared, out, options, load_teacher(shared))
    mot, cctv = mot_photos(shared), cctv_frames(shared)
    without_bikes = [p for p in mot if not p.of(ObjectKind.EBIKE)]
    steps: dict[str, Callable[[], None]] = {
        "elevator": lambda: builder.bike_photos(mot),
        "people": lambda: builder.stills("people", cctv),
        "negatives": lambda: builder.stills(
            "negatives", [p for p in without_bikes if not builder.unlabelled_two_wheeler(p)]
        ),
        "cables": lambda: builder.cables(_interleave(cctv[::CABLE_EVERY], mot[1::CABLE_EVERY])),
        "intel": builder.intel,
    }
    parts = set(options.parts)
    if "parked" in parts:
        parts.add("elevator")  # the bike photos make both
    for part in tqdm([p for p in steps if p in parts], desc="check set", unit="part"):
        steps[part]()
    write_manifest(out, options, builder.infos)
    return builder.infos


def write_manifest(out: Path, options: BuildOptions, infos: list[ClipInfo]) -> None:
    """``manifest.json`` (options, held-out splits, every clip's sources) and ATTRIBUTION.md."""
    manifest = {
        "built_by": "python -m lab.real_check",
        "options": asdict(options),
        "held_out": HELD_OUT,
        "clips": [asdict(i) for i in infos],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    (out / "ATTRIBUTION.md").write_text(ATTRIBUTION, encoding="utf-8")


def part_totals(infos: list[ClipInfo]) -> Iterator[tuple[str, int, float, int]]:
    """(part, clips, seconds, events) per part, in :data:`PARTS` order."""
    for part in PARTS:
        mine = [i for i in infos if i.part == part]
        if mine:
            yield part, len(mine), sum(i.duration_s for i in mine), sum(i.events for i in mine)
