"""Exceptions of :mod:`lab.training`."""

from __future__ import annotations

INSTALL_HINT = "pip install -e '.[train]'"


class TrainingError(Exception):
    """Base class: training, export or quantization could not be done."""


class TrainExtraMissingError(TrainingError):
    """torch, ultralytics or onnxslim is not installed."""

    def __init__(self, missing: tuple[str, ...]):
        super().__init__(
            f"the 'train' extra is not installed (missing: {', '.join(missing)}); "
            f"install it with: {INSTALL_HINT}"
        )
        self.missing = missing


class DatasetError(TrainingError):
    """The dataset description (data.yaml) is unusable."""


class ExportError(TrainingError):
    """ONNX export failed or produced an unexpected graph."""


class QuantizationError(TrainingError):
    """int8 quantization could not be done."""
