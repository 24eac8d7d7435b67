"""The real-footage check set (``python -m lab.real_check``): label reading and viewport
geometry without data; with ``../shared``, a tiny build whose sidecars load, whose truth boxes
are the dataset's labels, that uses only held-out pictures, and that ``stairwatch eval`` scores
with the bundled model and with the COCO teacher."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.real_check.build import BuildOptions, build
from lab.real_check.geometry import Viewport, clipped
from lab.real_check.sources import (
    CCTV_CLASSES,
    MOT_CLASSES,
    TruthBox,
    read_yolo_labels,
    source_name,
)
from lab.real_check.stagings import plan_pan
from lab.real_check.teacher import PEOPLE_AND_BICYCLES, load_teacher
from lab.real_check.videos import write_video_negative
from stairwatch.cli import main as cli
from stairwatch.evaluation.sidecar import Sidecar, find_clips, load_sidecar
from vision.kinds import ObjectKind

E, P = ObjectKind.EBIKE, ObjectKind.PERSON


@pytest.mark.parametrize(
    ("text", "classes", "expected"),
    [
        ("0 0.5 0.5 0.2 0.4", MOT_CLASSES, [TruthBox(E, (0.4, 0.3, 0.6, 0.7))]),
        ("2 0.5 0.5 0.2 0.4", MOT_CLASSES, []),  # a car: not scored
        ("0 0.1 0.2 0.3 0.2 0.2 0.6", MOT_CLASSES, [TruthBox(E, (0.1, 0.2, 0.3, 0.6))]),  # polygon
        ("0 0.05 0.5 0.2 0.2", MOT_CLASSES, [TruthBox(E, (0.0, 0.4, 0.15, 0.6))]),  # cut to [0, 1]
        ("1 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 0.2", CCTV_CLASSES, [TruthBox(P, (.4, .4, .6, .6))] * 2),
    ],
)  # fmt: skip
def test_yolo_labels(tmp_path: Path, text: str, classes: dict, expected: list) -> None:
    path = tmp_path / "a.txt"
    path.write_text(text)
    got = read_yolo_labels(path, classes)
    assert [b.kind for b in got] == [b.kind for b in expected]
    for g, e in zip(got, expected, strict=True):
        assert g.xyxy == pytest.approx(e.xyxy)


@pytest.mark.parametrize(
    ("view", "box", "expected"),
    [
        (Viewport(0.0, 0.0, 1.0), (0.1, 0.2, 0.3, 0.4), (0.1, 0.2, 0.3, 0.4)),
        (Viewport(0.5, 0.5, 2.0), (0.5, 0.5, 1.0, 1.0), (0.0, 0.0, 1.0, 1.0)),
        (Viewport(0.25, 0.0, 2.0), (0.5, 0.1, 0.6, 0.2), (0.5, 0.2, 0.7, 0.4)),
    ],
)
def test_viewport_maps_photo_boxes_to_frame(view: Viewport, box: tuple, expected: tuple) -> None:
    assert view.box(box) == pytest.approx(expected)


def test_source_name_strips_roboflow_suffix() -> None:
    assert source_name(Path("IMG_1_jpg.rf.0123abcd.jpg")) == "IMG_1"


# --- with ../shared -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_set(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("real_check")
    parts = ("elevator", "parked", "people", "negatives", "cables")
    build(shared_dir, out, BuildOptions(parts=parts, limit=1, fps=5))
    return out


def _manifest(out: Path) -> dict[str, dict]:
    return {c["clip"]: c for c in json.loads((out / "manifest.json").read_text())["clips"]}


def _label_file(shared: Path, source: str) -> Path:
    image = shared / source
    return image.parent.parent / "labels" / f"{image.stem}.txt"


def test_sidecars_load_and_every_part_is_built(tiny_set: Path) -> None:
    clips = find_clips(tiny_set)
    parts = sorted(c["part"] for c in _manifest(tiny_set).values())
    assert parts == ["cables", "elevator", "negatives", "parked", "people"]
    assert len(clips) == 5
    kinds = {c.name.split("_")[0]: {e.type.value for e in c.sidecar.events} for c in clips}
    assert kinds == {
        "cable": {"flying_wire"},
        "mot": kinds["mot"],
        "negatives": set(),
        "people": set(),
    }
    assert {e.type.value for c in clips if c.name.startswith("mot") for e in c.sidecar.events} == {
        "ebike_in_elevator",
        "ebike_parked",
    }


def test_only_held_out_pictures_are_used(shared_dir: Path, tiny_set: Path) -> None:
    for clip in _manifest(tiny_set).values():
        for source in clip["sources"]:
            assert "/train/" not in source
            train = (shared_dir / source).parent.parent.parent / "train" / "images"
            trained = {source_name(p) for p in train.iterdir()}
            assert source_name(Path(source)) not in trained


def _boxes(sidecar: Sidecar, t: float, kind: ObjectKind) -> list[tuple[float, ...]]:
    return sorted(b.xyxy for b in sidecar.boxes if b.t == t and b.label == kind)


def test_still_truth_is_the_dataset_labels(shared_dir: Path, tiny_set: Path) -> None:
    for name, clip in _manifest(tiny_set).items():
        if clip["part"] not in ("parked", "people"):
            continue
        classes = MOT_CLASSES if clip["part"] == "parked" else CCTV_CLASSES
        kind = E if clip["part"] == "parked" else P
        labels = read_yolo_labels(_label_file(shared_dir, clip["sources"][0]), classes)
        got = _boxes(load_sidecar(tiny_set / f"{name}.json"), 1.0, kind)
        want = sorted(tuple(round(v, 4) for v in b.xyxy) for b in labels)
        assert got == pytest.approx(want, abs=1e-4)


def test_elevator_truth_follows_the_pan(shared_dir: Path, tiny_set: Path) -> None:
    (name, clip), *_ = [(n, c) for n, c in _manifest(tiny_set).items() if c["part"] == "elevator"]
    bikes = read_yolo_labels(_label_file(shared_dir, clip["sources"][0]), MOT_CLASSES)
    pan = plan_pan(bikes)
    assert pan is not None
    sidecar = load_sidecar(tiny_set / f"{name}.json")
    want = sorted(
        tuple(round(v, 4) for v in box)
        for box, share in (clipped(pan.end.box(b.xyxy)) for b in bikes)
        if share >= 0.5
    )
    assert _boxes(sidecar, 6.0, E) == pytest.approx(want, abs=1e-4)
    assert all(0 < e.start_s < 8.0 for e in sidecar.events)  # every bike enters after t = 0


def _eval(clips: Path, out: Path, *extra: str) -> dict:
    code = cli(["eval", str(clips), "--json", str(out), "--no-progress", *extra])
    assert code == 0
    return json.loads(out.read_text())


def test_eval_scores_events_and_frames_per_kind(tiny_set: Path, tmp_path: Path) -> None:
    result = _eval(tiny_set, tmp_path / "bundled.json")
    truths = {t: 0 for t in ("ebike_parked", "ebike_in_elevator", "flying_wire")}
    for clip in find_clips(tiny_set):
        for e in clip.sidecar.events:
            truths[e.type.value] += 1
    counts = {t: s["tp"] + s["fn"] for t, s in result["per_type"].items()}
    assert {t: n for t, n in counts.items() if n or t in truths} == truths
    assert {"ebike", "person", "cable"} <= set(result["frames"]["per_class_ap50"])


def test_the_coco_teacher_is_scored_through_the_same_command(
    shared_dir: Path, tiny_set: Path, tmp_path: Path
) -> None:
    models = shared_dir / "models"
    result = _eval(
        tiny_set, tmp_path / "teacher.json",
        "--model", str(models / "yolox_nano.onnx"), "--labels", str(models / "coco80.txt"),
        "--map", "ebike=motorbike",
    )  # fmt: skip
    assert result["frames"]["per_class_ap50"]["person"] > 0.3


def test_video_negative_has_teacher_people_and_no_event(shared_dir: Path, tmp_path: Path) -> None:
    gif = shared_dir / "clips/intel/previews/face-demographics-walking.gif"
    teacher = load_teacher(shared_dir, PEOPLE_AND_BICYCLES)
    write_video_negative(gif, tmp_path, "people", teacher, "test", trust_empty=False)
    (clip,) = find_clips(tmp_path)
    assert clip.sidecar.events == []
    assert {z.kind.value for z in clip.sidecar.zones} == {"elevator", "no_parking", "cable_watch"}
    assert any(b.label == P for b in clip.sidecar.boxes)
