"""Tiny real ONNX models for tests: fixed outputs, run by the real onnxruntime."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

Box = tuple[float, float, float, float]


def ultralytics_constant_model(
    path: Path,
    boxes: Sequence[Box],
    classes: Sequence[int],
    scores: Sequence[float],
    names: Sequence[str],
    input_size: tuple[int, int] = (320, 320),
    anchors: int = 8,
) -> Path:
    """An Ultralytics-layout model (output [batch, 4+nc, anchors], dynamic batch, ``names`` in its
    metadata) that finds the same xyxy ``boxes`` (input pixels) in every image."""
    rows = _rows(boxes, classes, scores, len(names), anchors)
    return _save(path, _constant_nodes("output0"), _constant_inits(rows), names, input_size)


def ultralytics_failing_model(
    path: Path,
    boxes: Sequence[Box],
    classes: Sequence[int],
    scores: Sequence[float],
    names: Sequence[str],
    fails_above: float,
    input_size: tuple[int, int] = (320, 320),
    anchors: int = 8,
) -> Path:
    """Like :func:`ultralytics_constant_model`, except on a batch whose mean input value (0..1
    after the detector's scaling, letterbox padding included) is above ``fails_above``: then it
    returns a [batch, 3] tensor instead of its declared [batch, 4+nc, anchors]. A model that
    breaks at run time on some pictures; onnxruntime runs it, the detector must refuse it."""
    rows = _rows(boxes, classes, scores, len(names), anchors)
    good = helper.make_graph(
        _constant_nodes("good"),
        "good",
        [],
        [helper.make_tensor_value_info("good", TensorProto.FLOAT, None)],
    )
    broken = helper.make_graph(
        [helper.make_node("ReduceMean", ["images"], ["broken"], axes=[2, 3], keepdims=0)],
        "broken",
        [],
        [helper.make_tensor_value_info("broken", TensorProto.FLOAT, None)],
    )
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["overall"], keepdims=0),
        helper.make_node("Greater", ["overall", "fails_above"], ["bright"]),
        helper.make_node("If", ["bright"], ["output0"], then_branch=broken, else_branch=good),
    ]
    inits = [
        *_constant_inits(rows),
        numpy_helper.from_array(np.array(fails_above, np.float32), "fails_above"),
    ]
    return _save(path, nodes, inits, names, input_size)


def _rows(
    boxes: Sequence[Box], classes: Sequence[int], scores: Sequence[float], nc: int, anchors: int
) -> NDArray[np.float32]:
    """The (4+nc, anchors) output of one image: cx, cy, w, h, then one score row per class."""
    rows = np.zeros((4 + nc, anchors), np.float32)
    for i, ((x1, y1, x2, y2), c, s) in enumerate(zip(boxes, classes, scores, strict=True)):
        rows[:4, i] = [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1]
        rows[4 + c, i] = s
    return rows


def _constant_nodes(output: str) -> list[onnx.NodeProto]:
    """``constant`` (1, 4+nc, anchors) broadcast to the batch of ``images`` as ``output``."""
    return [
        helper.make_node("ReduceMean", ["images"], ["mean"], axes=[1, 2, 3], keepdims=1),
        helper.make_node("Reshape", ["mean", "batch_shape"], ["mean3"]),
        helper.make_node("Mul", ["mean3", "zero"], ["zeros"]),
        helper.make_node("Add", ["constant", "zeros"], [output]),
    ]


def _constant_inits(rows: NDArray[np.float32]) -> list[onnx.TensorProto]:
    return [
        numpy_helper.from_array(np.array([-1, 1, 1], np.int64), "batch_shape"),
        numpy_helper.from_array(np.zeros(1, np.float32), "zero"),
        numpy_helper.from_array(rows[None], "constant"),
    ]


def _save(
    path: Path,
    nodes: list[onnx.NodeProto],
    inits: list[onnx.TensorProto],
    names: Sequence[str],
    input_size: tuple[int, int],
) -> Path:
    """The graph of ``nodes`` as a model with input ``images`` [batch, 3, h, w] and output
    ``output0`` [batch, 4+nc, anchors] (as declared), ``names`` in its metadata."""
    width, height = input_size
    anchors = next(i.dims[-1] for i in inits if i.name == "constant")
    graph = helper.make_graph(
        nodes,
        "constant",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 3, height, width])],
        [
            helper.make_tensor_value_info(
                "output0", TensorProto.FLOAT, ["batch", 4 + len(names), anchors]
            )
        ],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    model.metadata_props.add(key="names", value=repr(dict(enumerate(names))))
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path
