"""Exceptions of :mod:`stairwatch.teach`."""

from __future__ import annotations


class TeachError(Exception):
    """Base class: a dataset could not be exported, or a model not compared or switched."""


class ExportError(TeachError):
    """The reviewed events cannot make a dataset (none, no pixels kept, one side empty)."""


class PromoteError(TeachError):
    """A model cannot be promoted or rolled back (missing file, worse, nothing to go back to)."""
