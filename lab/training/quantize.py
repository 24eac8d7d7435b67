"""Static int8 quantization (QDQ) of an exported detector with onnxruntime.

Calibration images go through exactly the detector's preprocessing
(:func:`vision.letterbox.letterbox_batch` with the Ultralytics convention: centred letterbox
padded with 114, RGB, /255, NCHW), so the activation ranges match what the model sees at run
time. Weights are quantized per channel; the box/score decode after the head stays float
(:func:`~lab.training.onnx_graph.float_tail_nodes`). Needs no torch.
"""

from __future__ import annotations

import importlib.util
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import onnx
from numpy.typing import NDArray
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

from lab.training.errors import QuantizationError
from lab.training.onnx_graph import copy_metadata, float_tail_nodes, name_unnamed_nodes
from vision.letterbox import InputConvention, Size, letterbox_batch, plan_letterbox

LOG = logging.getLogger(__name__)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
CALIBRATION_FLUSH = 16  # images whose activations are held before ranges are folded (memory bound)


class LetterboxCalibrationReader(CalibrationDataReader):
    """Feeds calibration images one at a time as ``{input_name: (1, 3, H, W) float32}``.

    Images are read lazily; unreadable files are skipped with a warning.
    """

    def __init__(self, images: Sequence[Path], input_name: str, input_size: Size):
        if not images:
            raise QuantizationError("no calibration images given")
        self.images = tuple(images)
        self.input_name = input_name
        self.input_size = input_size
        self.fed = 0
        self._next = 0

    def get_next(self) -> dict[str, NDArray[np.float32]] | None:
        """The next image's input tensor, or None when all were fed."""
        while self._next < len(self.images):
            path = self.images[self._next]
            self._next += 1
            frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if frame is None:
                LOG.warning("skipping unreadable calibration image %s", path)
                continue
            self.fed += 1
            return {
                self.input_name: preprocess(frame.astype(np.uint8, copy=False), self.input_size)
            }
        return None

    def rewind(self) -> None:
        """Start over from the first image."""
        self._next = 0
        self.fed = 0


def preprocess(frame: NDArray[np.uint8], input_size: Size) -> NDArray[np.float32]:
    """One BGR frame -> (1, 3, H, W) float32, as the detector prepares Ultralytics models."""
    height, width = frame.shape[:2]
    plan = plan_letterbox(Size(width, height), input_size, InputConvention.ultralytics().placement)
    return letterbox_batch([frame], [plan], input_size, InputConvention.ultralytics())


def list_calibration_images(folder: Path, count: int) -> tuple[Path, ...]:
    """Up to ``count`` images under ``folder`` (recursive), spread evenly over the sorted list."""
    if not folder.is_dir():
        raise QuantizationError(f"calibration folder not found: {folder}")
    found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not found:
        raise QuantizationError(f"no images ({', '.join(IMAGE_SUFFIXES)}) under {folder}")
    if count <= 0:
        raise QuantizationError(f"calibration count must be positive, got {count}")
    if len(found) <= count:
        return tuple(found)
    picks = np.linspace(0, len(found) - 1, count).round().astype(int)
    return tuple(found[i] for i in picks)


def quantize_int8(
    fp32_model: Path,
    out: Path,
    images: Sequence[Path],
    input_size: Size,
    input_name: str = "images",
) -> Path:
    """Write a static int8 QDQ copy of ``fp32_model``, metadata included, to ``out``; returns it.

    Args:
        fp32_model: the float ONNX detector.
        out: where the quantized model goes.
        images: calibration images (BGR files any size), e.g. from :func:`list_calibration_images`.
        input_size: the model's input size in pixels.
        input_name: the image input's name.
    """
    source = onnx.load(str(fp32_model))
    with tempfile.TemporaryDirectory(prefix="stairwatch-quant-") as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        _pre_process(fp32_model, prepared)
        model = onnx.load(str(prepared))
        name_unnamed_nodes(model)
        excluded = float_tail_nodes(model)
        onnx.save(model, str(prepared))
        reader = LetterboxCalibrationReader(images, input_name, input_size)
        out.parent.mkdir(parents=True, exist_ok=True)
        quantize_static(
            str(prepared),
            str(out),
            reader,
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            # 7-bit weights: on CPUs with AVX2 but without VNNI, onnxruntime multiplies u8 by s8
            # with VPMADDUBSW, whose 16-bit sums saturate with full-range weights (boxes off by
            # a third of the input on a tiny test model); VNNI machines lose next to nothing.
            reduce_range=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=list(excluded),
            calibrate_method=CalibrationMethod.MinMax,
            extra_options={"CalibMaxIntermediateOutputs": CALIBRATION_FLUSH},
        )
    if reader.fed == 0:
        raise QuantizationError("none of the calibration images could be read")
    quantized = onnx.load(str(out))
    copy_metadata(source, quantized)
    onnx.save(quantized, str(out))
    return out


def _pre_process(model: Path, target: Path) -> None:
    """onnxruntime's recommended shape inference and graph optimisation before quantizing.

    Symbolic shape inference (needs sympy) is tried first; where it cannot finish (or sympy is
    missing) plain ONNX shape inference is used, which is enough for a fixed-size detector.
    Takes a file: given a ModelProto, onnxruntime 1.32 loses its weights on the second path.
    """
    if importlib.util.find_spec("sympy") is not None:
        try:
            quant_pre_process(str(model), str(target), auto_merge=True)
            return
        except Exception as exc:  # onnxruntime raises plain Exception here
            LOG.warning("symbolic shape inference failed (%s); using ONNX shape inference", exc)
    try:
        quant_pre_process(str(model), str(target), skip_symbolic_shape=True)
    except Exception as exc:
        raise QuantizationError(f"quantization pre-processing failed: {exc}") from exc
