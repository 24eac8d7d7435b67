"""``stairwatch dataset export`` (issue 15, item 3): reviewed events become an Ultralytics
dataset split by camera and time, clips with sidecars ``stairwatch eval`` reads, and a manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from alerts.events import EventType
from alerts.reviews import FalseAlarmReason, ReviewBox, ReviewInput, Verdict
from alerts.store import EventStore
from alerts.stored import CameraInfo
from lab.synth.yolo_labels import read_yolo
from stairwatch.cli import main
from stairwatch.config import Settings
from stairwatch.evaluation.sidecar import find_clips
from stairwatch.teach.errors import ExportError
from stairwatch.teach.export import ExportOptions, export_dataset, image_stems
from stairwatch.teach.labels import event_labels
from stairwatch.teach.split import Split, Timed, split_events
from tests.records import parked_record
from tests.test_dashboard_security import FAKE_MP4

HOUR = 3600.0
T0 = 1_800_000_000.0
JPEG = b"\xff\xd8\xff\xd9"

SETTINGS = Settings.model_validate(
    {
        "cameras": [
            {
                "id": cam,
                "source": "x.mp4",
                "zones": [
                    {
                        "name": "landing",
                        "kind": "no_parking",
                        "polygon": [[0, 0], [1, 0], [1, 1]],
                        "rules": {"ebike_parked": {"dwell_s": 120}},
                    }
                ],
            }
            for cam in ("cam-a", "cam-b")
        ]
    }
)


def add(
    store: EventStore, camera: str, at: float, review: ReviewInput | None, frames: int = 1
) -> str:
    record = parked_record(f"k{camera}{at}", camera, "landing", at, EventType.EBIKE_PARKED)
    event_id = store.record_raised(record, CameraInfo(camera, camera), JPEG).id
    store.record_clip(event_id, FAKE_MP4)
    for _ in range(frames):
        store.record_training_frame(event_id, JPEG)
    if review is not None:
        store.review(event_id, "vera", review)
    return event_id


CONFIRM = ReviewInput(verdict=Verdict.CONFIRMED)
CORRECTED = ReviewInput(
    verdict=Verdict.CONFIRMED,
    boxes=(ReviewBox(label="ebike", xyxy=(0.1, 0.2, 0.3, 0.4)),
           ReviewBox(label="person", xyxy=(0.5, 0.1, 0.7, 0.9))),
)  # fmt: skip
WRONG = ReviewInput(verdict=Verdict.FALSE_ALARM, reason=FalseAlarmReason.BICYCLE)
WRONG_WITH_BOXES = ReviewInput(
    verdict=Verdict.FALSE_ALARM,
    reason=FalseAlarmReason.BICYCLE,
    boxes=(ReviewBox(label="bicycle", xyxy=(0.1, 0.1, 0.5, 0.5)),
           ReviewBox(label="ebike", xyxy=(0.1, 0.1, 0.5, 0.5))),
)  # fmt: skip


@pytest.mark.parametrize(
    ("review", "frames", "expected"),
    [
        (CONFIRM, 2, [(1, [("ebike", (0.3, 0.3, 0.6, 0.9))])]),  # the event's own box
        (CORRECTED, 1, [(0, [("ebike", (0.1, 0.2, 0.3, 0.4)), ("person", (0.5, 0.1, 0.7, 0.9))])]),
        (WRONG, 3, [(0, []), (1, []), (2, [])]),  # every kept frame a hard negative
        (WRONG_WITH_BOXES, 2, [(1, [("bicycle", (0.1, 0.1, 0.5, 0.5))])]),  # no box of its kind
    ],
)
def test_what_a_verdict_teaches(
    store: EventStore, review: ReviewInput, frames: int, expected: list[object]
) -> None:
    event_id = add(store, "cam-a", T0, review, frames=frames - 1)  # raised keeps none itself
    store.record_training_frame(event_id, JPEG)
    labels = event_labels(store.get(event_id))
    got = [(f.index, [(b.kind.value, b.xyxy) for b in f.boxes]) for f in labels.frames]
    assert got == expected


@pytest.mark.parametrize(
    ("hours", "sides"),
    [
        ([0, 0.1, 0.2, 5, 5.1], "TTTVV"),  # two runs: the later one validates, whole
        ([0, 5, 10, 15, 20, 25], "TTTTTV"),
        ([0, 0.1], None),  # one run: nothing to validate on
    ],
)
def test_split_keeps_runs_whole(hours: list[float], sides: str | None) -> None:
    events = [Timed(f"e{i}", "cam-a", T0 + h * HOUR) for i, h in enumerate(hours)]
    if sides is None:
        with pytest.raises(ExportError, match="val side"):
            split_events(events, gap_s=HOUR, val_share=0.2)
        return
    got = split_events(events, gap_s=HOUR, val_share=0.2)
    assert "".join("V" if got[e.event_id] is Split.VAL else "T" for e in events) == sides


def test_export_writes_dataset_clips_and_manifest(store: EventStore, tmp_path: Path) -> None:
    ids = [
        add(store, "cam-a", T0, CORRECTED),
        add(store, "cam-a", T0 + 60, WRONG, frames=3),
        add(store, "cam-a", T0 + 5 * HOUR, CONFIRM),
        add(store, "cam-b", T0 + 30, WRONG),  # not at T0: a tie would be ordered by random ids
        add(store, "cam-b", T0 + 5 * HOUR, None),  # no verdict: not exported
    ]
    out = tmp_path / "site"
    manifest = export_dataset(store, SETTINGS, ExportOptions(out=out, gap_s=HOUR))
    assert [e.event_id for e in manifest.events] == [ids[0], ids[3], ids[1], ids[2]]
    assert {e.event_id: e.split for e in manifest.events} == {
        ids[0]: Split.TRAIN, ids[1]: Split.TRAIN, ids[2]: Split.VAL, ids[3]: Split.TRAIN
    }  # fmt: skip
    assert manifest.images == {"train": 5, "val": 1}
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data["names"] == {0: "ebike", 1: "bicycle", 2: "person", 3: "cable"}
    rows = read_yolo(out / "labels" / "train" / "cam-a_20270115T080000.000Z_0.txt", 1, 1)
    assert [(c, [round(v, 3) for v in box]) for c, box in rows] == [
        (0, [0.1, 0.2, 0.3, 0.4]), (2, [0.5, 0.1, 0.7, 0.9])
    ]  # fmt: skip
    assert (out / "labels" / "train" / "cam-a_20270115T080100.000Z_2.txt").read_text() == ""
    clips = find_clips(out / "clips")  # stairwatch eval reads them as they are
    assert len(clips) == 4
    truth = {c.video.stem: [e.type for e in c.sidecar.events] for c in clips}
    assert truth[ids[1]] == [] and truth[ids[2]] == [EventType.EBIKE_PARKED]
    sidecar = clips[0].sidecar
    assert sidecar.camera.id in ("cam-a", "cam-b")
    assert sidecar.zone_params(SETTINGS.rules)["landing"].ebike_parked.dwell_s == 2.0
    assert [c.video.stem for c in find_clips(out / "clips-val")] == [ids[2]]
    saved = json.loads((out / "manifest.json").read_text())
    assert saved["events"][0]["images"] == ["images/train/cam-a_20270115T080000.000Z_0.jpg"]


def dataset_files(out: Path) -> dict[str, bytes]:
    """Every file of an exported dataset's images and labels, by path, in name order."""
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.parts[-3] in ("images", "labels"))
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in files}


