"""Switching models (issue 15, item 5): ``stairwatch model promote`` measures the new model
against the running one on the site's clips (real onnxruntime on tiny models, real eval),
refuses a worse one, keeps the replaced one for ``rollback``, logs both; the running service's
detector follows the file between calls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from alerts.access_log import AccessAction
from alerts.store import EventStore
from stairwatch.cli import main
from stairwatch.evaluation.metrics import scores
from stairwatch.runtime.model_reload import ReloadingDetector
from stairwatch.teach.promote import worse_reason
from tests.onnx_models import ultralytics_constant_model
from tests.test_eval_cli import build_constant_model, parked_sidecar, write_clip, write_json
from vision.detector import load_detector

NAMES = ("ebike", "bicycle", "person", "cable")


def blind_model(path: Path, names: tuple[str, ...] = NAMES) -> Path:
    """Sees nothing: its one box scores 0.01."""
    return ultralytics_constant_model(
        path, [(0, 0, 8, 8)], [0], [0.01], names, input_size=(64, 64), anchors=1
    )


@pytest.mark.parametrize(
    ("new", "old", "maps", "worse"),
    [
        ((3, 0, 0), (2, 0, 1), (0.1, 0.9), False),  # events first
        ((2, 0, 1), (3, 0, 0), (0.9, 0.1), True),
        ((3, 1, 0), (3, 0, 0), (None, None), True),
        ((0, 0, 0), (0, 0, 0), (None, None), False),  # nothing to find, nothing raised: equal
        ((0, 1, 0), (0, 0, 0), (None, None), True),  # a false alarm on negative clips only
        ((2, 2, 0), (2, 2, 0), (0.5, 0.6), True),  # the same events: frame mAP50 decides
        ((2, 2, 0), (2, 2, 0), (0.6, 0.5), False),
        ((2, 2, 0), (2, 2, 0), (None, 0.6), False),  # no boxed frames: nothing to tell
    ],
)
def test_worse_means_lower_f1_more_false_alarms_or_else_lower_map(
    new: tuple[int, int, int],
    old: tuple[int, int, int],
    maps: tuple[float | None, float | None],
    worse: bool,
) -> None:
    assert (worse_reason(scores(*new), scores(*old), *maps) is not None) is worse


@pytest.fixture
def site(tmp_path: Path) -> Path:
    clips = tmp_path / "clips"
    clips.mkdir()
    write_clip(clips / "landing.mp4", 6.0)
    write_json(clips / "landing.json", parked_sidecar(6.0))
    build_constant_model(tmp_path / "seeing.onnx", NAMES)
    blind_model(tmp_path / "blind.onnx")
    (tmp_path / "site.onnx").write_bytes((tmp_path / "seeing.onnx").read_bytes())
    config = tmp_path / "site.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "cameras": [{"id": "cam-a", "source": "x.mp4"}],
                "model": {"path": "site.onnx", "site_clips": "clips"},
                "storage": {"data_dir": "data"},
            }
        )
    )
    return config


def promote(config: Path, new: Path, *more: str) -> int:
    return main(["model", "promote", str(new), "--config", str(config), "--no-progress", *more])


def logged(config: Path) -> list[tuple[AccessAction, str | None]]:
    data = config.parent / "data"
    store = EventStore.open(f"sqlite:///{data / 'stairwatch.db'}", data / "media")
    try:
        return [(e.action, e.target) for e in reversed(store.access.entries())]
    finally:
        store.close()


def test_a_worse_model_is_refused_a_better_one_promoted_and_rolled_back(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = site.parent
    seeing, blind = (folder / "seeing.onnx").read_bytes(), (folder / "blind.onnx").read_bytes()
    assert promote(site, folder / "blind.onnx") == 1
    assert "refused, the new model is worse" in capsys.readouterr().err
    assert (folder / "site.onnx").read_bytes() == seeing
    assert promote(site, folder / "blind.onnx", "--force") == 0
    assert (folder / "site.onnx").read_bytes() == blind
    assert (folder / "site.previous.onnx").read_bytes() == seeing
    assert main(["model", "rollback", "--config", str(site)]) == 0
    assert (folder / "site.onnx").read_bytes() == seeing
    assert (folder / "site.previous.onnx").read_bytes() == blind
    assert logged(site) == [
        (AccessAction.MODEL_PROMOTED, "blind.onnx"),
        (AccessAction.MODEL_ROLLED_BACK, "site.onnx"),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("missing", "no such model file"),
        ("no_clips", "no site clips to measure"),
        ("other_classes", "names classes"),
        ("bundled", "is the bundled model"),
    ],
)
def test_promote_names_what_is_wrong(
    site: Path, capsys: pytest.CaptureFixture[str], change: str, message: str
) -> None:
    folder = site.parent
    config = yaml.safe_load(site.read_text())
    new = folder / "blind.onnx"
    if change == "missing":
        new = folder / "nope.onnx"
    elif change == "no_clips":
        del config["model"]["site_clips"]
    elif change == "other_classes":
        blind_model(new, ("ebike", "person"))
    else:
        config["model"]["path"] = str(Path(__file__).parents[1] / "models/stairwatch-default.onnx")
    site.write_text(yaml.safe_dump(config))
    before = (folder / "site.onnx").read_bytes()
    assert promote(site, new) == 2
    assert message in capsys.readouterr().err
    assert (folder / "site.onnx").read_bytes() == before


def test_rollback_without_a_previous_model_is_a_clear_error(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["model", "rollback", "--config", str(site)]) == 2
    assert "nothing to roll back to" in capsys.readouterr().err


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("replacement", "swapped"),
    [("seeing", True), ("other_classes", False), ("garbage", False)],
)
def test_running_detector_follows_its_file(tmp_path: Path, replacement: str, swapped: bool) -> None:
    path = blind_model(tmp_path / "site.onnx")
    clock = Clock()
    detector = ReloadingDetector(path, lambda p: load_detector(p, confidence=0.3), 2.0, clock)
    frame = np.full((120, 160, 3), 150, np.uint8)
    assert len(detector.detect([frame])[0]) == 0
    new = tmp_path / "new.onnx"
    if replacement == "seeing":
        build_constant_model(new, NAMES)
    elif replacement == "other_classes":
        build_constant_model(new, ("ebike", "person"))
    else:
        new.write_bytes(b"not a model")
    new.replace(path)
    assert len(detector.detect([frame])[0]) == 0  # not checked again before 2 s
    clock.now = 2.5
    assert len(detector.detect([frame])[0]) == (1 if swapped else 0)
    assert detector.reloads == int(swapped)
