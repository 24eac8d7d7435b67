"""The whole teach loop (issue 15, item 6) on real processes and components, tiny.

A stairwell camera where the bundled model mistakes a parked bicycle for an e-bike: the real
service (``stairwatch run``, a subprocess) watches the site's footage and raises events; an
operator's verdicts go to its dashboard API over HTTP (the bicycle alerts are false alarms with
the box corrected to ``bicycle``, the e-bikes confirmed); ``stairwatch dataset export`` makes a
dataset; ``stairwatch train`` fine-tunes the bundled weights for a handful of CPU steps with a
slice of base data replayed; ``stairwatch eval`` on held-out clips of the same camera shows the
fine-tuned model raises fewer false alarms and still finds the e-bikes; ``stairwatch model
promote`` takes it, and refuses to go back to the worse model.

The footage is rendered by the model lab (a stairwell, the same background in every clip);
nothing is mocked.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import httpx
import pytest
import yaml

from lab.synth.yolo_labels import yolo_line
from stairwatch.assets import default_model_path, sample_videos_dir
from stairwatch.evaluation.sidecar import load_sidecar
from tests.web import free_port
from vision.kinds import KIND_NAMES

pytest.importorskip("ultralytics", reason="the 'train' extra is not installed")
pytestmark = pytest.mark.slow

CAMERA = "stair-4f"
LANDING_RULES = {"ebike_parked": {"dwell_s": 2.0, "clear_after_s": 1.5}}
# (kind, u, v, yaw): where each object stands on the landing (floor coordinates of the scene)
FIRST_WEEK = [("ebike", 0.66, 0.3, 20.0), ("bicycle", 0.66, 0.3, 20.0),
              ("ebike", 0.7, 0.25, 50.0), ("bicycle", 0.6, 0.35, 20.0)]  # fmt: skip
HELD_OUT = [("bicycle", 0.7, 0.25, 50.0), ("bicycle", 0.55, 0.4, 0.0),
            ("ebike", 0.6, 0.35, 20.0), ("ebike", 0.55, 0.4, 0.0)]  # fmt: skip
SHOW_S, GAP_S = 6.0, 5.0  # each object stands this long, then the landing is empty this long


def storyboard(objects: list[tuple[str, float, float, float]]) -> Any:
    """One after the other, each object parked on the landing for SHOW_S seconds."""
    from alerts.params import RuleParamsOverride
    from lab.synth.scenes import SceneKind
    from lab.synth.specs import EbikeBody
    from lab.synth.storyboard import (
        Actor,
        ActorKind,
        FloorArea,
        Storyboard,
        Waypoint,
        ZonePlan,
        clip_camera,
    )
    from vision.zones import ZoneKind

    actors = []
    for i, (kind, u, v, yaw) in enumerate(objects):
        t0 = i * (SHOW_S + GAP_S)
        ebike = kind == "ebike"
        actors.append(
            Actor(
                f"{kind}{i}",
                ActorKind.EBIKE if ebike else ActorKind.BICYCLE,
                (Waypoint(t0, u, v), Waypoint(t0 + SHOW_S, u, v)),
                yaw_deg=yaw,
                look_seed=2 if ebike else 1,  # look 1: the bicycle the bundled model gets wrong
                body=EbikeBody.SCOOTER if ebike else None,
            )
        )
    return Storyboard(
        scene=SceneKind.STAIRWELL,
        scene_seed=19,
        duration_s=len(objects) * (SHOW_S + GAP_S),
        camera=clip_camera(lens=0.3, noise_sigma=2.5),
        actors=tuple(actors),
        pushes=(),
        zones=(ZonePlan("landing", ZoneKind.NO_PARKING, FloorArea(-0.1, 1.1, -0.02, 1.6)),),
        rules=RuleParamsOverride.model_validate(LANDING_RULES),
        clock_start=500 * 86400,
        camera_label="4F",
    )


def render(objects: list[tuple[str, float, float, float]], video: Path, seed: int) -> Any:
    from lab.synth.clips import render_clip, write_sidecar

    sidecar = render_clip(storyboard(objects), video, 8, (320, 180), seed)
    sidecar = sidecar.model_copy(
        update={"camera": sidecar.camera.model_copy(update={"id": CAMERA})}
    )
    write_sidecar(sidecar, video.with_suffix(".json"))
    return sidecar


def held_out_clips(folder: Path) -> Path:
    """Later footage of the same camera, one object a clip."""
    folder.mkdir()
    for i, obj in enumerate(HELD_OUT):
        render([obj], folder / f"later_{i}_{obj[0]}.mp4", seed=1 if obj[0] == "bicycle" else 2)
    return folder


def base_dataset(folder: Path) -> Path:
    """A slice of base training data to replay: frames of the bundled sample clips with their
    true boxes (the real base data is the model lab's, too big for a test)."""
    for side in ("train", "val"):
        (folder / "images" / side).mkdir(parents=True)
        (folder / "labels" / side).mkdir(parents=True)
    index = 0
    for name in ("stairwell_parked", "elevator_entry", "corridor_passing"):
        video = sample_videos_dir() / f"{name}.mp4"
        frames = load_sidecar(video.with_suffix(".json")).labelled_frames()
        capture = cv2.VideoCapture(str(video))
        for t in list(frames)[::6][:3]:
            capture.set(cv2.CAP_PROP_POS_MSEC, t * 1000)
            ok, image = capture.read()
            assert ok
            side = "val" if index % 4 == 3 else "train"
            cv2.imwrite(str(folder / "images" / side / f"{index}.jpg"), image)
            rows = [yolo_line(KIND_NAMES.index(b.label.value), b.xyxy, 1, 1) for b in frames[t]]
            (folder / "labels" / side / f"{index}.txt").write_text("".join(rows))
            index += 1
    names = dict(enumerate(KIND_NAMES))
    data = {"path": ".", "train": "images/train", "val": "images/val", "names": names}
    (folder / "data.yaml").write_text(yaml.safe_dump(data))
    return folder / "data.yaml"


def stairwatch(*args: str | Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "stairwatch", *(str(a) for a in args)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done


def site_config(folder: Path, video: Path, port: int) -> Path:
    model = folder / "site-model.onnx"  # the site's own copy: promote replaces it
    model.write_bytes(default_model_path().read_bytes())
    sidecar = load_sidecar(video.with_suffix(".json"))
    config = {
        "cameras": [
            {
                "id": CAMERA,
                "name": "4F stairs",
                "source": str(video),
                "zones": [z.model_dump(mode="json", exclude_none=True) for z in sidecar.zones],
                "rules": LANDING_RULES,
            }
        ],
        "model": {"path": str(model)},
        "storage": {"data_dir": str(folder / "data")},
        "server": {"host": "127.0.0.1", "port": port},
    }
    path = folder / "site.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def object_boxes(sidecar: Any) -> list[list[float]]:
    """Where each object of the footage stands (normalized xyxy), in their order."""
    boxes = {round(b.t): list(b.xyxy) for b in sidecar.boxes}
    return [boxes[round(i * (SHOW_S + GAP_S) + SHOW_S / 2)] for i in range(len(FIRST_WEEK))]


def review_events_while_running(config: Path, port: int, sidecar: Any) -> list[str]:
    """Run the service on the footage; once its events are in, give every one a verdict
    through its dashboard API, as the operator looking at the snapshots would: an event is of
    the object standing there when it was raised. Returns the verdicts, in alert order."""
    command = [sys.executable, "-m", "stairwatch", "run", "--config", str(config)]
    proc = subprocess.Popen([*command, "--duration", "50"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    verdicts = []
    try:
        events = _events_of_every_object(proc, base)
        first = events[0]["alert_ts"]
        boxes = object_boxes(sidecar)
        for event in events:
            index = round((event["alert_ts"] - first) / (SHOW_S + GAP_S))
            body: dict[str, Any] = {"actor": "wang", "verdict": "confirmed"}
            if FIRST_WEEK[index][0] == "bicycle":  # the operator corrects the box: a bicycle
                body = {"actor": "wang", "verdict": "false_alarm", "reason": "bicycle",
                        "boxes": [{"label": "bicycle", "xyxy": boxes[index]}]}  # fmt: skip
            response = httpx.post(f"{base}/api/events/{event['id']}/review", json=body, timeout=10)
            assert response.status_code == 200, response.text
            verdicts.append(body["verdict"])
        output = proc.communicate(timeout=120)[0]  # runs to its end: every clip is filed
        assert proc.returncode == 0, output
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    return verdicts


def _events_of_every_object(proc: subprocess.Popen[str], base: str) -> list[dict[str, Any]]:
    """The service's ``ebike_parked`` events, oldest first, once the last object has one."""
    last = (len(FIRST_WEEK) - 1) * (SHOW_S + GAP_S)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        time.sleep(1)
        try:
            found = httpx.get(f"{base}/api/events?limit=50", timeout=5).json()
        except httpx.HTTPError:
            continue
        events = sorted((e for e in found if e["type"] == "ebike_parked"),
                        key=lambda e: e["alert_ts"])  # fmt: skip
        if events and events[-1]["alert_ts"] - events[0]["alert_ts"] > last - GAP_S:
            return events
    raise AssertionError("the service raised no event for the last object")


def scores(result_json: Path) -> tuple[int, int, float]:
    """Events found, false alarms, and the frame mAP50 of a ``stairwatch eval --json``."""
    result = json.loads(result_json.read_text())
    return result["overall"]["tp"], result["overall"]["fp"], result["frames"]["map50"]


def test_verdicts_fine_tune_a_model_that_errs_less_and_only_a_better_one_is_promoted(
    tmp_path: Path,
) -> None:
    footage = tmp_path / "first-week.mp4"
    sidecar = render(FIRST_WEEK, footage, seed=1)
    port = free_port()
    config = site_config(tmp_path, footage, port)
    verdicts = review_events_while_running(config, port, sidecar)
    assert set(verdicts) == {"confirmed", "false_alarm"}  # one event an object, usually

    site = tmp_path / "site-data"
    stairwatch("dataset", "export", "--config", config, "--out", site, "--gap-minutes", "0.05")
    manifest = json.loads((site / "manifest.json").read_text())
    assert manifest["images"]["train"] >= 3 and manifest["images"]["val"] >= 1
    assert len(list((site / "clips").glob("*.json"))) == len(verdicts)  # a sidecar each

    run = tmp_path / "run"
    stairwatch(
        "train", "--model", Path(default_model_path()).with_suffix(".pt"), "--data",
        site / "data.yaml", "--replay", base_dataset(tmp_path / "base"), *TINY_RUN, "--out", run,
    )  # fmt: skip
    tuned = tmp_path / "site-tuned.onnx"
    stairwatch("export", run / "weights" / "last.pt", "--out", tuned, "--imgsz", "320")

    later = held_out_clips(tmp_path / "later")
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    stairwatch("eval", later, "--config", config, "--json", before, "--no-progress")
    stairwatch(
        "eval", later, "--config", config, "--model", tuned, "--json", after, "--no-progress"
    )
    (tp0, fp0, map0), (tp1, fp1, map1) = scores(before), scores(after)
    assert (tp0, fp0) == (2, 2)  # the bundled model: both bicycles are "e-bikes"
    # A handful of steps: the bicycles are now found as bicycles (frame mAP50 up, their e-bike
    # score down but not yet under the threshold in this tiny run), no e-bike is lost.
    assert map1 > map0 and tp1 >= tp0 and fp1 <= fp0, f"before {before.read_text()}"

    promoted = stairwatch("model", "promote", tuned, "--config", config, "--clips", later,
                          "--no-progress")  # fmt: skip
    assert "promoted" in promoted.stdout
    previous = tmp_path / "site-model.previous.onnx"
    back = subprocess.run(
        [sys.executable, "-m", "stairwatch", "model", "promote", str(previous), "--config",
         str(config), "--clips", str(later), "--no-progress"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert back.returncode == 1 and "refused, the new model is worse" in back.stderr, back.stderr
    assert (tmp_path / "site-model.onnx").read_bytes() == tuned.read_bytes()


# A tiny fine-tune: a handful of CPU steps. It needs a higher learning rate than the default
# (made for hundreds of images) to move at all in so few steps; the backbone stays frozen.
TINY_RUN = (
    *("--epochs", "5", "--batch", "2", "--imgsz", "320", "--workers", "0", "--no-plots"),
    *("--optimizer", "SGD", "--lr0", "0.02"),
)
