"""lab.training: dataset resolution, ONNX graph edits, int8 quantization, and (when the
``train`` extra is installed) a real 1-epoch Ultralytics training with an ONNX export round trip.

The ONNX tests use a tiny detector built with ``onnx.helper`` that has the Ultralytics output
layout, so they need neither torch nor ultralytics and run in CI.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import pytest
import yaml
from onnx import TensorProto, helper, numpy_helper

from lab.training.dataset import DatasetError, resolve_dataset, write_resolved
from lab.training.errors import INSTALL_HINT, TrainExtraMissingError
from lab.training.offline import prepare_offline, require_modules
from lab.training.onnx_check import check_batches, describe_onnx
from lab.training.onnx_graph import (
    copy_metadata,
    fix_spatial_size,
    float_tail_nodes,
    read_metadata,
)
from lab.training.quantize import (
    LetterboxCalibrationReader,
    QuantizationError,
    list_calibration_images,
    quantize_int8,
)
from stairwatch.cli import main
from vision.letterbox import PAD_VALUE, Size

NAMES = ("ebike", "bicycle", "person", "cable")
TINY_SIDE = 32
COLOURS_BGR = ((0, 0, 255), (0, 255, 0), (255, 0, 0), (0, 255, 255))


# ---------------------------------------------------------------- tiny ONNX detector (no torch)


def tiny_detector(side: int = TINY_SIDE, names: tuple[str, ...] = NAMES) -> onnx.ModelProto:
    """[batch, 3, side, side] -> [batch, 4 + nc, anchors], decoded like an Ultralytics head.

    A SiLU stem, one conv per stride 8/16/32, then the float decode: reshape, concat, split
    into boxes and class logits, scale boxes, sigmoid scores, concat.
    """
    rng = np.random.default_rng(0)
    channels = 4 + len(names)
    inits = [
        numpy_helper.from_array(rng.normal(0, 0.5, (8, 3, 3, 3)).astype(np.float32), "stem_w"),
        numpy_helper.from_array(np.array([0, channels, -1], np.int64), "flat_shape"),
        numpy_helper.from_array(np.array([4, len(names)], np.int64), "split_sizes"),
        numpy_helper.from_array(np.array(side, np.float32), "box_scale"),
    ]
    nodes = [
        helper.make_node("Conv", ["images", "stem_w"], ["stem"], "stem_conv", pads=[1, 1, 1, 1]),
        helper.make_node("Sigmoid", ["stem"], ["stem_sig"], "stem_sigmoid"),
        helper.make_node("Mul", ["stem", "stem_sig"], ["feat"], "stem_silu"),
    ]
    flat = []
    for stride in (8, 16, 32):
        weight = rng.normal(0, 0.2, (channels, 8, stride, stride)).astype(np.float32)
        inits.append(numpy_helper.from_array(weight, f"head{stride}_w"))
        nodes.append(
            helper.make_node(
                "Conv",
                ["feat", f"head{stride}_w"],
                [f"p{stride}"],
                f"head{stride}_conv",
                strides=[stride, stride],
            )
        )
        nodes.append(
            helper.make_node(
                "Reshape", [f"p{stride}", "flat_shape"], [f"f{stride}"], f"flat{stride}"
            )
        )
        flat.append(f"f{stride}")
    nodes += [
        helper.make_node("Concat", flat, ["raw"], "cat_levels", axis=2),
        helper.make_node("Split", ["raw", "split_sizes"], ["box", "cls"], "split_box_cls", axis=1),
        helper.make_node("Sigmoid", ["box"], ["box01"], "box_sigmoid"),
        helper.make_node("Mul", ["box01", "box_scale"], ["box_px"], "box_to_pixels"),
        helper.make_node("Sigmoid", ["cls"], ["scores"], "score_sigmoid"),
        helper.make_node("Concat", ["box_px", "scores"], ["output0"], "cat_out", axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 3, side, side])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, ["batch", channels, None])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    for key, value in {
        "names": str(dict(enumerate(names))),
        "imgsz": str([side, side]),
        "stride": "32",
    }.items():
        prop = model.metadata_props.add()
        prop.key, prop.value = key, value
    onnx.checker.check_model(model)
    return model


@pytest.fixture()
def tiny_model(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.onnx"
    onnx.save(tiny_detector(), str(path))
    return path


def write_image(path: Path, width: int, height: int, seed: int) -> Path:
    """A grey frame with a few coloured boxes."""
    rng = np.random.default_rng(seed)
    frame = np.full((height, width, 3), int(rng.integers(40, 200)), np.uint8)
    for colour in COLOURS_BGR[: int(rng.integers(1, 4))]:
        x, y = int(rng.integers(0, width // 2)), int(rng.integers(0, height // 2))
        cv2.rectangle(frame, (x, y), (x + width // 3, y + height // 3), colour, -1)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), frame)
    return path


@pytest.fixture()
def calib_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "calib"
    for i, (w, h) in enumerate([(64, 48), (40, 80), (32, 32), (100, 30), (50, 50), (70, 60)]):
        write_image(folder / ("sub" if i % 2 else "") / f"img{i}.jpg", w, h, i)
    return folder


# ---------------------------------------------------------------- dataset


def write_data_yaml(root: Path, body: dict[str, object]) -> Path:
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
    path = root / "data.yaml"
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("names", "path_entry"),
    [
        (list(NAMES), "."),
        (dict(enumerate(NAMES)), None),
        (list(NAMES), "{root}"),
    ],
)
def test_resolve_dataset_pins_paths_to_the_yaml_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, names: object, path_entry: str | None
) -> None:
    root = tmp_path / "ds"
    body: dict[str, object] = {"train": "images/train", "val": "images/val", "names": names}
    if path_entry is not None:
        body["path"] = path_entry.format(root=root)
    data = write_data_yaml(root, body)
    monkeypatch.chdir(tmp_path)  # elsewhere than the dataset: "." must not mean the cwd

    spec = resolve_dataset(Path("ds/data.yaml"))
    written = yaml.safe_load(write_resolved(spec, tmp_path / "run").read_text())

    assert spec.names == NAMES and spec.root == root.resolve()
    assert spec.train == ((root / "images" / "train").resolve(),)
    assert written["path"] == str(root.resolve())
    assert written["names"] == dict(enumerate(NAMES)) and written["nc"] == 4
    assert Path(written["val"][0]).is_absolute() and data.is_file()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"train": "images/train", "val": "images/val"}, "names"),
        ({"train": "images/train", "val": "images/val", "names": {0: "a", 2: "b"}}, "keys"),
        ({"train": "images/train", "val": "images/val", "names": ["a", "a"]}, "repeat"),
        ({"train": "images/train", "names": ["a"]}, "'val'"),
        ({"train": "images/nope", "val": "images/val", "names": ["a"]}, "do not exist"),
    ],
)
def test_resolve_dataset_names_the_problem(
    tmp_path: Path, body: dict[str, object], message: str
) -> None:
    data = write_data_yaml(tmp_path, body)
    with pytest.raises(DatasetError, match=message):
        resolve_dataset(data)


# ---------------------------------------------------------------- extra and offline switches


def test_missing_extra_names_modules_and_install_command() -> None:
    with pytest.raises(TrainExtraMissingError) as raised:
        require_modules(("json", "surely_not_installed_module_xyz"))
    assert raised.value.missing == ("surely_not_installed_module_xyz",)
    assert INSTALL_HINT in str(raised.value)


def test_validate_names_what_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without the train extra it names the extra; with it, the missing weights."""
    from lab.training.validate import main as validate_main

    data = tmp_path / "data.yaml"
    data.write_text("path: .\ntrain: images\nval: images\nnames: [ebike]\n", encoding="utf-8")
    (tmp_path / "images").mkdir()
    assert validate_main([str(tmp_path / "nope.pt"), "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert INSTALL_HINT in err or "nope.pt do not exist" in err


def test_prepare_offline_sets_switches_and_places_fonts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("YOLO_OFFLINE", "YOLO_AUTOINSTALL", "YOLO_CONFIG_DIR"):
        monkeypatch.setenv(name, "restored-after-test")
    environment = prepare_offline(tmp_path / "cfg")
    import os

    assert os.environ["YOLO_OFFLINE"] == "1" and os.environ["YOLO_AUTOINSTALL"] == "False"
    assert os.environ["YOLO_CONFIG_DIR"] == str((tmp_path / "cfg").resolve())
    assert environment.fonts_ready  # matplotlib's DejaVuSans is always there
    assert (environment.ultralytics_dir / "Arial.ttf").is_file()
    assert (environment.ultralytics_dir / "Arial.Unicode.ttf").is_file()


# ---------------------------------------------------------------- ONNX graph edits


def test_fix_spatial_size_keeps_only_batch_dynamic(tmp_path: Path) -> None:
    model = tiny_detector()
    model.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "height"
    fix_spatial_size(model, TINY_SIDE, TINY_SIDE)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", 3, TINY_SIDE, TINY_SIDE]
    out = model.graph.output[0].type.tensor_type.shape.dim
    assert out[0].dim_param == "batch"
    path = tmp_path / "fixed.onnx"
    onnx.save(model, str(path))
    check_batches(describe_onnx(path), batches=(1, 2))


def test_float_tail_is_the_decode_after_the_head_convs() -> None:
    tail = set(float_tail_nodes(tiny_detector()))
    assert tail == {
        "flat8", "flat16", "flat32", "cat_levels", "split_box_cls", "box_sigmoid",
        "box_to_pixels", "score_sigmoid", "cat_out",
    }  # fmt: skip


def test_float_tail_includes_the_dfl_conv() -> None:
    weight = numpy_helper.from_array(np.ones((4, 3, 1, 1), np.float32), "w")
    dfl = numpy_helper.from_array(np.arange(4, dtype=np.float32).reshape(1, 4, 1, 1), "dfl_w")
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w"], ["a"], "head_conv"),
            helper.make_node("Softmax", ["a"], ["p"], "dfl_softmax", axis=1),
            helper.make_node("Conv", ["p", "dfl_w"], ["y"], "dfl_conv"),
        ],
        "dfl",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 4, 4])],
        [weight, dfl],
    )
    assert set(float_tail_nodes(helper.make_model(graph))) == {"dfl_softmax", "dfl_conv"}


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({}, {"names": "n", "imgsz": "[32, 32]"}),
        ({"names": "old", "extra": "kept"}, {"names": "n", "imgsz": "[32, 32]", "extra": "kept"}),
    ],
)
def test_copy_metadata(target: dict[str, str], expected: dict[str, str]) -> None:
    source, dest = onnx.ModelProto(), onnx.ModelProto()
    for model, values in ((source, {"names": "n", "imgsz": "[32, 32]"}), (dest, target)):
        for key, value in values.items():
            prop = model.metadata_props.add()
            prop.key, prop.value = key, value
    copy_metadata(source, dest)
    assert read_metadata(dest) == expected


