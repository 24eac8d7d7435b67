"""Fine-tuning on a site's data (issue 15, item 4): base data replayed against forgetting, and
``stairwatch eval --model A --model B`` side by side per event type and camera."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lab.training.dataset import resolve_dataset
from lab.training.errors import DatasetError
from lab.training.replay import mix_replay, replay_spec
from stairwatch.cli import main
from tests.test_eval_cli import build_constant_model, parked_sidecar, write_clip, write_json
from tests.test_model_promote import NAMES, blind_model

KINDS = ["ebike", "bicycle", "person", "cable"]


def dataset(root: Path, images: int, names: list[str] = KINDS) -> Path:
    for side in ("train", "val"):
        (root / "images" / side).mkdir(parents=True)
        (root / "labels" / side).mkdir(parents=True)
        for i in range(images):
            (root / "images" / side / f"{i}.jpg").write_bytes(b"\xff\xd8\xff\xd9")
            (root / "labels" / side / f"{i}.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    data = {"path": ".", "train": "images/train", "val": "images/val", "names": names}
    (root / "data.yaml").write_text(yaml.safe_dump(data))
    return root / "data.yaml"


@pytest.mark.parametrize(("share", "replayed"), [(1.0, 3), (2.0, 6), (100.0, 10)])
def test_a_slice_of_the_base_data_is_mixed_in(tmp_path: Path, share: float, replayed: int) -> None:
    site = resolve_dataset(dataset(tmp_path / "site", 3))
    base = replay_spec(dataset(tmp_path / "base", 10).parent)
    mixed = yaml.safe_load(mix_replay(site, base, share, 0, tmp_path / "run").read_text())
    listed = Path(mixed["train"][0]).read_text().split()
    assert sum("/site/" in p for p in listed) == 3
    assert sum("/base/" in p for p in listed) == replayed
    assert mixed["val"] == [str(tmp_path / "site" / "images" / "val")]


def test_replay_with_other_classes_is_refused(tmp_path: Path) -> None:
    site = resolve_dataset(dataset(tmp_path / "site", 2))
    base = replay_spec(dataset(tmp_path / "base", 2, ["car", "person"]))
    with pytest.raises(DatasetError, match="differ from the site's"):
        mix_replay(site, base, 1.0, 0, tmp_path / "run")


def test_no_base_data_to_replay_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"no data\.yaml there"):
        replay_spec(tmp_path)


def test_eval_compares_models_per_type_and_camera(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clips = tmp_path / "clips"
    clips.mkdir()
    for camera in ("cam-a", "cam-b"):
        write_clip(clips / f"{camera}.mp4", 6.0)
        write_json(clips / f"{camera}.json", {**parked_sidecar(6.0), "camera": {"id": camera}})
    seeing = build_constant_model(tmp_path / "seeing.onnx", NAMES)
    blind = blind_model(tmp_path / "blind.onnx")
    argv = ["eval", str(clips), "--model", str(blind), "--model", str(seeing), "--no-progress"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "A: blind.onnx" in lines[0] and "B: seeing.onnx" in lines[0]
    table = {line.split()[0] + line.split()[1]: line for line in lines if line.startswith("camera")}
    for camera in ("cam-a", "cam-b"):  # tp fp fn recall f1, for A then B
        assert table[f"camera{camera}"].split()[2:] == (
            ["0", "0", "1", "0.000", "-", "|", "1", "0", "0", "1.000", "1.000"]
        )
    overall = next(line for line in lines if line.startswith("overall")).split()[1:]
    assert overall == ["0", "0", "2", "0.000", "-", "|", "2", "0", "0", "1.000", "1.000"]
