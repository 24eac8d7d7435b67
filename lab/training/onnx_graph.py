"""Edits of exported detector graphs with :mod:`onnx` alone (no torch needed)."""

from __future__ import annotations

import ast

import onnx

from lab.training.errors import ExportError

BATCH_DIM = "batch"
HEIGHT_DIM = "height"
WIDTH_DIM = "width"


def fix_spatial_size(
    model: onnx.ModelProto, height: int | str, width: int | str
) -> onnx.ModelProto:
    """Set the image input to ``[batch, 3, height, width]``: pixels pin a side, a name keeps it
    dynamic (:data:`HEIGHT_DIM`, :data:`WIDTH_DIM`); the batch axis stays dynamic.

    Shape information inside the graph and on the outputs is cleared (except the batch axis),
    so a later simplifier re-infers it and folds the shape arithmetic a fully dynamic export
    carries. Returns the same (edited) model.
    """
    image = model.graph.input[0]
    dims = image.type.tensor_type.shape.dim
    if len(dims) != 4:
        raise ExportError(f"expected a 4-D image input, got {len(dims)} dimensions")
    _set_dim(dims[0], BATCH_DIM)
    for dim, value in ((dims[1], 3), (dims[2], height), (dims[3], width)):
        _set_dim(dim, value)
    del model.graph.value_info[:]
    for output in model.graph.output:
        out_dims = output.type.tensor_type.shape.dim
        for index, dim in enumerate(out_dims):
            if index == 0:
                _set_dim(dim, BATCH_DIM)
            else:
                dim.Clear()
    return model


def _set_dim(dim: onnx.TensorShapeProto.Dimension, value: int | str) -> None:
    dim.Clear()
    if isinstance(value, int):
        dim.dim_value = value
    else:
        dim.dim_param = value


def read_metadata(model: onnx.ModelProto) -> dict[str, str]:
    """The model's ``metadata_props`` as a dict."""
    return {prop.key: prop.value for prop in model.metadata_props}


def copy_metadata(source: onnx.ModelProto, target: onnx.ModelProto) -> None:
    """Give ``target`` every ``metadata_props`` entry of ``source`` (overwriting same keys)."""
    merged = {**read_metadata(target), **read_metadata(source)}
    del target.metadata_props[:]
    for key, value in merged.items():
        prop = target.metadata_props.add()
        prop.key, prop.value = key, value


def metadata_names(metadata: dict[str, str]) -> tuple[str, ...]:
    """Class names from Ultralytics' ``names`` metadata, e.g. ``"{0: 'ebike', 1: 'cable'}"``."""
    if "names" not in metadata:
        raise ExportError("the model has no 'names' metadata")
    value = ast.literal_eval(metadata["names"])
    if isinstance(value, dict):
        value = [value[i] for i in range(len(value))]
    return tuple(str(v) for v in value)


def name_unnamed_nodes(model: onnx.ModelProto) -> None:
    """Give every unnamed node a unique name (quantization excludes nodes by name)."""
    taken = {node.name for node in model.graph.node}
    for index, node in enumerate(model.graph.node):
        if not node.name:
            name = f"{node.op_type}_{index}"
            while name in taken:
                name += "_"
            node.name = name
            taken.add(name)


def float_tail_nodes(model: onnx.ModelProto) -> tuple[str, ...]:
    """Names of the nodes after the detection head's last convolutions: the box/score decode.

    The decode concatenates box coordinates in pixels (0..imgsz) with class scores (0..1);
    one int8 scale over both rounds every score to zero, so these nodes must stay float.
    Walks back from the graph outputs and stops at convolutions, except the DFL convolution
    (a fixed 1x1 conv fed by a Softmax), which is part of the decode.
    Run :func:`name_unnamed_nodes` first: unnamed nodes cannot be excluded.
    """
    producer = {output: node for node in model.graph.node for output in node.output}
    tail: dict[int, onnx.NodeProto] = {}
    stack = [producer[o.name] for o in model.graph.output if o.name in producer]
    while stack:
        node = stack.pop()
        if id(node) in tail or (node.op_type == "Conv" and not _is_dfl(node, producer)):
            continue
        tail[id(node)] = node
        stack.extend(producer[i] for i in node.input if i in producer)
    return tuple(node.name for node in tail.values())


def _is_dfl(node: onnx.NodeProto, producer: dict[str, onnx.NodeProto]) -> bool:
    source = producer.get(node.input[0])
    return source is not None and source.op_type == "Softmax"