# ---------------------------------------------------------------- calibration and int8


def test_calibration_reader_feeds_letterboxed_rgb_nchw(tmp_path: Path) -> None:
    blue = np.zeros((10, 20, 3), np.uint8)
    blue[..., 0] = 255  # BGR blue, 20 wide x 10 high
    cv2.imwrite(str(tmp_path / "a.png"), blue)
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    reader = LetterboxCalibrationReader(
        [tmp_path / "broken.jpg", tmp_path / "a.png"], "images", Size(32, 32)
    )

    feed = reader.get_next()
    assert feed is not None and reader.get_next() is None
    tensor = feed["images"]
    assert tensor.shape == (1, 3, 32, 32) and tensor.dtype == np.float32
    # 20x10 -> 32x16, centred: rows 8..23 hold the image, the rest is grey padding.
    np.testing.assert_allclose(tensor[0, :, 0, 0], PAD_VALUE / 255, rtol=1e-6)
    np.testing.assert_allclose(tensor[0, :, 16, 16], [0.0, 0.0, 1.0])  # RGB: blue last
    assert reader.fed == 1
    reader.rewind()
    assert reader.get_next() is not None


def test_calibration_images_are_spread_over_the_folder(calib_dir: Path) -> None:
    every = list_calibration_images(calib_dir, 100)
    assert len(every) == 6 and any(p.parent.name == "sub" for p in every)
    assert list_calibration_images(calib_dir, 3) == (every[0], every[2], every[5])


