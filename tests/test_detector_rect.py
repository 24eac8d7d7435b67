"""Rectangular model input: models with a dynamic height and width run each frame at the smallest
stride multiple that holds it at its aspect (640x360 at 320 -> 320x192).

The tiny "half box" model is built here with onnx.helper and runs on real onnxruntime: it is
fully convolutional like a YOLO export (one anchor per stride-32 cell, so the anchor count
follows the input shape), and every anchor holds the box ``[W/4, H/4, 3W/4, 3H/4]`` of the input
it was given, so the returned box tells which input the detector chose and how it mapped back.
The real YOLOX-Nano of ``../shared`` is made dynamic the same way an export with dynamic axes is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from lab.training.onnx_graph import HEIGHT_DIM, WIDTH_DIM, fix_spatial_size
from vision.detector import OnnxDetector, load_detector
from vision.errors import ModelLoadError
from vision.letterbox import Size, rect_input_size

YOLOX_NANO = Path("models/yolox_nano.onnx")  # these three under ../shared
COCO_LABELS = Path("models/coco80.txt")
MOTORBIKE_IMAGE = Path("images/coco/000000007816.jpg")
NAMES = "{0: 'red', 1: 'green', 2: 'blue'}"
CELL = [32, 32]  # the half box model's one anchor per stride-32 cell


def half_box_model(path: Path, height: int | str = "height", width: int | str = "width") -> Path:
    """Ultralytics layout ``[batch, 7, anchors]``, one anchor per stride-32 cell of the input;
    every anchor holds the box centred in the input at half its width and height (input
    pixels) and scores class i by the cell's mean of channel i (inputs in [0, 1])."""
    nodes = [
        helper.make_node("AveragePool", ["images"], ["cells"], kernel_shape=CELL, strides=CELL),
        helper.make_node("Reshape", ["cells", "flat_shape"], ["scores"]),  # [B, 3, A]
        helper.make_node("Shape", ["images"], ["shape"]),
        helper.make_node("Gather", ["shape", "whwh_index"], ["whwh"], axis=0),
        helper.make_node("Cast", ["whwh"], ["whwh_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["whwh_f", "half"], ["box"]),  # cx, cy, w, h = W/2, H/2, W/2, H/2
        helper.make_node("Reshape", ["box", "box_shape"], ["box3"]),  # [1, 4, 1]
        helper.make_node("Mul", ["scores", "zero"], ["zeros3"]),
        helper.make_node("ReduceMean", ["zeros3"], ["zeros"], axes=[1], keepdims=1),  # [B, 1, A]
        helper.make_node("Add", ["box3", "zeros"], ["box_rows"]),  # [B, 4, A]
        helper.make_node("Concat", ["box_rows", "scores"], ["output0"], axis=1),
    ]  # fmt: skip
    inits = [
        numpy_helper.from_array(np.array([0, 3, -1], np.int64), "flat_shape"),
        numpy_helper.from_array(np.array([3, 2, 3, 2], np.int64), "whwh_index"),
        numpy_helper.from_array(np.float32([0.5]), "half"),
        numpy_helper.from_array(np.array([1, 4, 1], np.int64), "box_shape"),
        numpy_helper.from_array(np.zeros(1, np.float32), "zero"),
    ]
    graph = helper.make_graph(
        nodes,
        "half_box",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 3, height, width])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, ["batch", 7, "anchors"])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    for key, value in {"names": NAMES, "imgsz": "[320, 320]", "stride": "32"}.items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _frame(width: int, height: int, bgr: tuple[int, int, int] = (200, 60, 30)) -> np.ndarray:
    return np.full((height, width, 3), bgr, np.uint8)


@pytest.fixture(scope="module")
def dynamic_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return half_box_model(tmp_path_factory.mktemp("rect") / "dynamic.onnx")


@pytest.fixture(scope="module")
def static_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return half_box_model(tmp_path_factory.mktemp("rect") / "static.onnx", 320, 320)


