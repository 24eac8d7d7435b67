"""``stairwatch eval`` end to end: generated clips and sidecars, a tiny real ONNX model on
onnxruntime, the service's pipeline; and YOLOX-Nano from ../shared when it is there."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from stairwatch.cli import main
from tests.onnx_models import ultralytics_constant_model

SHARED = Path(__file__).resolve().parents[2] / "shared"
FRAME_W, FRAME_H = 160, 120
INPUT = 64
# The object every frame holds, in frame pixels: resting on the landing (lower half).
OBJECT_XYXY = (50.0, 60.0, 110.0, 115.0)
LANDING = [[0.0, 0.5], [1.0, 0.5], [1.0, 1.0], [0.0, 1.0]]


def _input_box() -> list[float]:
    """OBJECT_XYXY as cx, cy, w, h in the model's 64x64 letterboxed input (padding centred)."""
    scale = INPUT / max(FRAME_W, FRAME_H)
    pad_y = (INPUT - FRAME_H * scale) / 2
    x1, y1, x2, y2 = OBJECT_XYXY
    return [
        (x1 + x2) / 2 * scale,
        (y1 + y2) / 2 * scale + pad_y,
        (x2 - x1) * scale,
        (y2 - y1) * scale,
    ]


def build_constant_model(path: Path, class_names: tuple[str, ...]) -> Path:
    """An Ultralytics-layout model whose one anchor is always OBJECT_XYXY of class 0 at 0.9."""
    cx, cy, w, h = _input_box()
    box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    return ultralytics_constant_model(
        path, [box], [0], [0.9], class_names, input_size=(INPUT, INPUT), anchors=1
    )


