"""The ONNX detector: letterbox, decoders, NMS, layout detection, errors, and a real YOLOX model.

Tiny models are built here with onnx.helper: their output is a known constant (plus, for the
"probe" models, class scores computed from the input's channel means) and runs on real
onnxruntime.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from vision.benchmark import measure_fps
from vision.decoders import Layout
from vision.detector import OnnxDetector, load_detector
from vision.errors import DetectorError, ModelLoadError
from vision.letterbox import (
    PAD_VALUE,
    InputConvention,
    PadPlacement,
    Size,
    boxes_to_input,
    boxes_to_source,
    letterbox_batch,
    plan_letterbox,
)
from vision.nms import classwise_nms

SHARED = Path(__file__).resolve().parents[2] / "shared"
YOLOX_NANO = SHARED / "models" / "yolox_nano.onnx"
COCO_LABELS = SHARED / "models" / "coco80.txt"
PERSON_CLIP = SHARED / "clips" / "intel" / "one-by-one-person-detection.mp4"
MOTORBIKE_IMAGE = SHARED / "images" / "coco" / "000000007816.jpg"
PERSON_FRAMES = (100, 120, 140)  # 10-14 s: one person walks across the room

Dim = int | str


# --- tiny ONNX models -------------------------------------------------------------------------


def _save_model(
    path: Path,
    nodes: list[onnx.NodeProto],
    initializers: list[onnx.TensorProto],
    input_shape: Sequence[Dim],
    output_shape: Sequence[Dim],
    metadata: dict[str, str] | None = None,
) -> Path:
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, list(input_shape))],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(output_shape))],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    for key, value in (metadata or {}).items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _batch_zeros(
    batch_shape: Sequence[int] = (-1, 1, 1),
) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto]]:
    """Nodes computing 'zeros' [batch, 1, 1] from the input: added to a constant, they repeat
    it over the batch (``batch_shape`` other than (-1, 1, 1) makes broken models)."""
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean"], axes=[1, 2, 3], keepdims=1),
        helper.make_node("Reshape", ["mean", "batch_shape"], ["mean3"]),
        helper.make_node("Mul", ["mean3", "zero"], ["zeros"]),
    ]
    inits = [
        numpy_helper.from_array(np.array(batch_shape, np.int64), "batch_shape"),
        numpy_helper.from_array(np.zeros(1, np.float32), "zero"),
    ]
    return nodes, inits


def constant_model(
    path: Path,
    per_image: np.ndarray,
    input_size: Size,
    batch: Dim = 1,
    metadata: dict[str, str] | None = None,
    batch_shape: Sequence[int] = (-1, 1, 1),
) -> Path:
    """A model whose output is ``per_image`` (2-D) for every image of the batch."""
    nodes, inits = _batch_zeros(batch_shape)
    nodes.append(helper.make_node("Add", ["constant", "zeros"], ["output0"]))
    inits.append(numpy_helper.from_array(per_image[None].astype(np.float32), "constant"))
    out_batch = batch if isinstance(batch, int) else "batch"
    return _save_model(
        path,
        nodes,
        inits,
        [batch, 3, input_size.height, input_size.width],
        [out_batch, *per_image.shape],
        metadata,
    )


def probe_model(path: Path, layout: Layout, input_size: Size, batch: Dim = "batch") -> Path:
    """A 3-class model with one box covering the whole input whose class scores are the
    input's channel means scaled to [0, 1]: class i scores channel i of the tensor.

    Ultralytics layout expects [0, 1] inputs; YOLOX layout divides its raw input by 255.
    """
    w, h = input_size
    anchors = 4
    mask = np.zeros((1, 1, anchors), np.float32)
    mask[..., 0] = 1
    nodes = [
        helper.make_node("GlobalAveragePool", ["images"], ["pooled"]),
        helper.make_node("Reshape", ["pooled", "means_shape"], ["means"]),  # [B, 3, 1]
        helper.make_node("Mul", ["means", "value_scale"], ["scaled"]),
        helper.make_node("Mul", ["scaled", "mask"], ["scores"]),  # [B, 3, A]
        helper.make_node("Mul", ["scaled", "zero"], ["zeros3"]),
        helper.make_node("ReduceMean", ["zeros3"], ["zeros"], axes=[1], keepdims=1),  # [B, 1, 1]
        helper.make_node("Add", ["boxes", "zeros"], ["box_rows"]),
    ]
    inits = [
        numpy_helper.from_array(np.array([-1, 3, 1], np.int64), "means_shape"),
        numpy_helper.from_array(np.zeros(1, np.float32), "zero"),
        numpy_helper.from_array(mask, "mask"),
    ]
    if layout is Layout.ULTRALYTICS:
        boxes = np.zeros((1, 4, anchors), np.float32)
        boxes[0, :, 0] = [w / 2, h / 2, w, h]
        nodes.append(helper.make_node("Concat", ["box_rows", "scores"], ["output0"], axis=1))
        inits += [numpy_helper.from_array(np.float32([1.0]), "value_scale")]
        metadata = {"names": "{0: 'red', 1: 'green', 2: 'blue'}"}
        out_shape: list[Dim] = [batch, 7, anchors]
    else:
        anchors_needed = _yolox_anchor_count(input_size)
        boxes = np.zeros((1, 5, anchors_needed), np.float32)  # x, y, w, h, objectness per anchor
        # Anchor 0 is cell (0, 0) of stride 8: centre = (p + 0) * 8 and size = exp(p) * 8.
        boxes[0, :, 0] = [w / 2 / 8, h / 2 / 8, math.log(w / 8), math.log(h / 8), 1.0]
        mask = np.zeros((1, 1, anchors_needed), np.float32)
        mask[..., 0] = 1
        inits[2] = numpy_helper.from_array(mask, "mask")
        nodes += [
            helper.make_node("Concat", ["box_rows", "scores"], ["channels_first"], axis=1),
            helper.make_node("Transpose", ["channels_first"], ["output0"], perm=[0, 2, 1]),
        ]
        inits += [numpy_helper.from_array(np.float32([1 / 255]), "value_scale")]
        metadata = {}
        out_shape = [batch, anchors_needed, 8]
    inits.append(numpy_helper.from_array(boxes, "boxes"))
    return _save_model(path, nodes, inits, [batch, 3, h, w], out_shape, metadata)


def _yolox_anchor_count(input_size: Size) -> int:
    return sum((input_size.width // s) * (input_size.height // s) for s in (8, 16, 32))


def ultralytics_rows(
    boxes: Sequence[tuple[float, float, float, float]],
    classes: Sequence[int],
    scores: Sequence[float],
    nc: int,
    anchors: int = 8,
) -> np.ndarray:
    """(4 + nc, anchors) Ultralytics output rows holding xyxy ``boxes`` (input pixels)."""
    rows = np.zeros((4 + nc, anchors), np.float32)
    for i, ((x1, y1, x2, y2), c, s) in enumerate(zip(boxes, classes, scores, strict=True)):
        rows[:4, i] = [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1]
        rows[4 + c, i] = s
    return rows


def yolox_rows(
    boxes: Sequence[tuple[float, float, float, float]],
    classes: Sequence[int],
    scores: Sequence[float],
    nc: int,
    input_size: Size,
) -> np.ndarray:
    """(anchors, 5 + nc) raw YOLOX output holding xyxy ``boxes``, each on a stride-32 cell."""
    rows = np.zeros((_yolox_anchor_count(input_size), 5 + nc), np.float32)
    first_stride32 = _yolox_anchor_count(input_size) - (input_size.width // 32) * (
        input_size.height // 32
    )
    for (x1, y1, x2, y2), c, s in zip(boxes, classes, scores, strict=True):
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        col, row = int(cx // 32), int(cy // 32)
        index = first_stride32 + row * (input_size.width // 32) + col
        rows[index, :4] = [
            cx / 32 - col,
            cy / 32 - row,
            math.log((x2 - x1) / 32),
            math.log((y2 - y1) / 32),
        ]
        rows[index, 4] = 1.0
        rows[index, 5 + c] = s
    return rows


def _write_labels(path: Path, names: Sequence[str]) -> Path:
    path.write_text("\n".join(names) + "\n", encoding="utf-8")
    return path


def _frame(width: int, height: int, bgr: tuple[int, int, int] = (40, 80, 120)) -> np.ndarray:
    return np.full((height, width, 3), bgr, np.uint8)


# --- letterbox --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "input_size", "placement", "resized", "left", "top"),
    [
        (Size(1280, 720), Size(640, 384), PadPlacement.CENTRE, Size(640, 360), 0, 12),
        (Size(360, 640), Size(640, 384), PadPlacement.CENTRE, Size(216, 384), 212, 0),
        (Size(1280, 720), Size(416, 416), PadPlacement.CENTRE, Size(416, 234), 0, 91),
        (Size(768, 432), Size(640, 640), PadPlacement.CENTRE, Size(640, 360), 0, 140),
        (Size(1280, 720), Size(640, 384), PadPlacement.TOP_LEFT, Size(640, 360), 0, 0),
        (Size(360, 640), Size(416, 416), PadPlacement.TOP_LEFT, Size(234, 416), 0, 0),
        (Size(640, 427), Size(416, 416), PadPlacement.TOP_LEFT, Size(416, 277), 0, 0),
        (Size(200, 100), Size(640, 640), PadPlacement.CENTRE, Size(640, 320), 0, 160),
    ],
)
def test_plan_letterbox(source, input_size, placement, resized, left, top):
    plan = plan_letterbox(source, input_size, placement)
    assert (plan.resized, plan.left, plan.top) == (resized, left, top)


@pytest.mark.parametrize("placement", list(PadPlacement))
@pytest.mark.parametrize(
    ("source", "input_size"),
    [
        (Size(1280, 720), Size(640, 384)),
        (Size(360, 640), Size(640, 384)),
        (Size(1280, 720), Size(416, 416)),
        (Size(360, 640), Size(416, 416)),
        (Size(100, 100), Size(640, 384)),
        (Size(1919, 1081), Size(640, 640)),
    ],
)
def test_letterbox_box_round_trip(source, input_size, placement):
    plan = plan_letterbox(source, input_size, placement)
    rng = np.random.default_rng(0)
    corners = rng.uniform(0, 1, (50, 4)) * ([source.width, source.height] * 2)
    xyxy = np.concatenate(
        [np.minimum(corners[:, :2], corners[:, 2:]), np.maximum(corners[:, :2], corners[:, 2:])],
        axis=1,
    ).astype(np.float32)
    forward = boxes_to_input(xyxy, plan)
    assert forward.min() >= -1e-3
    assert np.all(forward[:, [0, 2]] <= input_size.width + 1e-3)
    assert np.all(forward[:, [1, 3]] <= input_size.height + 1e-3)
    np.testing.assert_allclose(boxes_to_source(forward, plan), xyxy, atol=1e-2)


@pytest.mark.parametrize(
    ("convention", "image_rows", "image_cols", "blue_channel", "blue_value", "pad"),
    [
        # 100x50 blue frame into 64x64: resized 64x32; centred -> rows 16..48.
        (InputConvention.ultralytics(), slice(16, 48), slice(0, 64), 2, 1.0, PAD_VALUE / 255),
        (InputConvention.yolox(), slice(0, 32), slice(0, 64), 0, 255.0, float(PAD_VALUE)),
    ],
)
def test_letterbox_batch_pixels(convention, image_rows, image_cols, blue_channel, blue_value, pad):
    frame = _frame(100, 50, (255, 0, 0))
    plan = plan_letterbox(Size(100, 50), Size(64, 64), convention.placement)
    tensor = letterbox_batch([frame], [plan], Size(64, 64), convention, batch=2)
    assert tensor.shape == (2, 3, 64, 64)
    assert tensor.dtype == np.float32
    image = tensor[0, :, image_rows, image_cols]
    assert np.all(image[blue_channel] == blue_value)
    assert np.all(np.delete(image, blue_channel, axis=0) == 0)
    padding = np.ones((64, 64), bool)
    padding[image_rows, image_cols] = False
    assert np.allclose(tensor[0][:, padding], pad)
    assert np.allclose(tensor[1], pad)  # rows past the frames are all padding


# --- NMS --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("boxes", "scores", "classes", "iou", "max_det", "kept"),
    [
        ([[0, 0, 10, 10], [1, 0, 11, 10]], [0.9, 0.8], [0, 0], 0.5, 10, [0]),
        ([[0, 0, 10, 10], [1, 0, 11, 10]], [0.7, 0.8], [0, 0], 0.5, 10, [1]),
        ([[0, 0, 10, 10], [1, 0, 11, 10]], [0.9, 0.8], [0, 1], 0.5, 10, [0, 1]),
        ([[0, 0, 10, 10], [5, 0, 15, 10]], [0.9, 0.8], [0, 0], 0.5, 10, [0, 1]),
        ([[0, 0, 10, 10], [5, 0, 15, 10]], [0.9, 0.8], [0, 0], 0.3, 10, [0]),
        ([[0, 0, 1, 1], [5, 5, 6, 6], [9, 9, 10, 10]], [0.1, 0.3, 0.2], [0, 0, 0], 0.5, 2, [1, 2]),
        ([[-50, -50, 10, 10], [-49, -50, 10, 10]], [0.5, 0.6], [2, 2], 0.5, 10, [1]),
        ([], [], [], 0.5, 10, []),
    ],
)
def test_classwise_nms(boxes, scores, classes, iou, max_det, kept):
    result = classwise_nms(
        np.array(boxes, np.float32).reshape(-1, 4),
        np.array(scores, np.float32),
        np.array(classes, np.int32),
        iou,
        max_det,
    )
    assert result.tolist() == kept


# --- tiny models: decoding and box mapping ----------------------------------------------------

# input size, frame size, box in input pixels, expected box in frame pixels (None: dropped)
ULTRALYTICS_CASES = [
    (Size(640, 384), Size(1280, 720), (100, 112, 300, 212), (200, 200, 600, 400)),
    (Size(640, 384), Size(360, 640), (272, 30, 332, 90), (100, 50, 200, 150)),
    (Size(416, 416), Size(1280, 720), (52, 123.5, 104, 156), (160, 100, 320, 200)),
    (Size(640, 384), Size(1280, 720), (-10, 0, 50, 50), (0, 0, 100, 76)),  # clipped
    (Size(640, 384), Size(1280, 720), (100, 0, 200, 10), None),  # wholly in the top padding
]
YOLOX_CASES = [
    (Size(640, 384), Size(1280, 720), (100, 100, 300, 200), (200, 200, 600, 400)),
    (Size(416, 416), Size(360, 640), (65, 65, 130, 130), (100, 100, 200, 200)),
    (Size(640, 384), Size(360, 640), (60, 30, 120, 90), (100, 50, 200, 150)),
    (Size(416, 416), Size(1280, 720), (312, 208, 500, 300), (960, 640, 1280, 720)),  # clipped
    (Size(416, 416), Size(1280, 720), (100, 300, 200, 400), None),  # wholly in the bottom padding
]


@pytest.mark.parametrize("batch", [1, "batch"])
@pytest.mark.parametrize(("input_size", "frame", "box", "expected"), ULTRALYTICS_CASES)
def test_ultralytics_boxes_map_to_frame(tmp_path, batch, input_size, frame, box, expected):
    rows = ultralytics_rows([box], [1], [0.9], nc=2)
    path = constant_model(
        tmp_path / "u.onnx", rows, input_size, batch, {"names": "{0: 'ebike', 1: 'bicycle'}"}
    )
    detector = load_detector(path)
    assert (detector.layout, detector.input_size, detector.class_names) == (
        Layout.ULTRALYTICS,
        input_size,
        ("ebike", "bicycle"),
    )
    assert detector.max_batch == (1 if batch == 1 else None)
    (result,) = detector.detect([_frame(*frame)])
    _assert_single_box(result, expected, "bicycle", 0.9)


@pytest.mark.parametrize("batch", [1, "batch"])
@pytest.mark.parametrize(("input_size", "frame", "box", "expected"), YOLOX_CASES)
def test_yolox_boxes_map_to_frame(tmp_path, batch, input_size, frame, box, expected):
    rows = yolox_rows([box], [0], [0.8], nc=2, input_size=input_size)
    path = constant_model(tmp_path / "y.onnx", rows, input_size, batch)
    detector = load_detector(
        path, labels=_write_labels(tmp_path / "labels.txt", ["motorbike", "person"])
    )
    assert (detector.layout, detector.input_size) == (Layout.YOLOX, input_size)
    (result,) = detector.detect([_frame(*frame)])
    _assert_single_box(result, expected, "motorbike", 0.8)


def _assert_single_box(result, expected, name, score):
    if expected is None:
        assert len(result) == 0
        return
    assert len(result) == 1
    assert result.labels == [name]
    np.testing.assert_allclose(result.confidence, [score], rtol=1e-5)
    np.testing.assert_allclose(result.xyxy[0], expected, atol=0.05)
    assert result.xyxy.dtype == np.float32 and result.class_id.dtype == np.int32


@pytest.mark.parametrize("layout", [Layout.ULTRALYTICS, Layout.YOLOX])
@pytest.mark.parametrize(
    ("frame_size", "bgr", "expected_class", "expected_score"),
    [
        (Size(640, 384), (0, 0, 255), "red", 1.0),
        (Size(1280, 768), (0, 255, 0), "green", 1.0),
        (Size(320, 192), (255, 0, 0), "blue", 1.0),
        # Half the input is padding (114): red scores (255 + 114) / 2 / 255.
        (Size(640, 192), (0, 0, 255), "red", (255 + PAD_VALUE) / 2 / 255),
        (Size(160, 384), (0, 0, 255), "red", (255 * 160 + PAD_VALUE * 480) / 640 / 255),
    ],
)
def test_probe_channel_order_scale_and_padding(
    tmp_path, layout, frame_size, bgr, expected_class, expected_score
):
    input_size = Size(640, 384)
    path = probe_model(tmp_path / "probe.onnx", layout, input_size)
    labels = _write_labels(tmp_path / "labels.txt", ["blue", "green", "red"])  # YOLOX sees BGR
    detector = load_detector(
        path, labels=labels if layout is Layout.YOLOX else None, confidence=0.05
    )
    assert detector.layout is layout
    (result,) = detector.detect([_frame(*frame_size, bgr)])
    assert result.labels == [expected_class]
    np.testing.assert_allclose(result.confidence, [expected_score], atol=2e-3)
    np.testing.assert_allclose(result.xyxy[0], [0, 0, *frame_size], atol=0.5)


@pytest.mark.parametrize(
    ("boxes", "classes", "scores", "confidence", "expected"),
    [
        # Same class, heavy overlap: the better one survives NMS.
        ([(10, 10, 110, 110), (12, 10, 112, 110)], [0, 0], [0.6, 0.9], 0.25, [("a", 0.9)]),
        # Other class: both kept, best first.
        (
            [(10, 10, 110, 110), (12, 10, 112, 110)],
            [0, 1],
            [0.6, 0.9],
            0.25,
            [("b", 0.9), ("a", 0.6)],
        ),
        # Below the confidence threshold: dropped.
        ([(10, 10, 110, 110), (200, 200, 300, 300)], [0, 1], [0.2, 0.5], 0.25, [("b", 0.5)]),
        ([(10, 10, 110, 110)], [0], [0.2], 0.25, []),
    ],
)
def test_threshold_and_nms_end_to_end(tmp_path, boxes, classes, scores, confidence, expected):
    rows = ultralytics_rows(boxes, classes, scores, nc=2)
    path = constant_model(
        tmp_path / "u.onnx", rows, Size(320, 320), 1, {"names": "{0: 'a', 1: 'b'}"}
    )
    (result,) = load_detector(path, confidence=confidence).detect([_frame(320, 320)])
    assert (
        list(zip(result.labels, [round(float(c), 4) for c in result.confidence], strict=True))
        == expected
    )


def test_max_detections(tmp_path):
    boxes = [(i * 30, 0, i * 30 + 20, 20) for i in range(8)]
    rows = ultralytics_rows(boxes, [0] * 8, [0.5 + i / 100 for i in range(8)], nc=1)
    path = constant_model(tmp_path / "u.onnx", rows, Size(320, 320), 1, {"names": "{0: 'a'}"})
    (result,) = load_detector(path, max_detections=3).detect([_frame(320, 320)])
    np.testing.assert_allclose(result.confidence, [0.57, 0.56, 0.55], rtol=1e-5)


@pytest.mark.parametrize("layout", [Layout.ULTRALYTICS, Layout.YOLOX])
@pytest.mark.parametrize("batch", [1, "batch"])
def test_batched_call_matches_single_calls(tmp_path, layout, batch):
    path = probe_model(tmp_path / "probe.onnx", layout, Size(416, 416), batch)
    labels = (
        _write_labels(tmp_path / "labels.txt", ["blue", "green", "red"])
        if layout is Layout.YOLOX
        else None
    )
    detector = load_detector(path, labels=labels, confidence=0.05)
    frames = [
        _frame(1280, 720, (0, 0, 255)),
        _frame(360, 640, (0, 255, 0)),
        _frame(416, 416, (255, 0, 0)),
    ]
    batched = detector.detect(frames)
    singles = [detector.detect([f])[0] for f in frames]
    assert [r.labels for r in batched] == [["red"], ["green"], ["blue"]]
    _assert_same(batched, singles)


def test_loading_turns_onnxruntime_telemetry_off(tmp_path, monkeypatch):
    """onnxruntime's telemetry is a no-op on Linux builds, so the call itself is what can be
    checked: the real function is wrapped, not replaced."""
    import onnxruntime

    calls = []
    real = onnxruntime.disable_telemetry_events
    monkeypatch.setattr(onnxruntime, "disable_telemetry_events", lambda: calls.append(real()))
    path = constant_model(
        tmp_path / "u.onnx",
        ultralytics_rows([], [], [], nc=1),
        Size(64, 64),
        1,
        {"names": "{0: 'a'}"},
    )
    load_detector(path)
    assert len(calls) == 1


def test_empty_call_returns_empty_list(tmp_path):
    path = constant_model(
        tmp_path / "u.onnx",
        ultralytics_rows([], [], [], nc=1),
        Size(64, 64),
        "batch",
        {"names": "{0: 'a'}"},
    )
    assert load_detector(path).detect([]) == []


def test_detector_is_shareable_between_threads(tmp_path):
    path = probe_model(tmp_path / "probe.onnx", Layout.ULTRALYTICS, Size(416, 416))
    detector = load_detector(path, confidence=0.05, threads=1)
    frames = [_frame(100 + 37 * i, 300, (0, 0, 255) if i % 2 else (0, 255, 0)) for i in range(12)]
    expected = [detector.detect([f])[0] for f in frames]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda f: detector.detect([f])[0], frames))
    _assert_same(results, expected)


def _assert_same(results, expected):
    assert len(results) == len(expected)
    for got, want in zip(results, expected, strict=True):
        assert got.labels == want.labels
        np.testing.assert_allclose(got.xyxy, want.xyxy, atol=1e-3)
        np.testing.assert_allclose(got.confidence, want.confidence, atol=1e-5)


# --- layout detection and metadata ------------------------------------------------------------


@pytest.mark.parametrize(
    ("per_image_shape", "metadata", "labels", "layout", "names"),
    [
        # Anchors count equals 4 + nc: metadata names decide (Ultralytics).
        ((6, 6), {"names": "{0: 'a', 1: 'b'}"}, None, Layout.ULTRALYTICS, ("a", "b")),
        # No metadata: the labels' class count tells the class axis.
        ((3549, 8), {}, ["a", "b", "c"], Layout.YOLOX, ("a", "b", "c")),
        ((7, 3549), {}, ["a", "b", "c"], Layout.ULTRALYTICS, ("a", "b", "c")),
        # Labels override metadata names.
        ((6, 50), {"names": "{0: 'a', 1: 'b'}"}, ["x", "y"], Layout.ULTRALYTICS, ("x", "y")),
        # Names as a list; an export with NMS inside ([batch, max_det, 6]).
        ((300, 6), {"names": "['a', 'b', 'c']"}, None, Layout.ULTRALYTICS_NMS, ("a", "b", "c")),
    ],
)
def test_layout_detection(tmp_path, per_image_shape, metadata, labels, layout, names):
    path = constant_model(
        tmp_path / "m.onnx", np.zeros(per_image_shape, np.float32), Size(416, 416), 1, metadata
    )
    label_file = _write_labels(tmp_path / "labels.txt", labels) if labels else None
    detector = load_detector(path, labels=label_file)
    assert (detector.layout, detector.class_names) == (layout, names)
    assert len(detector.detect([_frame(100, 80)])[0]) == 0


def test_ultralytics_nms_export_decodes_xyxy(tmp_path):
    rows = np.zeros((300, 6), np.float32)
    rows[0] = [100, 112, 300, 212, 0.8, 2]
    rows[1] = [0, 0, 10, 10, 0.1, 0]  # below confidence
    path = constant_model(
        tmp_path / "m.onnx", rows, Size(640, 384), 1, {"names": "{0: 'a', 1: 'b', 2: 'c'}"}
    )
    (result,) = load_detector(path).detect([_frame(1280, 720)])
    assert result.labels == ["c"]
    np.testing.assert_allclose(result.xyxy[0], [200, 200, 600, 400], atol=0.05)


@pytest.mark.parametrize(
    ("metadata", "input_size"),
    [
        ({"names": "{0: 'a'}", "imgsz": "[384, 640]"}, Size(640, 640)),  # long side 640
        ({"names": "{0: 'a'}", "imgsz": "320"}, Size(320, 320)),
        ({"names": "{0: 'a'}"}, Size(640, 640)),
    ],
)
def test_dynamic_input_size_from_metadata(tmp_path, metadata, input_size):
    nodes, inits = _batch_zeros()
    nodes.append(helper.make_node("Add", ["constant", "zeros"], ["output0"]))
    rows = ultralytics_rows([(10, 10, 50, 50)], [0], [0.9], nc=1)
    inits.append(numpy_helper.from_array(rows[None], "constant"))
    path = _save_model(
        tmp_path / "dyn.onnx",
        nodes,
        inits,
        ["batch", 3, "height", "width"],
        ["batch", 5, "anchors"],
        metadata,
    )
    detector = load_detector(path)
    assert (detector.input_size, detector.max_batch) == (input_size, None)
    (result,) = detector.detect([_frame(input_size.width * 2, input_size.height * 2)])
    # a dynamic model's input is rectangular: this frame runs at half its size, box halved
    np.testing.assert_allclose(result.xyxy[0], [20, 20, 100, 100], atol=0.05)


# --- errors -----------------------------------------------------------------------------------


def _not_onnx(tmp_path: Path) -> Path:
    path = tmp_path / "model.onnx"
    path.write_text("this is not a model\n")
    return path


def _rank2_output(tmp_path: Path) -> Path:
    nodes, inits = _batch_zeros((1, 1))
    nodes.append(helper.make_node("Add", ["constant", "zeros"], ["output0"]))
    inits.append(numpy_helper.from_array(np.zeros((1, 7), np.float32), "constant"))
    return _save_model(tmp_path / "rank2.onnx", nodes, inits, [1, 3, 64, 64], [1, 7])


def _yolox(tmp_path: Path) -> Path:
    return constant_model(tmp_path / "y.onnx", np.zeros((3549, 8), np.float32), Size(416, 416))


def _ultralytics_without_names(tmp_path: Path) -> Path:
    return constant_model(tmp_path / "u.onnx", np.zeros((6, 40), np.float32), Size(640, 640))


def _names_not_fitting(tmp_path: Path) -> Path:
    return constant_model(
        tmp_path / "u.onnx",
        np.zeros((6, 40), np.float32),
        Size(640, 640),
        1,
        {"names": "{0: 'a', 1: 'b', 2: 'c', 3: 'd'}"},
    )


def _yolox_wrong_anchor_count(tmp_path: Path) -> Path:
    return constant_model(tmp_path / "y.onnx", np.zeros((3000, 8), np.float32), Size(416, 416))


@pytest.mark.parametrize(
    ("make_model", "labels", "message"),
    [
        (lambda tmp: tmp / "missing.onnx", None, r"missing\.onnx does not exist"),
        (_not_onnx, None, r"model\.onnx is not an ONNX model"),
        (
            _rank2_output,
            None,
            r"rank2\.onnx: unknown output layout \[1, 7\], expected Ultralytics "
            r"\[batch, 4\+nc, anchors\] or YOLOX \[batch, anchors, 5\+nc\]",
        ),
        (_yolox, None, r"y\.onnx: yolox model without class names.*labels file"),
        (_ultralytics_without_names, None, r"u\.onnx: ultralytics model without class names"),
        (
            _yolox,
            ["a", "b"],
            r"y\.onnx: 2 class names given but the yolox output \[1, 3549, 8\] has 3",
        ),
        (_yolox, "missing", r"cannot read labels file .*nolabels\.txt"),
        (_names_not_fitting, None, r"u\.onnx: output \[1, 6, 40\] does not fit the 4 class names"),
        (
            _yolox_wrong_anchor_count,
            ["a", "b", "c"],
            r"y\.onnx: YOLOX output .* 3000 anchors, expected 3549",
        ),
    ],
)
def test_load_errors(tmp_path, make_model, labels, message):
    path = make_model(tmp_path)
    if labels == "missing":
        label_file = tmp_path / "nolabels.txt"
    else:
        label_file = _write_labels(tmp_path / "labels.txt", labels) if labels else None
    with pytest.raises(ModelLoadError, match=message):
        load_detector(path, labels=label_file)


@pytest.mark.parametrize(
    "frame",
    [
        np.zeros((64, 64), np.uint8),
        np.zeros((64, 64, 4), np.uint8),
        np.zeros((64, 64, 3), np.float32),
        np.zeros((0, 64, 3), np.uint8),
    ],
)
def test_bad_frame_raises(tmp_path, frame):
    path = constant_model(
        tmp_path / "u.onnx",
        ultralytics_rows([], [], [], nc=1),
        Size(64, 64),
        1,
        {"names": "{0: 'a'}"},
    )
    with pytest.raises(DetectorError, match="frame 1: expected a \\(H, W, 3\\) uint8 BGR image"):
        load_detector(path).detect([_frame(64, 64), frame])


def _fails_on_batch_of_one(tmp_path: Path) -> Path:
    rows = ultralytics_rows([(1, 1, 9, 9)], [0], [0.9], nc=1)
    return constant_model(
        tmp_path / "u.onnx",
        rows,
        Size(64, 64),
        "batch",
        {"names": "{0: 'a'}"},
        batch_shape=(2, 1, 1),
    )


def _output_batch_pinned_to_one(tmp_path: Path) -> Path:
    """Declares a dynamic batch but always returns one image's output (a broken re-export)."""
    rows = ultralytics_rows([(1, 1, 9, 9)], [0], [0.9], nc=1)
    return _save_model(
        tmp_path / "u.onnx",
        [helper.make_node("Identity", ["constant"], ["output0"])],
        [numpy_helper.from_array(rows[None], "constant")],
        ["batch", 3, 64, 64],
        ["batch", 5, 8],
        {"names": "{0: 'a'}"},
    )