# --- the input shape ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "long_side", "expected"),
    [
        (Size(640, 360), 320, Size(320, 192)),  # 180 rows round up to 192
        (Size(1920, 1080), 320, Size(320, 192)),
        (Size(360, 640), 320, Size(192, 320)),  # portrait
        (Size(500, 500), 320, Size(320, 320)),  # square
        (Size(640, 480), 320, Size(320, 256)),  # 4:3: 240 -> 256
        (Size(1280, 720), 416, Size(416, 256)),  # 234 -> 256
        (Size(1280, 720), 384, Size(384, 224)),  # 216 -> 224
        (Size(704, 576), 480, Size(480, 416)),  # D1 PAL: 392.7 -> 416
        (Size(1000, 100), 320, Size(320, 32)),  # very wide: one stride row
        (Size(4000, 10), 320, Size(320, 32)),  # never below one stride
        (Size(320, 192), 320, Size(320, 192)),  # exactly a multiple: no extra rows
    ],
)
def test_rect_input_size(source, long_side, expected):
    assert rect_input_size(source, long_side, 32) == expected


@pytest.mark.parametrize(("long_side", "stride"), [(300, 32), (0, 32), (-32, 32)])
def test_rect_input_size_refuses_sides_off_the_stride(long_side, stride):
    with pytest.raises(ValueError, match="multiple of stride"):
        rect_input_size(Size(640, 360), long_side, stride)


# --- boxes back in source pixels ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "frame", "side", "input_size", "expected_box"),
    [
        # 320x192 input, frame resized to 320x180 at rows 6..186; box [80, 48, 240, 144]
        ("dynamic", Size(640, 360), 320, Size(320, 192), (160, 84, 480, 276)),
        ("dynamic", Size(360, 640), 320, Size(192, 320), (84, 160, 276, 480)),  # portrait
        ("dynamic", Size(500, 500), 320, Size(320, 320), (125, 125, 375, 375)),  # square
        ("dynamic", Size(640, 480), 320, Size(320, 256), (160, 112, 480, 368)),
        # 416x256 input, frame 416x234 at rows 11..245, 0.325 input px per source px
        ("dynamic", Size(1280, 720), 416, Size(416, 256), (320, 53 / 0.325, 960, 181 / 0.325)),
        ("dynamic", Size(640, 360), None, Size(320, 192), (160, 84, 480, 276)),  # metadata 320
        # fixed 320x320: the frame sits at rows 70..250 of a square, as before; side ignored
        ("static", Size(640, 360), 320, Size(320, 320), (160, 20, 480, 340)),
        ("static", Size(640, 360), 416, Size(320, 320), (160, 20, 480, 340)),
    ],
)
def test_boxes_map_back_to_source_frame(
    request, model, frame, side, input_size, expected_box
):  # fmt: skip
    path = request.getfixturevalue(f"{model}_path")
    detector = load_detector(path, confidence=0.5, input_side=side)
    assert detector.input_size_for(frame) == input_size
    (result,) = detector.detect([_frame(*frame)])
    assert result.labels == ["blue"]  # BGR (200, 60, 30): blue is the brightest channel
    np.testing.assert_allclose(result.xyxy[0], expected_box, atol=0.05)


def test_static_model_reports_its_own_size(static_path, dynamic_path):
    static = load_detector(static_path, input_side=416)
    assert (static.input_side, static.input_size) == (None, Size(320, 320))
    dynamic = load_detector(dynamic_path, input_side=416)
    assert (dynamic.input_side, dynamic.input_size) == (416, Size(416, 416))


@pytest.mark.parametrize("side", [300, 0, 1000 + 8])
def test_input_side_off_the_stride_is_refused(dynamic_path, side):
    with pytest.raises(ModelLoadError, match=f"input side {side} px is not a positive multiple"):
        load_detector(dynamic_path, input_side=side)


# --- batches of mixed shapes ----------------------------------------------------------------------


class CountingSession:
    """Passes every call to the real onnxruntime session and records each run's input shape."""

    def __init__(self, session: Any):
        self._session = session
        self.shapes: list[tuple[int, ...]] = []

    def run(self, names: Sequence[str], feeds: dict[str, np.ndarray]) -> Any:
        self.shapes.extend(tensor.shape for tensor in feeds.values())
        return self._session.run(names, feeds)


MIXED = [Size(640, 360), Size(360, 640), Size(1920, 1080), Size(500, 500), Size(360, 640)]