@pytest.mark.parametrize(("make", "message"), [(True, "no images"), (False, "not found")])
def test_calibration_folder_problems(tmp_path: Path, make: bool, message: str) -> None:
    folder = tmp_path / "calib"
    if make:
        folder.mkdir()
        (folder / "notes.txt").write_text("no pictures here")
    with pytest.raises(QuantizationError, match=message):
        list_calibration_images(folder, 5)


def test_quantize_int8_keeps_metadata_batch_and_scores(tiny_model: Path, calib_dir: Path) -> None:
    out = tiny_model.with_name("tiny_int8.onnx")
    images = list_calibration_images(calib_dir, 200)

    quantize_int8(tiny_model, out, images, Size(TINY_SIDE, TINY_SIDE))

    fp32, int8 = describe_onnx(tiny_model), describe_onnx(out)
    assert int8.names == NAMES and fp32.metadata.items() <= int8.metadata.items()
    check_batches(int8, batches=(1, 3))
    ops = {node.op_type for node in onnx.load(str(out)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    feed = LetterboxCalibrationReader(images[:1], "images", Size(TINY_SIDE, TINY_SIDE)).get_next()
    assert feed is not None
    ref = ort.InferenceSession(str(tiny_model)).run(None, feed)[0]
    got = ort.InferenceSession(str(out)).run(None, feed)[0]
    # Scores stay float after the head: close to fp32, not rounded to 0/1 by a pixel-sized scale.
    np.testing.assert_allclose(got[:, 4:], ref[:, 4:], atol=0.1)
    assert np.abs(got[:, :4] - ref[:, :4]).max() < 0.1 * TINY_SIDE


def test_export_command_quantizes_an_onnx_without_torch(
    tiny_model: Path, calib_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "export",
            str(tiny_model),
            "--int8",
            "--calib-images",
            str(calib_dir),
            "--calib-count",
            "4",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert tiny_model.with_name("tiny_int8.onnx").is_file()
    assert "int8:" in printed and "latency" in printed and "'cable'" in printed


def test_export_command_wants_calibration_images_for_int8(tiny_model: Path) -> None:
    assert main(["export", str(tiny_model), "--int8"]) == 2


# ---------------------------------------------------------------- real training (train extra)


def make_tiny_dataset(root: Path, train: int = 16, val: int = 4, side: int = 96) -> Path:
    """Coloured boxes on grey, one class per colour, in Ultralytics' layout."""
    rng = np.random.default_rng(1)
    for split, count in (("train", train), ("val", val)):
        for i in range(count):
            frame = np.full((side, side, 3), int(rng.integers(60, 180)), np.uint8)
            lines = []
            for _ in range(int(rng.integers(1, 3))):
                cls = int(rng.integers(0, len(NAMES)))
                w, h = (int(v) for v in rng.integers(side // 5, side // 2, 2))
                x, y = int(rng.integers(0, side - w)), int(rng.integers(0, side - h))
                cv2.rectangle(frame, (x, y), (x + w, y + h), COLOURS_BGR[cls], -1)
                cx, cy = (x + w / 2) / side, (y + h / 2) / side
                lines.append(f"{cls} {cx:.5f} {cy:.5f} {w / side:.5f} {h / side:.5f}")
            (root / "images" / split).mkdir(parents=True, exist_ok=True)
            (root / "labels" / split).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(root / "images" / split / f"{i:03d}.jpg"), frame)
            (root / "labels" / split / f"{i:03d}.txt").write_text("\n".join(lines) + "\n")
    data = root / "data.yaml"
    names = dict(enumerate(NAMES))
    data.write_text(
        yaml.safe_dump({"path": ".", "train": "images/train", "val": "images/val", "names": names})
    )
    return data


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 1-epoch yolo11n on 16 tiny images; returns (run folder, dataset root)."""
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("ultralytics") is None:
        pytest.skip("the train extra (torch, ultralytics) is not installed")
    base = tmp_path_factory.mktemp("train")
    environment = prepare_offline(base / "yolo_config")  # before ultralytics is imported
    pytest.importorskip("torch")
    pytest.importorskip("ultralytics")
    from lab.training.train import TrainConfig, train_detector

    data = make_tiny_dataset(base / "ds")
    config = TrainConfig(
        data=data, out=base / "run", imgsz=64, epochs=1, batch=8, workers=0, plots=False
    )
    train_detector(config, environment, command=["pytest"])
    return base / "run", base / "ds"


@pytest.mark.slow
def test_training_writes_weights_and_summary(trained: tuple[Path, Path]) -> None:
    run, _ = trained
    summary = json.loads((run / "train_summary.json").read_text())
    assert (run / "weights" / "best.pt").is_file()
    assert summary["names"] == list(NAMES) and summary["train_images"] == 16
    assert set(summary["metrics"]["map50_per_class"]) == set(NAMES)
    assert summary["epochs_run"] == 1 and summary["imgsz"] == 64
    assert summary["seconds_per_100_images"] > 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fixed_size", "input_shape"),
    [(False, ("batch", 3, "height", "width")), (True, ("batch", 3, 64, 64))],
)
def test_export_round_trip_fp32_and_int8(
    trained: tuple[Path, Path], fixed_size: bool, input_shape: tuple[object, ...]
) -> None:
    from lab.training.export import export_fp32

    run, dataset = trained
    name = "fixed" if fixed_size else "dynamic"
    fp32 = export_fp32(
        run / "weights" / "best.pt", run / f"{name}.onnx", imgsz=64, fixed_size=fixed_size
    )
    int8 = quantize_int8(
        fp32,
        run / f"{name}_int8.onnx",
        list_calibration_images(dataset / "images", 8),
        Size(64, 64),
    )
    for path in (fp32, int8):
        info = describe_onnx(path)
        assert info.names == NAMES and info.opset >= 17
        assert info.input_shape == input_shape and info.input_size == (64, 64)
        check_batches(info, batches=(1, 3))  # [N, 4 + 4, 84 anchors]


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("yolo11n.pt", "no such checkpoint"),  # a bare name would make Ultralytics download it
        ("weights/missing.pt", "no such checkpoint"),
        ("model.onnx", "architecture YAML"),
    ],
)
def test_train_refuses_models_that_would_download_or_cannot_train(
    tmp_path: Path, model: str, message: str
) -> None:
    pytest.importorskip("ultralytics")
    from lab.training.errors import TrainingError
    from lab.training.train import TrainConfig, _load_model

    config = TrainConfig(data=tmp_path / "data.yaml", out=tmp_path / "run", model=model)
    with pytest.raises(TrainingError, match=message):
        _load_model(config, tmp_path / "run")


@pytest.mark.parametrize(
    ("lr0", "optimizer", "expected"),
    [
        (None, "AdamW", {}),  # Ultralytics picks optimizer and rate: fine from scratch
        (0.0003, "AdamW", {"optimizer": "AdamW", "lr0": 0.0003}),  # fine-tuning trained weights
        (0.002, "SGD", {"optimizer": "SGD", "lr0": 0.002}),
    ],
)
def test_learning_rate_is_ultralytics_choice_unless_given(
    tmp_path: Path, lr0: float | None, optimizer: str, expected: dict[str, object]
) -> None:
    from lab.training.offline import OfflineEnvironment
    from lab.training.train import TrainConfig, _train_arguments

    config = TrainConfig(
        data=tmp_path / "data.yaml", out=tmp_path / "run", lr0=lr0, optimizer=optimizer
    )
    environment = OfflineEnvironment(tmp_path, fonts_ready=False)
    args = _train_arguments(config, environment, tmp_path / "data.yaml", tmp_path / "run")
    assert {k: args[k] for k in ("optimizer", "lr0") if k in args} == expected
