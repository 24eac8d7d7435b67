"""Exceptions raised by the vision package."""


class VisionError(Exception):
    """Base class of every error raised by :mod:`vision`."""


class ModelLoadError(VisionError):
    """A model file is missing, is not ONNX, or has an output layout we cannot decode."""


class DetectorError(VisionError):
    """Inference failed. Never replaced by an empty result: a stalled detector is not an empty
    scene."""
