"""Export trained Ultralytics weights to ONNX: fixed image size, dynamic batch, class names.

Ultralytics' ``dynamic=True`` makes batch, height and width dynamic, which keeps shape
arithmetic in the graph and stops onnxruntime from pre-planning memory. So the model is exported
fully dynamic, its height and width are then pinned with :func:`fix_spatial_size`, and onnxslim
folds what became constant: only the batch axis stays dynamic.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import onnx

from lab.training.errors import ExportError
from lab.training.onnx_graph import fix_spatial_size

LOG = logging.getLogger(__name__)
MIN_OPSET = 17


def export_fp32(weights: Path, out: Path, imgsz: int, opset: int = MIN_OPSET) -> Path:
    """Export ``weights`` (.pt) to ``out`` (.onnx) at ``imgsz`` x ``imgsz``; returns ``out``.

    Needs the ``train`` extra and :func:`~lab.training.offline.prepare_offline` first.
    The Ultralytics metadata (``names``, ``imgsz``, ``stride``, ...) is kept.
    """
    if opset < MIN_OPSET:
        raise ExportError(f"opset must be >= {MIN_OPSET}, got {opset}")
    if not weights.is_file():
        raise ExportError(f"weights not found: {weights}")
    with tempfile.TemporaryDirectory(prefix="stairwatch-export-") as tmp:
        raw = _ultralytics_export(weights, Path(tmp), imgsz, opset)
        model = _pin_and_slim(onnx.load(str(raw)), imgsz)
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


def _pin_and_slim(model: onnx.ModelProto, imgsz: int) -> onnx.ModelProto:
    import onnxslim

    metadata = list(model.metadata_props)
    fix_spatial_size(model, imgsz, imgsz)
    LOG.info("slimming with onnxslim %s", onnxslim.__version__)
    slim: onnx.ModelProto = onnxslim.slim(model)
    if not slim.metadata_props:
        slim.metadata_props.extend(metadata)
    return slim
