"""What an ONNX detector expects and returns, read from its session and metadata."""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from vision.decoders import YOLOX_STRIDES, Layout, YoloxGrid
from vision.errors import ModelLoadError
from vision.letterbox import Size

DEFAULT_INPUT_SIDE = 640
DEFAULT_STRIDE = 32
"""The largest stride of YOLO-family detectors (Ultralytics writes its own in the metadata)."""
Dim = int | str | None
"""An ONNX dimension: a number, a symbolic name, or unknown."""


@dataclass(frozen=True)
class ModelSpec:
    """The parts of a model the detector needs.

    Attributes:
        layout: which decoder the output needs.
        input_name: name of the image input.
        input_dtype: numpy dtype of the image input (float32, or float16 for half exports).
        input_size: model input size in pixels: a fixed-size model's only size; for a model with
            a dynamic height and width, the size it was exported at (metadata ``imgsz``).
        dynamic_size: the input's height and width are both dynamic (symbolic or unknown), so
            any multiple of ``stride`` runs (fully convolutional YOLO exports).
        stride: the model's largest stride in pixels; dynamic input sides must be multiples.
        batch: the static batch size, or None when the batch dimension is dynamic.
        output_name: name of the detection output (the first output).
        class_names: the model's class names, index = class id.
    """

    layout: Layout
    input_name: str
    input_dtype: type[np.floating]
    input_size: Size
    batch: int | None
    output_name: str
    class_names: tuple[str, ...]
    dynamic_size: bool = False
    stride: int = DEFAULT_STRIDE


def read_model_spec(session: ort.InferenceSession, path: Path, labels: Path | None) -> ModelSpec:
    """Inspect ``session`` (loaded from ``path``); ``labels`` overrides metadata class names."""
    metadata = session.get_modelmeta().custom_metadata_map
    image_input = session.get_inputs()[0]
    input_shape: list[Dim] = list(image_input.shape)
    if len(input_shape) != 4 or (isinstance(input_shape[1], int) and input_shape[1] != 3):
        raise ModelLoadError(
            f"{path}: expected an image input [batch, 3, height, width], got {_fmt(input_shape)}"
        )
    input_size = _input_size(input_shape, metadata, path)
    output = session.get_outputs()[0]
    output_shape: list[Dim] = list(output.shape)
    meta_names = _metadata_names(metadata, path)
    label_names = read_labels(labels) if labels is not None else None
    layout = choose_layout(output_shape, input_size, meta_names, label_names, path)
    class_names = label_names or meta_names
    if class_names is None:
        raise ModelLoadError(
            f"{path}: {layout} model without class names (no 'names' in its metadata); "
            "pass a labels file, one name a line"
        )
    _check_class_count(layout, output_shape, input_size, class_names, path)
    batch = input_shape[0]
    return ModelSpec(
        layout=layout,
        input_name=image_input.name,
        input_dtype=np.float16 if image_input.type == "tensor(float16)" else np.float32,
        input_size=input_size,
        batch=batch if isinstance(batch, int) and batch > 0 else None,
        output_name=output.name,
        class_names=class_names,
        dynamic_size=not any(_is_size(d) for d in input_shape[2:]),
        stride=_stride(metadata, path),
    )


def _is_size(dim: Dim) -> bool:
    return isinstance(dim, int) and dim > 0


def _stride(metadata: Mapping[str, str], path: Path) -> int:
    """The largest stride: Ultralytics' metadata ``stride``, else :data:`DEFAULT_STRIDE`."""
    text = metadata.get("stride")
    if text is None:
        return DEFAULT_STRIDE
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError) as exc:
        raise ModelLoadError(f"{path}: cannot parse metadata stride {text!r}") from exc
    strides = value if isinstance(value, list | tuple) else [value]
    if not strides or not all(isinstance(v, int) and v > 0 for v in strides):
        raise ModelLoadError(f"{path}: metadata stride {text!r} is not a positive integer")
    return max(strides)


def choose_layout(
    shape: Sequence[Dim],
    input_size: Size,
    meta_names: tuple[str, ...] | None,
    label_names: tuple[str, ...] | None,
    path: Path,
) -> Layout:
    """The decoder for an output of ``shape``.

    Shapes alone are often ambiguous ([1, 84, 8400] could be YOLOX with 8400 - 5 classes), so:
    metadata class names decide first (Ultralytics writes them), then a labels file's class
    count, then which dimension holds the stride 8/16/32 anchor count, then the larger
    dimension is taken as the anchors.
    """
    if len(shape) != 3:
        raise _unknown_layout(shape, path)
    channels, last = shape[1], shape[2]
    ultralytics = isinstance(channels, int) and channels >= 5
    yolox = isinstance(last, int) and last >= 6
    anchors = YoloxGrid.for_input(input_size, YOLOX_STRIDES).anchors
    if meta_names is not None:
        if ultralytics and channels == 4 + len(meta_names):
            return Layout.ULTRALYTICS
        if last == 6 and channels != anchors:
            return Layout.ULTRALYTICS_NMS
        if yolox and last == 5 + len(meta_names):
            return Layout.YOLOX
        raise ModelLoadError(
            f"{path}: output {_fmt(shape)} does not fit the {len(meta_names)} class names in its "
            "metadata, expected Ultralytics [batch, 4+nc, anchors] or YOLOX [batch, anchors, 5+nc]"
        )
    if ultralytics and yolox:
        return _break_tie(channels, last, anchors, label_names)
    if ultralytics:
        return Layout.ULTRALYTICS
    if yolox:
        return Layout.YOLOX
    raise _unknown_layout(shape, path)


