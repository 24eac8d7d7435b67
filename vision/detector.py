"""Object detection with an exported YOLO model (Ultralytics or YOLOX) on onnxruntime.

Usage::

    detector = load_detector(Path("models/stairwatch-default.onnx"))
    detections = detector.detect([frame_a, frame_b])  # one Detections per frame

One :class:`OnnxDetector` holds one onnxruntime session, built once; it holds no per-call
state, so threads may share it and call :meth:`OnnxDetector.detect` concurrently.

Rectangular input: when the model's input height and width are dynamic (a fully convolutional
YOLO exported with dynamic axes), each frame is letterboxed to the smallest input whose long
side is ``input_side`` and whose sides are multiples of the model's stride, so a 640x360 camera
runs as 320x192 (60 % of a 320x320 input's pixels; a third less time per frame for YOLO11n)
instead of 320x180 padded to 320x320. Frames of different shapes in one call run as one batch
per input shape. Fixed-size models get their own (usually square) input, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

from vision.decoders import (
    Candidates,
    Layout,
    YoloxGrid,
    decode_ultralytics,
    decode_ultralytics_nms,
    decode_yolox,
)
from vision.detections import Detections
from vision.errors import DetectorError, ModelLoadError
from vision.letterbox import (
    LetterboxPlan,
    Size,
    boxes_to_source,
    letterbox_batch,
    plan_letterbox,
    rect_input_size,
)
from vision.model_spec import ModelSpec, read_model_spec
from vision.nms import classwise_nms

DEFAULT_MAX_DETECTIONS = 300


class Detector(Protocol):
    """Anything that turns BGR frames into detections over ``class_names``.

    ``detect`` may be called from several threads at once (the service's inference workers).
    """

    @property
    def class_names(self) -> tuple[str, ...]: ...

    def detect(self, frames: Sequence[NDArray[np.uint8]]) -> list[Detections]: ...


class OnnxDetector:
    """A YOLO-family detector on one shared onnxruntime session; build with :func:`load_detector`.
    Stateless between calls: concurrent ``detect`` calls are safe (onnxruntime allows them).

    Attributes:
        path: the model file.
        confidence: minimum score of a returned detection.
        iou: class-wise NMS threshold.
        max_detections: at most this many detections per frame.
        input_side: for a model with a dynamic input, the long side of each frame's input in
            pixels (a multiple of the model's stride); None for a fixed-size model.
    """

    def __init__(
        self,
        session: ort.InferenceSession,
        spec: ModelSpec,
        path: Path,
        confidence: float,
        iou: float,
        max_detections: int,
        input_side: int | None = None,
    ):
        self._session = session
        self._spec = spec
        # One anchor grid per input shape; a racing first fill computes the same grid twice.
        self._grids: dict[Size, YoloxGrid] = {}
        self.input_side = input_side if spec.dynamic_size else None
        self.path = path
        self.confidence = confidence
        self.iou = iou
        self.max_detections = max_detections

    @property
    def class_names(self) -> tuple[str, ...]:
        """The model's class names; ``class_id`` of returned detections indexes these."""
        return self._spec.class_names

    @property
    def input_size(self) -> Size:
        """The largest model input (width, height) in pixels: a fixed-size model's only input,
        else ``input_side`` x ``input_side``; see :meth:`input_size_for` for one frame's."""
        if self.input_side is None:
            return self._spec.input_size
        return Size(self.input_side, self.input_side)

    def input_size_for(self, source: Size) -> Size:
        """The model input (width, height) in pixels a ``source``-sized frame runs at: for a
        dynamic model the smallest stride multiple with long side ``input_side`` that holds
        the frame at its aspect (640x360 at 320 -> 320x192), else the fixed input."""
        if self.input_side is None:
            return self._spec.input_size
        return rect_input_size(source, self.input_side, self._spec.stride)

    @property
    def layout(self) -> Layout:
        """Which output decoder the model uses."""
        return self._spec.layout

    @property
    def max_batch(self) -> int | None:
        """Frames per inference run: the model's static batch size, or None when unbounded."""
        return self._spec.batch

    def detect(self, frames: Sequence[NDArray[np.uint8]]) -> list[Detections]:
        """Detections for each frame, in order.

        Args:
            frames: (H, W, 3) uint8 BGR images, any sizes (they need not match each other).

        Returns:
            One :class:`Detections` per frame, boxes in pixels of that frame, clipped to it,
            best score first.

        Raises:
            DetectorError: a frame is not a BGR uint8 image, or inference failed.
        """
        for index, frame in enumerate(frames):
            _check_frame(index, frame)
        # One batch per input shape (a fixed-size model has one), in order of first appearance.
        groups: dict[Size, list[int]] = {}
        for index, frame in enumerate(frames):
            shape = self.input_size_for(Size(frame.shape[1], frame.shape[0]))
            groups.setdefault(shape, []).append(index)
        found: dict[int, Detections] = {}
        for input_size, indexes in groups.items():
            step = self.max_batch or len(indexes)
            for start in range(0, len(indexes), step):
                chunk = indexes[start : start + step]
                results = self._detect_chunk([frames[i] for i in chunk], input_size)
                found.update(zip(chunk, results, strict=True))
        return [found[index] for index in range(len(frames))]

    def _detect_chunk(
        self, frames: Sequence[NDArray[np.uint8]], input_size: Size
    ) -> list[Detections]:
        """Frames that share ``input_size`` (width, height in pixels) -> one inference run."""
        convention = self.layout.input_convention
        plans = [
            plan_letterbox(Size(f.shape[1], f.shape[0]), input_size, convention.placement)
            for f in frames
        ]
        tensor = letterbox_batch(frames, plans, input_size, convention, self.max_batch)
        output = self._run(tensor.astype(self._spec.input_dtype, copy=False))
        candidates = self._decode(output, input_size)[: len(frames)]
        return [self._finish(c, plan) for c, plan in zip(candidates, plans, strict=True)]

    def _run(self, tensor: NDArray[np.floating]) -> NDArray[np.float32]:
        try:
            (output,) = self._session.run([self._spec.output_name], {self._spec.input_name: tensor})
        except Exception as exc:
            raise DetectorError(f"inference with {self.path} failed: {exc}") from exc
        output = np.asarray(output, np.float32)
        if output.ndim != 3 or output.shape[0] != len(tensor):
            raise DetectorError(
                f"{self.path} returned shape {output.shape} for a batch of {len(tensor)}"
            )
        return output

    def _decode(self, output: NDArray[np.float32], input_size: Size) -> list[Candidates]:
        if self.layout is Layout.YOLOX:
            grid = self._yolox_grid(input_size)
            if output.shape[1] != grid.anchors:
                raise DetectorError(
                    f"{self.path} returned {output.shape[1]} anchors, expected {grid.anchors} "
                    f"for its YOLOX grid at {input_size.width}x{input_size.height}"
                )
            return decode_yolox(output, grid, self.confidence)
        if self.layout is Layout.ULTRALYTICS_NMS:
            return decode_ultralytics_nms(output, self.confidence)
        return decode_ultralytics(output, self.confidence)

    def _yolox_grid(self, input_size: Size) -> YoloxGrid:
        grid = self._grids.get(input_size)
        if grid is None:
            grid = self._grids[input_size] = YoloxGrid.for_input(input_size)
        return grid

    def _finish(self, candidates: Candidates, plan: LetterboxPlan) -> Detections:
        """NMS in input pixels, then boxes back to the source frame."""
        if np.any((candidates.class_id < 0) | (candidates.class_id >= len(self.class_names))):
            raise DetectorError(
                f"{self.path} returned class ids outside its {len(self.class_names)} classes"
            )
        keep = classwise_nms(
            candidates.xyxy, candidates.score, candidates.class_id, self.iou, self.max_detections
        )
        xyxy = boxes_to_source(candidates.xyxy[keep], plan)
        # Boxes that lay wholly in the padding collapse to zero size when clipped.
        visible = (xyxy[:, 2] > xyxy[:, 0]) & (xyxy[:, 3] > xyxy[:, 1])
        return Detections(
            xyxy=xyxy[visible],
            confidence=candidates.score[keep][visible],
            class_id=candidates.class_id[keep][visible],
            class_names=self.class_names,
        )


def load_detector(
    path: Path,
    labels: Path | None = None,
    confidence: float = 0.25,
    iou: float = 0.5,
    threads: int | None = None,
    max_detections: int = DEFAULT_MAX_DETECTIONS,
    input_side: int | None = None,
) -> OnnxDetector:
    """Load an Ultralytics or YOLOX ONNX export for CPU inference.

    Args:
        path: the .onnx file.
        labels: class names, one a line; required for YOLOX exports, optional (and then
            overriding the metadata names) for Ultralytics exports.
        confidence: minimum score of a returned detection, in [0, 1].
        iou: class-wise NMS threshold.
        threads: onnxruntime intra-op threads; None lets onnxruntime choose.
        max_detections: at most this many detections per frame.
        input_side: long side in pixels of the input of a model with a dynamic height and width
            (each frame runs at the smallest input of that long side holding it at its aspect);
            None takes the size the model was exported at. Ignored for fixed-size models.

    Raises:
        ModelLoadError: the file is missing or not ONNX, its output layout is unknown, its
            class names are missing or do not match its class count, or ``input_side`` is not
            a positive multiple of the model's stride.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"model file {path} does not exist")
    if threads is not None and threads < 1:
        raise ModelLoadError(f"threads must be at least 1, got {threads} (loading {path})")
    session = _open_session(path, threads)
    spec = read_model_spec(session, path, labels)
    side = max(spec.input_size) if input_side is None else input_side
    if spec.dynamic_size and (side <= 0 or side % spec.stride):
        raise ModelLoadError(
            f"{path}: input side {side} px is not a positive multiple of the model's stride "
            f"{spec.stride}"
        )
    return OnnxDetector(session, spec, path, confidence, iou, max_detections, side)


def disable_telemetry() -> None:
    """Turn off onnxruntime's telemetry events (sent to the vendor by some builds): the service
    films residents and talks to nobody it was not told to."""
    disable = getattr(ort, "disable_telemetry_events", None)  # absent from some builds
    if disable is not None:
        disable()


def _open_session(path: Path, threads: int | None) -> ort.InferenceSession:
    disable_telemetry()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or 0
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # warnings about unused initialisers are noise here
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        if not _is_onnx(path):
            raise ModelLoadError(f"{path} is not an ONNX model") from exc
        raise ModelLoadError(f"cannot load ONNX model {path}: {exc}") from exc


def _is_onnx(path: Path) -> bool:
    """Whether ``path`` parses as an ONNX model with a graph (onnxruntime's errors do not say)."""
    import onnx  # only on the failure path: a heavy import

    try:
        model = onnx.load_model(str(path), load_external_data=False)
    except Exception:
        return False
    return model.ir_version > 0 and len(model.graph.output) > 0


def _check_frame(index: int, frame: NDArray[np.uint8]) -> None:
    shape = getattr(frame, "shape", None)
    if (
        not isinstance(frame, np.ndarray)
        or frame.dtype != np.uint8
        or frame.ndim != 3
        or frame.shape[2] != 3
        or frame.shape[0] == 0
        or frame.shape[1] == 0
    ):
        raise DetectorError(
            f"frame {index}: expected a (H, W, 3) uint8 BGR image, "
            f"got shape {shape} dtype {getattr(frame, 'dtype', type(frame).__name__)}"
        )
