"""Exceptions raised by :mod:`lab.synth`."""


class SynthError(Exception):
    """Base class of every error raised while rendering or writing synthetic data."""


class DatasetSourceError(SynthError):
    """A dataset to mix in (``--mix-yolo``) or a background folder is missing or malformed."""
