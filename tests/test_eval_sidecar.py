"""Ground-truth sidecars: validation names the file and the field; clips are paired by name."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from alerts.params import RuleParams
from stairwatch.evaluation.errors import EvaluationError, SidecarError
from stairwatch.evaluation.sidecar import find_clips, load_sidecar

VALID: dict[str, Any] = {
    "camera": {"kind": "stairwell"},
    "zones": [
        {
            "name": "landing",
            "kind": "no_parking",
            "polygon": [[0.05, 0.55], [0.95, 0.55], [0.95, 1.0], [0.05, 1.0]],
            "rules": {"ebike_parked": {"dwell_s": 5}},
        }
    ],
    "rules": {"ebike_parked": {"dwell_s": 30}},
    "events": [{"type": "ebike_parked", "zone": "landing", "start_s": 12.0, "end_s": 80.0}],
    "boxes": [{"t": 12.0, "label": "ebike", "xyxy": [0.31, 0.52, 0.58, 0.97]}],
}


def write(path: Path, data: Any) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_valid_sidecar_loads(tmp_path: Path) -> None:
    sidecar = load_sidecar(write(tmp_path / "a.json", VALID))
    assert [t.start_s for t in sidecar.truth()] == [12.0]
    assert sidecar.params(RuleParams()).ebike_parked.dwell_s == 30
    assert sidecar.zone_params(RuleParams())["landing"].ebike_parked.dwell_s == 5
    assert sidecar.to_zones()[0].name == "landing"


def test_negative_clip_and_defaults(tmp_path: Path) -> None:
    sidecar = load_sidecar(write(tmp_path / "n.json", {"events": []}))
    assert sidecar.truth() == [] and sidecar.boxes == [] and sidecar.zones == []


def _mutated(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("events", 0, "type"), "camera_offline", "events[0].type: must be one of"),
        (("events", 0, "type"), "bike_stolen", "events[0].type"),
        (("events", 0, "end_s"), 5.0, "events[0]: end_s (5.0) is before start_s"),
        (("events", 0, "start_s"), -1, "events[0].start_s"),
        (("events", 0, "zone"), "roof", "events[0].zone: no zone named 'roof'"),
        (("events", 0, "colour"), "red", "events[0].colour: unknown key"),
        (("events",), _DELETE, "events: required field is missing"),
        (("boxes", 0, "label"), "car", "boxes[0].label"),
        (
            ("boxes", 0, "xyxy"),
            [0.5, 0.5, 0.4, 0.9],
            "[0.5, 0.5, 0.4, 0.9] is empty",
        ),
        (("boxes", 0, "xyxy"), [10, 10, 200, 200], "boxes[0].xyxy: [10.0, 10.0, 200.0, 200.0] is"),
        (("zones", 0, "kind"), "garage", "zones[0].kind"),
        (("zones", 0, "polygon"), [[0, 0], [1, 1]], "zones[0].polygon: needs at least 3 points"),
        (("rules", "ebike_parked", "dwell_s"), 0, "rules.ebike_parked.dwell_s"),
        (("rules", "ebike_parkd"), {}, "rules.ebike_parkd: unknown key"),
        (("extra",), 1, "extra: unknown key"),
    ],
)
def test_invalid_sidecar_names_file_and_field(
    tmp_path: Path, path: tuple[Any, ...], value: Any, expected: str
) -> None:
    file = write(tmp_path / "clip.json", _mutated(path, value))
    with pytest.raises(SidecarError) as info:
        load_sidecar(file)
    assert info.value.path == str(file)
    assert str(file) in str(info.value)
    assert any(expected in p for p in info.value.problems), info.value.problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [("{not json", "not valid JSON"), ("[1, 2]", "expected an object")],
)
def test_unparseable_sidecar(tmp_path: Path, text: str, expected: str) -> None:
    file = write(tmp_path / "bad.json", text)
    with pytest.raises(SidecarError, match=expected) as info:
        load_sidecar(file)
    assert str(file) in str(info.value)


def test_find_clips_pairs_by_name(tmp_path: Path) -> None:
    (tmp_path / "b.mp4").write_bytes(b"")
    (tmp_path / "a.avi").write_bytes(b"")
    (tmp_path / "unlabelled.mp4").write_bytes(b"")
    write(tmp_path / "a.json", {"events": []})
    write(tmp_path / "b.json", VALID)
    write(tmp_path / "results.json", {"clips": 3})  # no video beside it: not a sidecar
    clips = find_clips(tmp_path)
    assert [c.name for c in clips] == ["a.avi", "b.mp4"]
    assert clips[1].sidecar_path == tmp_path / "b.json"


def test_find_clips_reports_invalid_sidecar(tmp_path: Path) -> None:
    (tmp_path / "x.mp4").write_bytes(b"")
    write(tmp_path / "x.json", {"events": [{"type": "flying_wire", "start_s": 1}]})
    with pytest.raises(SidecarError, match=r"x\.json: events\[0\]\.end_s: required field"):
        find_clips(tmp_path)


@pytest.mark.parametrize("make", ["empty", "only_video", "missing"])
def test_find_clips_without_sidecars(tmp_path: Path, make: str) -> None:
    clips_dir = tmp_path / "clips"
    if make != "missing":
        clips_dir.mkdir()
    if make == "only_video":
        (clips_dir / "x.mp4").write_bytes(b"")
    with pytest.raises(EvaluationError, match=r"no clip with a sidecar|not a directory"):
        find_clips(clips_dir)


@pytest.mark.parametrize(
    ("empty_frames", "expected"),
    [
        ([], {12.0: 1}),
        ([3.0, 12.0], {3.0: 0, 12.0: 1}),  # an empty time that also has boxes keeps them
        ([20.0, 1.5], {1.5: 0, 12.0: 1, 20.0: 0}),
    ],
)
def test_empty_frames_are_labelled_frames_without_boxes(
    tmp_path: Path, empty_frames: list[float], expected: dict[float, int]
) -> None:
    sidecar = load_sidecar(write(tmp_path / "a.json", {**VALID, "empty_frames": empty_frames}))
    frames = sidecar.labelled_frames()
    assert list(frames) == sorted(expected)
    assert {t: len(b) for t, b in frames.items()} == expected


def test_negative_empty_frame_time_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(SidecarError) as err:
        load_sidecar(write(tmp_path / "a.json", {**VALID, "empty_frames": [-1.0]}))
    assert "empty_frames" in "\n".join(err.value.problems)
