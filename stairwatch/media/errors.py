"""Exceptions raised by :mod:`stairwatch.media`."""


class ClipError(Exception):
    """A clip could not be made (no frames, or the encoder failed)."""