@pytest.mark.parametrize(
    ("make_model", "frames", "message"),
    [
        (_fails_on_batch_of_one, 1, "inference with .*u\\.onnx failed"),
        (_output_batch_pinned_to_one, 2, r"returned shape \(1, 5, 8\) for a batch of 2"),
    ],
)
def test_inference_failure_raises(tmp_path, make_model, frames, message):
    detector = load_detector(make_model(tmp_path))
    with pytest.raises(DetectorError, match=message):
        detector.detect([_frame(64, 64)] * frames)


def test_measure_fps(tmp_path):
    path = probe_model(tmp_path / "probe.onnx", Layout.ULTRALYTICS, Size(64, 64))
    assert measure_fps(load_detector(path), _frame(128, 96), batch=2, seconds=0.0) > 0


# --- the real YOLOX-Nano model (../shared) ----------------------------------------------------

needs_yolox = pytest.mark.skipif(
    not (YOLOX_NANO.is_file() and COCO_LABELS.is_file()), reason="../shared YOLOX-Nano model absent"
)


@pytest.fixture(scope="module")
def yolox_nano() -> OnnxDetector:
    return load_detector(YOLOX_NANO, labels=COCO_LABELS, threads=1)


@pytest.fixture(scope="module")
def person_frames() -> list[np.ndarray]:
    if not PERSON_CLIP.is_file():
        pytest.skip("../shared person clip absent")
    capture = cv2.VideoCapture(str(PERSON_CLIP))
    frames = []
    try:
        for index in range(max(PERSON_FRAMES) + 1):
            ok, frame = capture.read()
            assert ok, f"cannot decode frame {index} of {PERSON_CLIP}"
            if index in PERSON_FRAMES:
                frames.append(frame)
    finally:
        capture.release()
    return frames