def _break_tie(channels: Dim, last: Dim, anchors: int, labels: tuple[str, ...] | None) -> Layout:
    if labels is not None and (channels == 4 + len(labels)) != (last == 5 + len(labels)):
        return Layout.ULTRALYTICS if channels == 4 + len(labels) else Layout.YOLOX
    if (last == anchors) != (channels == anchors):
        return Layout.ULTRALYTICS if last == anchors else Layout.YOLOX
    assert isinstance(channels, int) and isinstance(last, int)
    return Layout.ULTRALYTICS if last > channels else Layout.YOLOX


def read_labels(path: Path) -> tuple[str, ...]:
    """Class names from a text file, one a line (blank lines ignored)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelLoadError(f"cannot read labels file {path}: {exc}") from exc
    names = tuple(line.strip() for line in text.splitlines() if line.strip())
    if not names:
        raise ModelLoadError(f"labels file {path} holds no class names")
    return names


def _check_class_count(
    layout: Layout, shape: Sequence[Dim], input_size: Size, names: tuple[str, ...], path: Path
) -> None:
    if layout is Layout.ULTRALYTICS_NMS:
        return
    channels = shape[1] if layout is Layout.ULTRALYTICS else shape[2]
    assert isinstance(channels, int)  # choose_layout picks a layout only on a static class axis
    nc = channels - 4 if layout is Layout.ULTRALYTICS else channels - 5
    if len(names) != nc:
        raise ModelLoadError(
            f"{path}: {len(names)} class names given but the {layout} output {_fmt(shape)} "
            f"has {nc} classes"
        )
    if layout is Layout.YOLOX and isinstance(shape[1], int):
        expected = YoloxGrid.for_input(input_size).anchors
        if shape[1] != expected:
            raise ModelLoadError(
                f"{path}: YOLOX output {_fmt(shape)} has {shape[1]} anchors, expected {expected} "
                f"for a {input_size.width}x{input_size.height} input with strides {YOLOX_STRIDES}"
            )


def _input_size(shape: Sequence[Dim], metadata: Mapping[str, str], path: Path) -> Size:
    height, width = shape[2], shape[3]
    if _is_size(height) and _is_size(width):
        assert isinstance(height, int) and isinstance(width, int)
        return Size(width, height)
    if "imgsz" not in metadata:
        return Size(DEFAULT_INPUT_SIDE, DEFAULT_INPUT_SIDE)
    try:
        imgsz = ast.literal_eval(metadata["imgsz"])
    except (ValueError, SyntaxError) as exc:
        raise ModelLoadError(f"{path}: cannot parse metadata imgsz {metadata['imgsz']!r}") from exc
    if isinstance(imgsz, int):
        return Size(imgsz, imgsz)
    if (
        isinstance(imgsz, list | tuple)
        and len(imgsz) == 2
        and all(isinstance(v, int) for v in imgsz)
    ):
        return Size(width=imgsz[1], height=imgsz[0])  # Ultralytics writes [height, width]
    raise ModelLoadError(f"{path}: metadata imgsz {metadata['imgsz']!r} is not a size")


def _metadata_names(metadata: Mapping[str, str], path: Path) -> tuple[str, ...] | None:
    """Class names from Ultralytics metadata, e.g. ``"{0: 'ebike', 1: 'bicycle'}"``."""
    if "names" not in metadata:
        return None
    try:
        value = ast.literal_eval(metadata["names"])
    except (ValueError, SyntaxError) as exc:
        raise ModelLoadError(
            f"{path}: cannot parse metadata names {metadata['names'][:80]!r}"
        ) from exc
    if isinstance(value, dict) and sorted(value) == list(range(len(value))):
        value = [value[i] for i in range(len(value))]
    if (
        not isinstance(value, list | tuple)
        or not value
        or not all(isinstance(v, str) for v in value)
    ):
        raise ModelLoadError(
            f"{path}: metadata names must map 0..n-1 to strings, got {metadata['names'][:80]!r}"
        )
    return tuple(value)


def _unknown_layout(shape: Sequence[Dim], path: Path) -> ModelLoadError:
    return ModelLoadError(
        f"{path}: unknown output layout {_fmt(shape)}, expected Ultralytics [batch, 4+nc, anchors] "
        "or YOLOX [batch, anchors, 5+nc]"
    )


def _fmt(shape: Sequence[Dim]) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"