@pytest.mark.parametrize(
    ("frames", "runs"),
    [
        (MIXED, [(2, 3, 192, 320), (2, 3, 320, 192), (1, 3, 320, 320)]),
        ([Size(640, 360)] * 3, [(3, 3, 192, 320)]),
        ([Size(500, 500), Size(640, 360)], [(1, 3, 320, 320), (1, 3, 192, 320)]),
    ],
)
def test_mixed_shapes_run_once_per_shape_in_order(dynamic_path, frames, runs):
    detector = load_detector(dynamic_path, confidence=0.5, input_side=320)
    counting = CountingSession(detector._session)
    detector._session = counting  # type: ignore[assignment]  # a spy around the real session
    images = [_frame(*size, bgr=(30 + 20 * i, 60, 200)) for i, size in enumerate(frames)]
    batched = detector.detect(images)
    assert counting.shapes == runs
    singles = [detector.detect([image])[0] for image in images]
    for got, alone in zip(batched, singles, strict=True):
        np.testing.assert_allclose(got.xyxy, alone.xyxy, atol=1e-4)
        np.testing.assert_allclose(got.confidence, alone.confidence, atol=1e-5)
    for got, size in zip(batched, frames, strict=True):  # each box lies in its own frame
        assert len(got) == 1 and got.xyxy[0, 2] <= size.width and got.xyxy[0, 3] <= size.height


# --- the real YOLOX-Nano, made dynamic ------------------------------------------------------------


@pytest.fixture(scope="module")
def motorbike(shared_dir: Path) -> np.ndarray:
    """A 640x427 COCO photo of a motorbike (BGR)."""
    if not (shared_dir / MOTORBIKE_IMAGE).is_file():
        pytest.skip("../shared COCO image absent")
    return cv2.imread(str(shared_dir / MOTORBIKE_IMAGE))


@pytest.fixture(scope="module")
def yolox_pair(
    shared_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[OnnxDetector, OnnxDetector]:
    """YOLOX-Nano as shipped (416x416) and the same weights with a dynamic height and width."""
    nano, labels = shared_dir / YOLOX_NANO, shared_dir / COCO_LABELS
    if not (nano.is_file() and labels.is_file()):
        pytest.skip("../shared YOLOX-Nano model absent")
    model = onnx.load(str(nano))
    fix_spatial_size(model, HEIGHT_DIM, WIDTH_DIM)
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 1  # its reshapes pin batch 1
    path = tmp_path_factory.mktemp("yolox") / "yolox_nano_dynamic.onnx"
    onnx.save(model, str(path))
    square = load_detector(nano, labels=labels, threads=1)
    return square, load_detector(path, labels=labels, threads=1, input_side=416)


@pytest.mark.shared
def test_yolox_rect_input_finds_the_same_motorbike(yolox_pair, motorbike):
    square, rect = yolox_pair
    image = motorbike
    size = Size(image.shape[1], image.shape[0])
    assert rect.input_size_for(size) == Size(416, 288)  # 640x427: 277.6 rows -> 288
    assert square.input_size_for(size) == Size(416, 416)
    bikes = [d.detect([image])[0].of_class("motorbike") for d in (square, rect)]
    best = [b.xyxy[b.confidence.argmax()] for b in bikes]
    assert min(b.confidence.max() for b in bikes) > 0.8
    np.testing.assert_allclose(best[1], best[0], atol=0.03 * size.width)


@pytest.mark.shared
def test_yolox_grid_per_shape_in_one_call(yolox_pair, motorbike):
    _, rect = yolox_pair
    image = motorbike
    portrait = np.ascontiguousarray(image[:, 200:520])  # 320x427, the motorbike inside
    frames = [image, portrait, image]
    assert rect.input_size_for(Size(320, 427)) == Size(320, 416)
    batched = rect.detect(frames)  # 416x288, 320x416, 416x288: two grids
    bikes = [r.of_class("motorbike") for r in batched]
    assert all(len(b) > 0 for b in bikes)
    np.testing.assert_allclose(batched[0].xyxy, batched[2].xyxy)
    whole, cropped = (b.xyxy[b.confidence.argmax()] for b in bikes[:2])
    np.testing.assert_allclose(cropped, whole - [200, 0, 200, 0], atol=0.05 * image.shape[1])


# --- model.input_size ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (320, None),
        (416, None),
        (128, None),
        (1280, None),
        (300, "multiple of 32"),
        (96, "greater than or equal to 128"),
        (1312, "less than or equal to 1280"),
    ],
)
def test_model_input_size_config(value, problem):
    from stairwatch.config import ConfigError, parse_settings

    data = {"cameras": [{"id": "cam", "source": "/dev/null"}], "model": {"input_size": value}}
    if problem is None:
        assert parse_settings(data, "site.yaml").model.input_size == value
        return
    with pytest.raises(ConfigError) as caught:
        parse_settings(data, "site.yaml")
    text = "\n".join(caught.value.problems)
    assert "model.input_size" in text and problem in text and str(value) in text
