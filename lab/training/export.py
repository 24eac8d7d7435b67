"""Export trained Ultralytics weights to ONNX: dynamic batch, height and width, class names.

Ultralytics' ``dynamic=True`` makes batch, height and width dynamic, and leaves shape arithmetic
(anchor grids, strides) in the graph. The input is renamed ``[batch, 3, height, width]`` with
:func:`fix_spatial_size` and onnxslim folds what it can. Dynamic height and width let the
detector feed a 640x360 camera as 320x192 instead of padding it to 320x320 (vision/detector.py,
"rectangular input"); ``fixed_size=True`` pins both to ``imgsz`` instead, for runtimes that need
a static input.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import onnx

from lab.training.errors import ExportError
from lab.training.onnx_graph import HEIGHT_DIM, WIDTH_DIM, fix_spatial_size

LOG = logging.getLogger(__name__)
MIN_OPSET = 17


def export_fp32(
    weights: Path, out: Path, imgsz: int, opset: int = MIN_OPSET, fixed_size: bool = False
) -> Path:
    """Export ``weights`` (.pt) to ``out`` (.onnx); returns ``out``.

    Args:
        weights: Ultralytics weights.
        out: the .onnx to write.
        imgsz: the square input side in pixels (a multiple of 32): the metadata ``imgsz`` and
            the size calibration and checks use; with ``fixed_size`` the only size accepted.
        opset: ONNX opset, >= 17.
        fixed_size: pin height and width to ``imgsz`` (else both stay dynamic: any multiple of
            the model's stride, 32, runs).

    Needs the ``train`` extra and :func:`~lab.training.offline.prepare_offline` first.
    The Ultralytics metadata (``names``, ``imgsz``, ``stride``, ...) is kept.
    """
    if opset < MIN_OPSET:
        raise ExportError(f"opset must be >= {MIN_OPSET}, got {opset}")
    if not weights.is_file():
        raise ExportError(f"weights not found: {weights}")
    with tempfile.TemporaryDirectory(prefix="stairwatch-export-") as tmp:
        raw = _ultralytics_export(weights, Path(tmp), imgsz, opset)
        side: int | None = imgsz if fixed_size else None
        model = _pin_and_slim(onnx.load(str(raw)), side)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out))
    return out


def _ultralytics_export(weights: Path, folder: Path, imgsz: int, opset: int) -> Path:
    """Ultralytics' own export of a copy of ``weights`` in ``folder`` (it writes beside them)."""
    from ultralytics import YOLO

    copy = folder / weights.name
    shutil.copyfile(weights, copy)
    model = YOLO(str(copy), task="detect")
    if model.task != "detect":
        raise ExportError(f"{weights} is a {model.task} model; stairwatch needs a detector")
    result = model.export(
        format="onnx", imgsz=imgsz, opset=opset, dynamic=True, simplify=False, batch=1, device="cpu"
    )
    exported = Path(str(result))
    if not exported.is_file():
        raise ExportError(f"Ultralytics export of {weights} wrote nothing")
    return exported


def _pin_and_slim(model: onnx.ModelProto, side: int | None) -> onnx.ModelProto:
    """Input ``[batch, 3, side, side]`` (None: named dynamic height and width), then slimmed."""
    import onnxslim

    metadata = list(model.metadata_props)
    if side is None:
        fix_spatial_size(model, HEIGHT_DIM, WIDTH_DIM)
    else:
        fix_spatial_size(model, side, side)
    LOG.info("slimming with onnxslim %s", onnxslim.__version__)
    slim: onnx.ModelProto = onnxslim.slim(model)
    if not slim.metadata_props:
        slim.metadata_props.extend(metadata)
    return slim