@pytest.mark.shared
@needs_yolox
def test_yolox_nano_spec(yolox_nano):
    assert (yolox_nano.layout, yolox_nano.input_size, yolox_nano.max_batch) == (
        Layout.YOLOX,
        Size(416, 416),
        1,
    )
    assert len(yolox_nano.class_names) == 80 and yolox_nano.path == YOLOX_NANO


@pytest.mark.shared
@needs_yolox
@pytest.mark.parametrize("frame_index", range(len(PERSON_FRAMES)))
def test_yolox_nano_finds_person_in_clip(yolox_nano, person_frames, frame_index):
    frame = person_frames[frame_index]
    people = yolox_nano.detect([frame])[0].of_class("person")
    assert len(people) >= 1 and people.confidence.max() > 0.6
    x1, y1, x2, y2 = people.xyxy[people.confidence.argmax()]
    # She stands right of centre and fills most of the frame's height (768x432 frame).
    assert 300 < (x1 + x2) / 2 < 560 and y2 - y1 > 250


@pytest.mark.shared
@needs_yolox
def test_yolox_nano_finds_motorbike(yolox_nano):
    if not MOTORBIKE_IMAGE.is_file():
        pytest.skip("../shared COCO image absent")
    image = cv2.imread(str(MOTORBIKE_IMAGE))
    bikes = yolox_nano.detect([image])[0].of_class("motorbike")
    assert len(bikes) >= 1 and bikes.confidence.max() > 0.8
    x1, y1, x2, y2 = bikes.xyxy[bikes.confidence.argmax()]
    assert 0 <= x1 < x2 <= image.shape[1] and 0 <= y1 < y2 <= image.shape[0]
    assert 300 < (x1 + x2) / 2 < 400 and 200 < (y1 + y2) / 2 < 300


@pytest.mark.shared
@needs_yolox
def test_yolox_nano_batch_of_three_matches_single_calls(yolox_nano, person_frames):
    frames = list(person_frames)
    if MOTORBIKE_IMAGE.is_file():
        frames[1] = cv2.imread(str(MOTORBIKE_IMAGE))  # mixed frame sizes in one call
    batched = yolox_nano.detect(frames)
    _assert_same(batched, [yolox_nano.detect([f])[0] for f in frames])
    assert all(len(r) > 0 for r in batched)