def write_clip(path: Path, seconds: float, fps: float = 10.0) -> Path:
    """A clip of a grey room with a dark block where the model 'sees' its object."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (FRAME_W, FRAME_H))
    x1, y1, x2, y2 = (int(v) for v in OBJECT_XYXY)
    for i in range(round(seconds * fps)):
        image = np.full((FRAME_H, FRAME_W, 3), 150, np.uint8)
        image[y1:y2, x1:x2] = 40
        cv2.putText(image, str(i), (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1)
        writer.write(image)
    writer.release()
    return path


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def parked_sidecar(seconds: float) -> dict[str, Any]:
    box = [v / s for v, s in zip(OBJECT_XYXY, (FRAME_W, FRAME_H, FRAME_W, FRAME_H), strict=True)]
    return {
        "camera": {"kind": "stairwell"},
        "zones": [{"name": "landing", "kind": "no_parking", "polygon": LANDING}],
        "rules": {"ebike_parked": {"dwell_s": 2}},
        "events": [{"type": "ebike_parked", "zone": "landing", "start_s": 0.0, "end_s": seconds}],
        "boxes": [
            {"t": 1.0, "label": "ebike", "xyxy": box},
            {"t": 3.0, "label": "ebike", "xyxy": box},
        ],
    }


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_constant_model(tmp_path_factory.mktemp("model") / "tiny.onnx", ("ebike", "person"))


@pytest.fixture
def clips_dir(tmp_path: Path) -> Path:
    clips = tmp_path / "clips"
    clips.mkdir()
    write_clip(clips / "stairwell_parked.mp4", 8.0)
    write_json(clips / "stairwell_parked.json", parked_sidecar(8.0))
    write_clip(clips / "hall_negative.mp4", 4.0)  # no zones: nothing can fire
    write_json(clips / "hall_negative.json", {"events": []})
    return clips


def run_eval(*args: str | Path) -> int:
    return main(["eval", *(str(a) for a in args), "--no-progress"])


SHAPE_KEYS = {
    "clips", "duration_s", "model", "overall", "per_type", "false_alarms_per_hour",
    "per_clip", "frames", "speed",
}  # fmt: skip


def test_end_to_end_json_and_report(
    tiny_model: Path, clips_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, report = tmp_path / "out" / "eval.json", tmp_path / "out" / "eval.html"
    code = run_eval(clips_dir, "--model", tiny_model, "--json", out, "--report", report)
    printed = capsys.readouterr().out
    assert code == 0
    assert "ebike_parked" in printed and "stairwell_parked.mp4" in printed

    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) >= SHAPE_KEYS
    assert data["clips"] == 2
    assert data["duration_s"] == pytest.approx(12.0, abs=0.2)
    assert data["model"] == str(tiny_model)
    assert {k: data["overall"][k] for k in ("tp", "fp", "fn")} == {"tp": 1, "fp": 0, "fn": 0}
    assert data["overall"]["precision"] == data["overall"]["recall"] == data["overall"]["f1"] == 1.0
    parked = data["per_type"]["ebike_parked"]
    assert parked["tp"] == 1
    # Truth starts at 0 with dwell 2 s: the alert comes a few frames later at 2 fps.
    assert 0.0 <= parked["latency_s"]["mean"] <= 3.0
    assert data["per_type"]["flying_wire"]["precision"] is None
    assert data["false_alarms_per_hour"] == 0.0
    by_clip = {c["clip"]: c for c in data["per_clip"]}
    assert by_clip["hall_negative.mp4"]["predicted"] == []
    predicted = by_clip["stairwell_parked.mp4"]["predicted"]
    assert [(p["type"], p["zone"]) for p in predicted] == [("ebike_parked", "landing")]
    assert 2.0 <= predicted[0]["alert_s"] <= 5.0
    assert by_clip["stairwell_parked.mp4"]["truth"][0]["start_s"] == 0.0
    assert data["frames"]["map50"] == pytest.approx(1.0, abs=0.02)
    assert data["frames"]["per_class_ap50"] == {"ebike": pytest.approx(1.0, abs=0.02)}
    assert data["speed"]["frames"] == 24  # 8 s + 4 s at 2 fps
    assert data["speed"]["x_realtime"] > 0

    html = report.read_text(encoding="utf-8")
    for section in (
        "per-type",
        "latency",
        "timeline",
        "false-alarms",
        "misses",
        "per-clip",
        "frames",
    ):
        assert f'id="{section}"' in html


def test_clips_at_once_give_the_same_result(
    tiny_model: Path, clips_dir: Path, tmp_path: Path
) -> None:
    write_clip(clips_dir / "corridor_parked.mp4", 5.0)
    write_json(clips_dir / "corridor_parked.json", parked_sidecar(5.0))
    results = []
    for workers in ("1", "3"):
        out = tmp_path / f"w{workers}.json"
        assert run_eval(clips_dir, "--model", tiny_model, "--workers", workers, "--json", out) == 0
        data = json.loads(out.read_text(encoding="utf-8"))
        assert data.pop("speed")["frames"] == 34  # 8 + 4 + 5 s at 2 fps
        results.append(data)
    assert results[0] == results[1]
    assert [c["clip"] for c in results[0]["per_clip"]] == [
        "corridor_parked.mp4",
        "hall_negative.mp4",
        "stairwell_parked.mp4",
    ]


def test_false_alarm_and_miss_are_counted(
    tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Truth labelled in the wrong zone: the alert in the landing is a false alarm and the
    labelled event a miss; --map makes a model class named 'motorbike' our ebike."""
    model = build_constant_model(tmp_path / "moto.onnx", ("motorbike", "person"))
    clips = tmp_path / "clips"
    clips.mkdir()
    write_clip(clips / "c.mp4", 6.0)
    sidecar = parked_sidecar(6.0)
    sidecar["zones"].append(
        {"name": "door", "kind": "no_parking", "polygon": [[0, 0], [0.2, 0], [0.2, 0.2]]}
    )
    sidecar["events"][0]["zone"] = "door"
    write_json(clips / "c.json", sidecar)
    out, report = tmp_path / "r.json", tmp_path / "r.html"
    args = (clips, "--model", model, "--map", "ebike=motorbike", "--json", out, "--report", report)
    assert run_eval(*args) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {k: data["overall"][k] for k in ("tp", "fp", "fn")} == {"tp": 0, "fp": 1, "fn": 1}
    assert data["overall"]["precision"] == 0.0 and data["overall"]["f1"] == 0.0
    assert data["false_alarms_per_hour"] == pytest.approx(600.0, rel=0.02)
    html = report.read_text(encoding="utf-8")
    assert html.count("data:image/jpeg;base64,") == 2  # one false alarm, one miss


def test_without_map_the_model_class_is_ignored(tiny_model: Path, tmp_path: Path) -> None:
    model = build_constant_model(tmp_path / "moto.onnx", ("motorbike", "person"))
    clips = tmp_path / "clips"
    clips.mkdir()
    write_clip(clips / "c.mp4", 4.0)
    write_json(clips / "c.json", parked_sidecar(4.0))
    out = tmp_path / "r.json"
    assert run_eval(clips, "--model", model, "--json", out) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert (data["overall"]["tp"], data["overall"]["fn"]) == (0, 1)
    assert data["overall"]["precision"] is None  # nothing predicted


