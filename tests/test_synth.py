"""Synthetic data: determinism, label correctness, lens geometry, dataset layout, mixing."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from lab.synth.camera import CameraSpec, apply_camera, distort_points
from lab.synth.compose import SampleOptions, render_sample
from lab.synth.dataset import DatasetOptions, write_dataset
from lab.synth.errors import DatasetSourceError, SynthError
from lab.synth.mix import parse_mix_map
from lab.synth.people import draw_person
from lab.synth.photo_cables import draw_photo_cables
from lab.synth.scenes import SceneKind, SceneSpec, render_scene
from lab.synth.shapes import Facing
from lab.synth.specs import sample_bicycle, sample_ebike, sample_person
from lab.synth.vehicles import draw_bicycle, draw_ebike
from lab.training.degrade import Degradation, degrade, write_degraded
from lab.training.real_mix import closeup_window, draw_cables_on_split, write_closeups
from lab.training.real_mix import main as real_mix_main
from stairwatch.cli import main
from vision.kinds import KIND_NAMES

SMALL = SampleOptions(width=320, height=180)


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "data.yaml"
    }


def test_same_seed_same_bytes_whatever_the_worker_count(tmp_path: Path) -> None:
    a = write_dataset(
        DatasetOptions(tmp_path / "a", images=6, seed=3, width=320, height=180, workers=1)
    )
    b = write_dataset(
        DatasetOptions(tmp_path / "b", images=6, seed=3, width=320, height=180, workers=2)
    )
    fa, fb = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert fa == fb
    assert len([k for k in fa if k.endswith(".jpg")]) == 6
    assert a.boxes_per_class == b.boxes_per_class


def test_different_seeds_differ() -> None:
    a, b = render_sample(0, 1, SMALL), render_sample(1, 1, SMALL)
    assert not np.array_equal(a.image, b.image)


def test_labels_inside_image_and_all_classes_appear() -> None:
    seen: set[int] = set()
    for i in range(40):
        s = render_sample(7, i, SMALL)
        h, w = s.image.shape[:2]
        for lab in s.labels:
            x0, y0, x1, y1 = lab.box
            assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
            assert 0 <= lab.class_id < len(KIND_NAMES)
            seen.add(lab.class_id)
    assert seen == set(range(len(KIND_NAMES)))


def _ink_box(image: np.ndarray, background: int) -> tuple[int, int, int, int]:
    # Ground shadows darken the background by at most ~35 %: not ink.
    ys, xs = np.nonzero(np.any(np.abs(image.astype(int) - background) > 50, axis=2))
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


@pytest.mark.parametrize("yaw", [0.0, -45.0, -90.0, 135.0])
@pytest.mark.parametrize("pitch", [5.0, 40.0, 85.0])
@pytest.mark.parametrize(
    "draw, sample",
    [(draw_ebike, sample_ebike), (draw_bicycle, sample_bicycle), (draw_person, sample_person)],
)
def test_returned_box_matches_the_drawn_pixels(draw, sample, yaw: float, pitch: float) -> None:  # type: ignore[no-untyped-def]
    image = np.full((600, 600, 3), 128, np.uint8)
    render = draw(
        image, sample(np.random.default_rng(5)), (300.0, 350.0), 150.0, Facing(yaw, pitch)
    )
    ink = _ink_box(image, 128)
    assert np.allclose(render.box, ink, atol=3.0), (render.box, ink)


def _lens_only(lens: float) -> CameraSpec:
    return CameraSpec(
        1.0,
        1.0,
        (1.0, 1.0, 1.0),
        (0.0, 0.0, 0.0),
        0.0,
        0.0,
        0.0,
        lens,
        0.0,
        0,
        0.0,
        1.0,
        0.0,
        False,
        False,
        0,
        90,
    )


@pytest.mark.parametrize("lens", [0.3, 0.7, 1.1])
@pytest.mark.parametrize("point", [(40.0, 30.0), (300.0, 60.0), (170.0, 100.0), (60.0, 150.0)])
def test_points_follow_the_lens(lens: float, point: tuple[float, float]) -> None:
    image = np.zeros((180, 320, 3), np.uint8)
    cv2.circle(image, (round(point[0]), round(point[1])), 3, (255, 255, 255), -1)
    out, (moved,) = apply_camera(
        image, _lens_only(lens), [np.array([point], np.float32)], np.random.default_rng(0)
    )
    ys, xs = np.nonzero(out[..., 0] > 100)
    assert np.allclose(moved[0], (xs.mean(), ys.mean()), atol=1.5)
    assert np.allclose(distort_points(np.array([point]), _lens_only(lens), 320, 180), moved)


@pytest.mark.parametrize("kind", list(SceneKind))
def test_scenes_render_with_a_usable_ground_band(kind: SceneKind) -> None:
    scene = render_scene(SceneSpec(kind, 320, 180, 11))
    assert scene.image.shape == (180, 320, 3) and scene.image.dtype == np.uint8
    g = scene.layout.ground
    assert g.y_far < g.y_near
    assert g.px_per_m(g.y_near) >= g.px_per_m(g.y_far) > 0
    again = render_scene(SceneSpec(kind, 320, 180, 11))
    assert np.array_equal(scene.image, again.image)


def _tiny_yolo(root: Path) -> None:
    root.mkdir()
    (root / "data.yaml").write_text("names: ['car', 'bike', 'bus']\n")
    rows = {
        ("train", "a"): "1 0.5 0.5 0.2 0.2\n0 0.1 0.1 0.1 0.1\n",
        ("train", "b"): "2 0.5 0.5 0.3 0.3",
        ("valid", "c"): "1 0.1 0.2 0.3 0.2 0.3 0.4 0.1 0.4\n",
    }
    for (split, stem), text in rows.items():
        (root / split / "images").mkdir(parents=True, exist_ok=True)
        (root / split / "labels").mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / split / "images" / f"{stem}.jpg"), np.zeros((32, 32, 3), np.uint8))
        (root / split / "labels" / f"{stem}.txt").write_text(text)


def test_mix_yolo_remaps_classes_and_keeps_real_validation_apart(tmp_path: Path) -> None:
    _tiny_yolo(tmp_path / "real")
    out = tmp_path / "ds"
    code = main(
        [
            "synth",
            "dataset",
            "--out",
            str(out),
            "--images",
            "4",
            "--size",
            "320x180",
            "--workers",
            "1",
            "--mix-yolo",
            str(tmp_path / "real"),
            "--mix-map",
            "bike=ebike",
        ]
    )
    assert code == 0
    ebike = KIND_NAMES.index("ebike")
    assert (
        out / "labels/train/real_a.txt"
    ).read_text() == f"{ebike} 0.500000 0.500000 0.200000 0.200000\n"
    assert (out / "labels/train/real_b.txt").read_text() == ""
    assert (out / "images/train/real_b.jpg").is_file()
    assert (
        out / "labels/val_real/real_c.txt"
    ).read_text() == f"{ebike} 0.200000 0.300000 0.200000 0.200000\n"
    assert not list((out / "images/val").glob("real_*"))
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data["val_real"] == "images/val_real"


def test_data_yaml_points_at_the_splits(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    summary = write_dataset(
        DatasetOptions(out, images=5, width=320, height=180, val_fraction=0.4, workers=1)
    )
    data = yaml.safe_load(summary.data_yaml.read_text())
    assert Path(data["path"]).is_absolute() and Path(data["path"]) == out.resolve()
    assert data["names"] == dict(enumerate(KIND_NAMES))
    assert "val_real" not in data
    assert len(list((out / data["train"]).glob("*.jpg"))) == 3
    assert len(list((out / data["val"]).glob("*.jpg"))) == 2
    for label in (out / "labels").rglob("*.txt"):
        for line in label.read_text().splitlines():
            cls, *vals = line.split()
            assert int(cls) in range(len(KIND_NAMES))
            assert all(0.0 <= float(v) <= 1.0 for v in vals)
    with pytest.raises(SynthError):
        write_dataset(DatasetOptions(out, images=2, width=320, height=180, workers=1))


@pytest.mark.parametrize("items", [["bike"], ["bike=truck"], ["=ebike"]])
def test_bad_mix_maps_are_refused(items: list[str]) -> None:
    with pytest.raises(DatasetSourceError):
        parse_mix_map(items)


def test_real_mix_adds_a_second_source_under_its_own_prefix_and_split(tmp_path: Path) -> None:
    _tiny_yolo(tmp_path / "real")
    out = tmp_path / "ds"
    source = str(tmp_path / "real")
    args = ["add", str(out), "--source", source, "--map", "car=person", "--prefix", "cctv_"]
    code = real_mix_main([*args, "--held-out", "val_people"])
    assert code == 0
    person = KIND_NAMES.index("person")
    assert (out / "labels/train/cctv_a.txt").read_text() == (
        f"{person} 0.100000 0.100000 0.100000 0.100000\n"
    )
    assert (out / "images/val_people/cctv_c.jpg").is_file()
    assert not (out / "images/val_real").exists()


@pytest.mark.parametrize(
    ("bikes", "count"),
    [
        (np.zeros((0, 4)), 1),
        (np.array([[200.0, 150.0, 320.0, 300.0]]), 1),
        (np.array([[20.0, 200.0, 120.0, 330.0], [400.0, 180.0, 560.0, 340.0]]), 2),
    ],
)
def test_cables_on_a_photo_are_boxed_where_they_were_drawn(bikes: np.ndarray, count: int) -> None:
    for seed in range(8):
        image = np.full((360, 640, 3), 127, np.uint8)
        boxes = draw_photo_cables(np.random.default_rng(seed), image, bikes, count)
        assert boxes.shape == (count, 4)
        changed = np.argwhere(np.abs(image.astype(int) - 127).sum(axis=2) > 30)
        assert len(changed) > 50, "a cable was drawn"
        inside = np.zeros(len(changed), bool)
        for x1, y1, x2, y2 in boxes:
            assert 0 <= x1 < x2 <= 640 and 0 <= y1 < y2 <= 360
            ys, xs = changed[:, 0], changed[:, 1]
            inside |= (xs >= x1 - 2) & (xs <= x2 + 2) & (ys >= y1 - 2) & (ys <= y2 + 2)
        assert inside.all(), "every drawn pixel lies in a truth box"


def test_cables_land_on_the_share_of_real_photos_asked_for(tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    (ds / "images/train").mkdir(parents=True)
    (ds / "labels/train").mkdir(parents=True)
    for i in range(20):
        name = f"real_{i}" if i < 10 else f"synth_{i}"
        cv2.imwrite(str(ds / f"images/train/{name}.jpg"), np.full((180, 320, 3), 90, np.uint8))
        (ds / f"labels/train/{name}.txt").write_text("0 0.5 0.6 0.3 0.4\n")
    counts = draw_cables_on_split(ds, "train", ("real_",), share=1.0, seed=3)
    assert (counts.images_seen, counts.images_drawn) == (10, 10)
    cable = f"{KIND_NAMES.index('cable')} "
    for i in range(20):
        name = f"real_{i}" if i < 10 else f"synth_{i}"
        lines = (ds / f"labels/train/{name}.txt").read_text().splitlines()
        assert lines[0] == "0 0.5 0.6 0.3 0.4"
        assert any(x.startswith(cable) for x in lines) == (i < 10)
    with pytest.raises(DatasetSourceError, match="no image starts with"):
        draw_cables_on_split(ds, "train", ("cctv_",), share=1.0, seed=3)


@pytest.mark.parametrize(
    ("person", "photo", "fits"),
    [
        ((400.0, 100.0, 480.0, 400.0), (960, 540), True),  # a standing person: a window fits
        ((10.0, 10.0, 60.0, 60.0), (960, 540), False),  # too small to fill a close-up
        ((100.0, 0.0, 900.0, 540.0), (960, 540), False),  # already fills the photo
    ],
)
def test_a_closeup_window_holds_its_person_large(
    person: tuple[float, ...], photo: tuple[int, int], fits: bool
) -> None:
    box = np.array(person)
    for seed in range(10):
        window = closeup_window(np.random.default_rng(seed), box, *photo)
        assert (window is not None) == fits
        if window is None:
            continue
        x1, y1, x2, y2 = window
        assert x1 >= 0 and y1 >= 0 and x2 <= photo[0] and y2 <= photo[1]
        assert x1 <= box[0] and y1 <= box[1] and box[2] <= x2 and box[3] <= y2
        assert 0.55 <= (box[3] - box[1]) / (y2 - y1) <= 0.95
        assert (x2 - x1) / (y2 - y1) == pytest.approx(640 / 360)


def test_closeups_keep_the_people_they_show(tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    (ds / "images/train").mkdir(parents=True)
    (ds / "labels/train").mkdir(parents=True)
    image = np.full((540, 960, 3), 200, np.uint8)
    image[150:450, 400:480] = 30  # the person
    cv2.imwrite(str(ds / "images/train/cctv_a.jpg"), image)
    person = KIND_NAMES.index("person")
    (ds / "labels/train/cctv_a.txt").write_text(f"{person} 0.458333 0.555556 0.083333 0.555556\n")
    assert write_closeups(ds, "train_closeups", "cctv_", count=3, seed=1) == 3
    for label in sorted((ds / "labels/train_closeups").glob("*.txt")):
        (line,) = label.read_text().splitlines()
        c, cx, cy, w, h = (float(v) for v in line.split())
        assert int(c) == person and 0.55 <= h <= 0.96
        crop = cv2.imread(str(ds / "images/train_closeups" / f"{label.stem}.jpg"))
        assert crop.shape == (360, 640, 3)
        inside = crop[int((cy - h / 2) * 360) + 3 : int((cy + h / 2) * 360) - 3,
                      int((cx - w / 2) * 640) + 3 : int((cx + w / 2) * 640) - 3]  # fmt: skip
        assert inside.mean() < 60, "the box is on the dark person"


@pytest.mark.parametrize(
    ("scale", "qualities", "gamma"),
    [(0.25, (12,), 1.0), (0.6, (45, 20), 1.0), (0.4, (30,), 2.0)],
)
def test_a_degraded_photo_keeps_its_size_and_loses_detail(
    scale: float, qualities: tuple[int, ...], gamma: float
) -> None:
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    out = degrade(photo, Degradation(scale, qualities, gamma))
    assert out.shape == photo.shape and out.dtype == np.uint8
    detail = float(np.abs(np.diff(out.astype(float), axis=1)).mean())
    assert detail < 0.5 * float(np.abs(np.diff(photo.astype(float), axis=1)).mean())
    if gamma > 1:
        assert out.mean() < 0.8 * photo.mean()


def test_degraded_copies_keep_their_labels(tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    (ds / "images/train").mkdir(parents=True)
    (ds / "labels/train").mkdir(parents=True)
    for name in ("real_a", "real_b", "cctv_c"):
        cv2.imwrite(str(ds / f"images/train/{name}.jpg"), np.full((64, 64, 3), 128, np.uint8))
        (ds / f"labels/train/{name}.txt").write_text(f"0 0.5 0.5 0.2 0.2  # {name}\n")
    assert write_degraded(ds, "train_degraded", ("real_",), seed=1) == 2
    assert sorted(p.name for p in (ds / "images/train_degraded").iterdir()) == [
        "degraded_real_a.jpg",
        "degraded_real_b.jpg",
    ]
    assert (ds / "labels/train_degraded/degraded_real_b.txt").read_text().endswith("real_b\n")
    with pytest.raises(DatasetSourceError, match="no image starts with"):
        write_degraded(ds, "x", ("none_",), seed=1)
