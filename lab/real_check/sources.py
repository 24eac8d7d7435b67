"""The held-out real pictures of ``../shared`` and their true boxes (normalized xyxy).

Only what training never sees is used:

- Modes of Transport ``valid`` and ``test``, minus any photo whose source photo (the file name
  before Roboflow's ``_jpg.rf.`` suffix) also has copies in ``train``; class ``bike`` -> ``ebike``.
- cctv_people ``valid`` (44 clean frames), both classes -> ``person``.
- the Intel sample clips and preview GIFs (no labels: the COCO teacher supplies them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lab.real_check.errors import CheckSetError
from vision.kinds import ObjectKind

Box = tuple[float, float, float, float]

MOT = Path("data/modes_of_transport")
CCTV = Path("data/cctv_people")
INTEL = Path("clips/intel")
MOT_HELD_OUT_SPLITS = ("valid", "test")
CCTV_HELD_OUT_SPLITS = ("valid",)
MOT_CLASSES: Mapping[int, ObjectKind] = {0: ObjectKind.EBIKE}  # bike, bus, car, ship, train
CCTV_CLASSES: Mapping[int, ObjectKind] = {0: ObjectKind.PERSON, 1: ObjectKind.PERSON}
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True)
class TruthBox:
    kind: ObjectKind
    xyxy: Box  # normalized to the picture, x right, y down


@dataclass(frozen=True)
class Photo:
    """A held-out picture; ``boxes``: every object of the kinds its dataset labels."""

    path: Path
    dataset: str  # "modes_of_transport/valid", ...
    boxes: tuple[TruthBox, ...]
    labels_people: bool  # its dataset boxes every person (else only vehicles)

    @property
    def source(self) -> str:
        return source_name(self.path)

    def of(self, kind: ObjectKind) -> tuple[TruthBox, ...]:
        return tuple(b for b in self.boxes if b.kind == kind)


def source_name(path: Path) -> str:
    """The source photo a Roboflow export file was made from: the name before ``_jpg.rf.``."""
    name = path.name
    return name.split("_jpg.rf.")[0] if "_jpg.rf." in name else path.stem


def read_yolo_labels(path: Path, classes: Mapping[int, ObjectKind]) -> tuple[TruthBox, ...]:
    """YOLO rows (``c cx cy w h``, or ``c x1 y1 x2 y2 ...`` polygons, normalized) of the
    classes in ``classes``; a missing file is an image without objects."""
    if not path.is_file():
        return ()
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        values = line.split()
        if not values:
            continue
        try:
            cls, coords = int(values[0]), [float(v) for v in values[1:]]
        except ValueError:
            raise CheckSetError(f"{path}:{number}: not a YOLO label row: {line!r}") from None
        if cls not in classes:
            continue
        if len(coords) == 4:
            cx, cy, w, h = coords
            xyxy = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        elif len(coords) >= 6 and len(coords) % 2 == 0:
            xs, ys = coords[0::2], coords[1::2]
            xyxy = (min(xs), min(ys), max(xs), max(ys))
        else:
            raise CheckSetError(f"{path}:{number}: expected 4 or an even number >= 6 of values")
        x1, y1, x2, y2 = (min(max(v, 0.0), 1.0) for v in xyxy)
        if x2 > x1 and y2 > y1:
            out.append(TruthBox(classes[cls], (x1, y1, x2, y2)))
    return tuple(out)


def _images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise CheckSetError(f"{folder}: not found (is --shared the ../shared folder?)")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)


def _split(
    root: Path, split: str, classes: Mapping[int, ObjectKind], exclude: set[str]
) -> list[Photo]:
    return [
        Photo(
            p,
            f"{root.name}/{split}",
            read_yolo_labels(root / split / "labels" / f"{p.stem}.txt", classes),
            ObjectKind.PERSON in classes.values(),
        )
        for p in _images(root / split / "images")
        if source_name(p) not in exclude
    ]


def held_out(root: Path, splits: tuple[str, ...], classes: Mapping[int, ObjectKind]) -> list[Photo]:
    """The photos of ``splits`` whose source photo has no copy in ``train``."""
    trained = {source_name(p) for p in _images(root / "train" / "images")}
    return [photo for split in splits for photo in _split(root, split, classes, trained)]


def mot_photos(shared: Path) -> list[Photo]:
    """Held-out Modes of Transport photos (640x640), ``bike`` boxes as ``ebike``."""
    return held_out(shared / MOT, MOT_HELD_OUT_SPLITS, MOT_CLASSES)


def cctv_frames(shared: Path) -> list[Photo]:
    """Held-out cctv_people frames (960x540), every person boxed."""
    return held_out(shared / CCTV, CCTV_HELD_OUT_SPLITS, CCTV_CLASSES)


def intel_videos(shared: Path) -> list[Path]:
    """The Intel sample clips and preview GIFs, by name."""
    root = shared / INTEL
    videos = sorted(root.glob("*.mp4")) + sorted((root / "previews").glob("*.gif"))
    if not videos:
        raise CheckSetError(f"{root}: no Intel clips found")
    return videos
