"""Look at an exported detector with onnxruntime: shapes, names, batch sizes, latency."""

from __future__ import annotations

import ast
import itertools
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from lab.training.errors import ExportError
from lab.training.onnx_graph import metadata_names, read_metadata
from vision.detector import disable_telemetry

Dim = int | str
"""A dimension: a size, or the name of a dynamic axis."""

DETECT_STRIDES = (8, 16, 32)


@dataclass(frozen=True)
class OnnxModelInfo:
    """What an exported detector takes and returns.

    Attributes:
        input_shape: ``[batch, 3, height, width]``; a dynamic axis shows as its name.
        output_shape: ``[batch, 4 + classes, anchors]`` for Ultralytics detectors.
        input_size: (height, width) in pixels the model expects.
        names: class names from the metadata, index = class id.
    """

    path: Path
    size_bytes: int
    opset: int
    input_name: str
    input_shape: tuple[Dim, ...]
    output_shape: tuple[Dim, ...]
    input_size: tuple[int, int]
    names: tuple[str, ...]
    metadata: dict[str, str]

    @property
    def size_mb(self) -> float:
        """File size in MiB."""
        return self.size_bytes / 2**20


@dataclass(frozen=True)
class Latency:
    """onnxruntime CPU latency of one model at one batch size, in milliseconds."""

    batch: int
    median_ms: float
    p90_ms: float
    runs: int
    threads: int


def describe_onnx(path: Path) -> OnnxModelInfo:
    """Shapes, size, opset and names of the model at ``path``."""
    model = onnx.load(str(path), load_external_data=False)
    metadata = read_metadata(model)
    session = _session(path, threads=1)
    image, output = session.get_inputs()[0], session.get_outputs()[0]
    opset = max((o.version for o in model.opset_import if o.domain in {"", "ai.onnx"}), default=0)
    return OnnxModelInfo(
        path=path,
        size_bytes=path.stat().st_size,
        opset=opset,
        input_name=image.name,
        input_shape=_dims(image.shape),
        output_shape=_dims(output.shape),
        input_size=_input_size(_dims(image.shape), metadata),
        names=metadata_names(metadata),
        metadata=metadata,
    )


def check_batches(info: OnnxModelInfo, batches: tuple[int, ...] = (1, 3)) -> None:
    """Run ``info``'s model at each batch size; raise :class:`ExportError` on a wrong output.

    Expects ``[batch, 4 + len(names), anchors]``, anchors from strides 8/16/32. A model with a
    dynamic height and width is also run at a 16:9 input of the same width (e.g. 320x192).
    """
    session = _session(info.path, threads=1)
    height, width = info.input_size
    sizes = [(height, width)]
    if not isinstance(info.input_shape[2], int) and not isinstance(info.input_shape[3], int):
        stride = max(DETECT_STRIDES)
        sizes.append((-(-width * 9 // (16 * stride)) * stride, width))
    for (rows, cols), batch in itertools.product(sizes, batches):
        anchors = sum((rows // s) * (cols // s) for s in DETECT_STRIDES)
        image = np.zeros((batch, 3, rows, cols), np.float32)
        shape = session.run(None, {info.input_name: image})[0].shape
        if shape != (batch, 4 + len(info.names), anchors):
            raise ExportError(
                f"{info.path}: batch {batch} at {cols}x{rows} gave output {list(shape)}, "
                f"expected [{batch}, {4 + len(info.names)}, {anchors}]"
            )


def measure_latency(
    info: OnnxModelInfo, batch: int = 1, runs: int = 30, warmup: int = 5, threads: int = 0
) -> Latency:
    """Median and p90 latency of ``runs`` runs on random input (``threads=0``: ort's default)."""
    session = _session(info.path, threads=threads)
    height, width = info.input_size
    image = np.random.default_rng(0).random((batch, 3, height, width), np.float32)
    for _ in range(warmup):
        session.run(None, {info.input_name: image})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, {info.input_name: image})
        times.append((time.perf_counter() - start) * 1000)
    p90 = float(np.percentile(times, 90))
    return Latency(batch, round(statistics.median(times), 2), round(p90, 2), runs, threads)


def _session(path: Path, threads: int) -> ort.InferenceSession:
    disable_telemetry()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own non-exported exception types
        raise ExportError(f"onnxruntime cannot load {path}: {exc}") from exc


def _dims(shape: list[int | str | None]) -> tuple[Dim, ...]:
    return tuple("?" if d is None else d for d in shape)


def _input_size(shape: tuple[Dim, ...], metadata: dict[str, str]) -> tuple[int, int]:
    height, width = shape[2], shape[3]
    if isinstance(height, int) and isinstance(width, int):
        return height, width
    imgsz = ast.literal_eval(metadata.get("imgsz", "None"))
    if isinstance(imgsz, int):
        return imgsz, imgsz
    if isinstance(imgsz, list | tuple) and len(imgsz) == 2:
        return int(imgsz[0]), int(imgsz[1])
    raise ExportError(f"input size unknown: dynamic input {list(shape)} and no 'imgsz' metadata")