def test_config_supplies_model_and_global_rules(tiny_model: Path, tmp_path: Path) -> None:
    """Global dwell from --config (no sidecar override) sets when the rule fires and the
    expected delay latency is measured against."""
    clips = tmp_path / "clips"
    clips.mkdir()
    write_clip(clips / "c.mp4", 8.0)
    sidecar = parked_sidecar(8.0)
    del sidecar["rules"]
    write_json(clips / "c.json", sidecar)
    config = tmp_path / "stairwatch.yaml"
    config.write_text(
        "cameras:\n  - id: cam1\n    source: c.mp4\n"
        f"model:\n  path: {tiny_model}\n"
        "rules:\n  ebike_parked:\n    dwell_s: 4\n",
        encoding="utf-8",
    )
    out = tmp_path / "r.json"
    assert run_eval(clips, "--config", config, "--json", out) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["model"] == str(tiny_model)
    (alert,) = data["per_clip"][0]["predicted"]
    assert 4.0 <= alert["alert_s"] <= 7.0
    assert alert["latency_s"] == pytest.approx(alert["alert_s"] - 4.0)


def _bad_sidecar(clips: Path) -> str:
    write_clip(clips / "x.mp4", 1.0)
    write_json(
        clips / "x.json", {"events": [{"type": "ebike_parked", "start_s": 5, "end_s": "soon"}]}
    )
    return r"x\.json: events\[0\]\.end_s"


def _unreadable_clip(clips: Path) -> str:
    (clips / "broken.mp4").write_bytes(b"this is not a video")
    write_json(clips / "broken.json", {"events": []})
    return r"broken\.mp4"


def _no_sidecar(clips: Path) -> str:
    write_clip(clips / "x.mp4", 1.0)
    return "no clip with a sidecar"


@pytest.mark.parametrize(
    ("make", "extra", "message"),
    [
        pytest.param(_bad_sidecar, (), None, id="invalid-sidecar"),
        pytest.param(_unreadable_clip, (), None, id="unreadable-clip"),
        pytest.param(_no_sidecar, (), None, id="no-sidecar"),
        pytest.param(None, ("--map", "car=motorbike"), "unknown kind 'car'", id="bad-map-kind"),
        pytest.param(None, ("--map", "ebike"), "expected KIND=NAME", id="bad-map-form"),
        pytest.param(None, ("--detect-fps", "0"), "--detect-fps must be > 0", id="bad-fps"),
        pytest.param(None, ("--workers", "0"), r"--workers must be in \[1, 64\]", id="workers"),
    ],
)
def test_errors_exit_nonzero_with_a_clear_message(
    tiny_model: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Any,
    extra: tuple[str, ...],
    message: str | None,
) -> None:
    clips = tmp_path / "clips"
    clips.mkdir()
    pattern = make(clips) if make is not None else message
    if make is None:
        write_clip(clips / "ok.mp4", 1.0)
        write_json(clips / "ok.json", {"events": []})
    assert run_eval(clips, "--model", tiny_model, *extra) == 2
    err = capsys.readouterr().err
    assert pattern is not None
    assert re.search(pattern, err), err


def test_missing_model_is_a_clear_error(
    clips_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_eval(clips_dir, "--model", tmp_path / "nope.onnx") == 2
    assert "nope.onnx" in capsys.readouterr().err


@pytest.mark.shared
def test_yolox_nano_with_map_on_a_real_motorbike(tmp_path: Path) -> None:
    """YOLOX-Nano (COCO) sees the parked motorbike of a COCO photo held still for 4 s as an
    e-bike with --map ebike=motorbike; the rules raise ebike_parked on it."""
    model, labels = SHARED / "models" / "yolox_nano.onnx", SHARED / "models" / "coco80.txt"
    photo = SHARED / "images" / "coco" / "000000007816.jpg"
    if not (model.is_file() and labels.is_file() and photo.is_file()):
        pytest.skip("../shared models or images are absent")
    image = cv2.imread(str(photo))
    assert image is not None
    clips = tmp_path / "clips"
    clips.mkdir()
    h, w = image.shape[:2]
    writer = cv2.VideoWriter(str(clips / "moto.mp4"), cv2.VideoWriter.fourcc(*"mp4v"), 5.0, (w, h))
    for _ in range(20):
        writer.write(image)
    writer.release()
    whole = [[0, 0], [1, 0], [1, 1], [0, 1]]
    write_json(
        clips / "moto.json",
        {
            "zones": [{"name": "all", "kind": "no_parking", "polygon": whole}],
            "rules": {"ebike_parked": {"dwell_s": 1}},
            "events": [{"type": "ebike_parked", "zone": "all", "start_s": 0, "end_s": 4}],
        },
    )
    out = tmp_path / "r.json"
    code = run_eval(
        clips, "--model", model, "--labels", labels, "--map", "ebike=motorbike", "--json", out
    )
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["overall"]["tp"] == 1
    assert data["frames"] is None