def test_the_same_events_always_give_the_same_dataset(tmp_path: Path) -> None:
    """Image names come from camera and alert time, never from the random event ids, so the
    order a trainer reads them in is the same however the events' ids fell."""
    exported = []
    for run in ("first", "second"):
        store = EventStore.open(f"sqlite:///{tmp_path / run}.db", tmp_path / run / "media")
        try:
            add(store, "cam-b", T0 + 30, WRONG)
            add(store, "cam-a", T0 + 60, WRONG, frames=2)
            add(store, "cam-a", T0, CORRECTED)
            add(store, "cam-a", T0 + 5 * HOUR, CONFIRM)
            export_dataset(store, SETTINGS, ExportOptions(out=tmp_path / run / "out", gap_s=HOUR))
        finally:
            store.close()
        exported.append(dataset_files(tmp_path / run / "out"))
    assert exported[0] == exported[1]
    assert [name for name in exported[0] if name.startswith("images/")] == [
        "images/train/cam-a_20270115T080000.000Z_0.jpg",
        "images/train/cam-a_20270115T080100.000Z_0.jpg",
        "images/train/cam-a_20270115T080100.000Z_1.jpg",
        "images/train/cam-b_20270115T080030.000Z_0.jpg",
        "images/val/cam-a_20270115T130000.000Z_0.jpg",
    ]


PARKED, WIRE = EventType.EBIKE_PARKED, EventType.FLYING_WIRE


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([("cam-a", T0 + 0.0004, PARKED)], ["cam-a_20270115T080000.000Z"]),
        ([("cam-a", T0 + 59.9996, PARKED)], ["cam-a_20270115T080100.000Z"]),  # to the ms
        # Two events of a camera at one time: told apart by type, whatever their ids.
        ([("cam-a", T0, WIRE), ("cam-a", T0, PARKED)],
         ["cam-a_20270115T080000.000Z-2", "cam-a_20270115T080000.000Z"]),
        ([("cam-b", T0, PARKED), ("cam-a", T0, PARKED)],
         ["cam-b_20270115T080000.000Z", "cam-a_20270115T080000.000Z"]),
    ],
)  # fmt: skip
def test_image_stems_name_camera_and_time(
    store: EventStore, events: list[tuple[str, float, EventType]], expected: list[str]
) -> None:
    stored = [
        store.record_raised(
            parked_record(f"k{i}", camera, "landing", at, kind), CameraInfo(camera, camera), JPEG
        )
        for i, (camera, at, kind) in enumerate(events)
    ]
    stems = image_stems(stored)
    assert [stems[e.id] for e in stored] == expected


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cameras", "cam-z"], "unknown camera cam-z"),
        (["--since", "yesterday"], "--since 'yesterday'"),
        (["--since", "2100-01-01"], "no reviewed event since 2100-01-01"),
        (["--out-exists"], "not an empty folder"),
    ],
)
def test_bad_input_is_named(
    store: EventStore,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    add(store, "cam-a", T0, CONFIRM)
    config = tmp_path / "site.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "cameras": [{"id": "cam-a", "source": "x.mp4"}],
                "storage": {
                    "data_dir": str(tmp_path),
                    "database_url": f"sqlite:///{tmp_path / 'events.db'}",
                },
            }
        )
    )
    out = tmp_path / "out"
    if argv == ["--out-exists"]:
        out.mkdir()
        (out / "keep.txt").write_text("mine")
        argv = []
    code = main(["dataset", "export", "--config", str(config), "--out", str(out), *argv])
    assert code == 2
    assert message in capsys.readouterr().err
