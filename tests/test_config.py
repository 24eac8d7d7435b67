"""Configuration validation and ``stairwatch check-config``."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import yaml

from stairwatch.cli import main
from stairwatch.config import ConfigError, load_settings, parse_settings, redact_url

REPO_ROOT = Path(__file__).resolve().parents[1]


def _valid() -> dict:
    return {
        "cameras": [
            {
                "id": "cam1",
                "source": "clip.mp4",
                "zones": [
                    {
                        "name": "landing",
                        "kind": "no_parking",
                        "polygon": [[0, 0.5], [1, 0.5], [1, 1]],
                    }
                ],
            }
        ],
        "model": {"path": "model.onnx"},
    }


def _write(tmp_path: Path, data: dict) -> Path:
    (tmp_path / "clip.mp4").write_bytes(b"\0")
    (tmp_path / "model.onnx").write_bytes(b"\0")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _broken(mutate) -> dict:
    data = _valid()
    mutate(data)
    return data


BROKEN = [
    (
        "missing camera id",
        lambda d: d["cameras"][0].pop("id"),
        "cameras[0].id: required field is missing",
    ),
    (
        "zone with two points",
        lambda d: d["cameras"][0]["zones"][0].update(polygon=[[0, 0], [1, 1]]),
        "cameras[0].zones[0].polygon: needs at least 3 points",
    ),
    (
        "unknown key",
        lambda d: d["cameras"][0].update(colour="red"),
        "cameras[0].colour: unknown key",
    ),
    (
        "polygon outside [0, 1]",
        lambda d: d["cameras"][0]["zones"][0].update(polygon=[[0, 0], [1.5, 0], [1, 1]]),
        "cameras[0].zones[0].polygon: point (1.5, 0.0) is outside [0, 1]",
    ),
    (
        "model file missing",
        lambda d: d["model"].update(path="nope.onnx"),
        "model.path: file does not exist",
    ),
    (
        "bad zone kind",
        lambda d: d["cameras"][0]["zones"][0].update(kind="garden"),
        "cameras[0].zones[0].kind",
    ),
    ("no cameras", lambda d: d.update(cameras=[]), "cameras: List should have at least 1 item"),
    (
        "duplicate camera ids",
        lambda d: d["cameras"].append(dict(d["cameras"][0])),
        "camera ids must be unique: cam1",
    ),
    (
        "track confidence above confidence",
        lambda d: d["model"].update(confidence=0.3, track_confidence=0.5),
        "model: track_confidence (0.5) must not exceed confidence (0.3)",
    ),
    (
        "negative dwell",
        lambda d: d.update(rules={"ebike_parked": {"dwell_s": -1}}),
        "rules.ebike_parked.dwell_s",
    ),
]


@pytest.mark.parametrize(("case", "mutate", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_check_config_names_each_problem(tmp_path, capsys, case, mutate, expected):
    path = _write(tmp_path, _broken(mutate))
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert str(path) in err


def test_check_config_ok(tmp_path, capsys):
    assert main(["check-config", str(_write(tmp_path, _valid()))]) == 0
    assert capsys.readouterr().out.strip() == "ok"


def test_check_config_reports_every_error_at_once(tmp_path, capsys):
    data = _broken(lambda d: (d["cameras"][0].pop("id"), d.update(bogus=1)))
    assert main(["check-config", str(_write(tmp_path, data))]) == 2
    err = capsys.readouterr().err
    assert "cameras[0].id" in err and "bogus: unknown key" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [("cameras: [", "not valid YAML"), ("- a\n- b\n", "expected a mapping")],
)
def test_unparseable_files(tmp_path, text, expected):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=expected):
        load_settings(path)


def test_example_config_passes(capsys):
    example = REPO_ROOT / "stairwatch.example.yaml"
    code = main(["check-config", str(example)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.strip() == "ok"


def test_example_notifications_uncommented_want_only_a_real_link_secret():
    """The commented notifications of the example are valid but for the placeholder
    ``link_secret``, which is refused: copying the example never yields a guessable secret."""
    text = (REPO_ROOT / "stairwatch.example.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    block = []
    for line in lines[lines.index("# notifications:") :]:
        if not line.startswith("#"):
            break
        block.append(line[2:])
    data = yaml.safe_load(text) | yaml.safe_load("\n".join(block))
    with pytest.raises(ConfigError) as caught:
        parse_settings(data, "example")
    (problem,) = caught.value.problems
    assert problem.startswith("notifications.link_secret: is a placeholder")
    assert "stairwatch gen-secret" in problem and "REPLACE-ME" not in problem
    data["notifications"]["link_secret"] = secrets.token_urlsafe(32)
    parse_settings(data, "example")


def test_relative_paths_resolve_from_config_folder(tmp_path):
    settings = load_settings(_write(tmp_path, _valid()))
    assert settings.model.path == tmp_path / "model.onnx"
    assert settings.cameras[0].source.get_secret_value() == str(tmp_path / "clip.mp4")


def test_zone_overrides_lay_over_camera_and_global_rules(tmp_path):
    data = _valid()
    data["rules"] = {"ebike_parked": {"dwell_s": 90, "clear_after_s": 20}}
    data["cameras"][0]["rules"] = {"ebike_parked": {"dwell_s": 45}}
    data["cameras"][0]["zones"][0]["rules"] = {"ebike_parked": {"dwell_s": 30}}
    settings = load_settings(_write(tmp_path, data))
    camera = settings.cameras[0]
    assert settings.rules_for(camera).ebike_parked.dwell_s == 45
    zone_rules = settings.rules_for(camera, camera.zones[0]).ebike_parked
    assert (zone_rules.dwell_s, zone_rules.clear_after_s) == (30, 20)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("rtsp://admin:hunter2@10.0.0.1:554/s", "rtsp://admin:***@10.0.0.1:554/s"),
        ("rtsp://10.0.0.1/s", "rtsp://10.0.0.1/s"),
        ("/videos/a.mp4", "/videos/a.mp4"),
    ],
)
def test_redact_url(url, expected):
    assert redact_url(url) == expected


def test_secret_source_not_in_repr(tmp_path):
    data = _valid()
    data["cameras"][0]["source"] = "rtsp://admin:hunter2@10.0.0.1/s"
    settings = load_settings(_write(tmp_path, data))
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in settings.model_dump_json()


def test_gen_secret_prints_a_link_secret_the_check_takes(capsys):
    from alerts.links import check_link_secret

    made = set()
    for _ in range(3):
        assert main(["gen-secret"]) == 0
        made.add(capsys.readouterr().out.strip())
    for secret in made:
        check_link_secret(secret)
    assert len(made) == 3
