"""Tiny real ONNX models for tests: fixed outputs, run by the real onnxruntime."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def ultralytics_constant_model(
    path: Path,
    boxes: Sequence[tuple[float, float, float, float]],
    classes: Sequence[int],
    scores: Sequence[float],
    names: Sequence[str],
    input_size: tuple[int, int] = (320, 320),
    anchors: int = 8,
) -> Path:
    """An Ultralytics-layout model (output [batch, 4+nc, anchors], dynamic batch, ``names`` in its
    metadata) that finds the same xyxy ``boxes`` (input pixels) in every image."""
    nc = len(names)
    rows = np.zeros((4 + nc, anchors), np.float32)
    for i, ((x1, y1, x2, y2), c, s) in enumerate(zip(boxes, classes, scores, strict=True)):
        rows[:4, i] = [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1]
        rows[4 + c, i] = s
    width, height = input_size
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean"], axes=[1, 2, 3], keepdims=1),
        helper.make_node("Reshape", ["mean", "batch_shape"], ["mean3"]),
        helper.make_node("Mul", ["mean3", "zero"], ["zeros"]),
        helper.make_node("Add", ["constant", "zeros"], ["output0"]),
    ]
    inits = [
        numpy_helper.from_array(np.array([-1, 1, 1], np.int64), "batch_shape"),
        numpy_helper.from_array(np.zeros(1, np.float32), "zero"),
        numpy_helper.from_array(rows[None], "constant"),
    ]
    graph = helper.make_graph(
        nodes,
        "constant",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 3, height, width])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, ["batch", 4 + nc, anchors])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    model.metadata_props.add(key="names", value=repr(dict(enumerate(names))))
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path
