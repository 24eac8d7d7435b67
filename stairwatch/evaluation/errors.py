"""Exceptions raised by the evaluation package."""

from __future__ import annotations


class EvaluationError(Exception):
    """Base class of every error raised by :mod:`stairwatch.evaluation`."""


class SidecarError(EvaluationError):
    """A ground-truth sidecar is unreadable or invalid; ``problems``: ``field: message`` lines."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


class ClipError(EvaluationError):
    """A clip cannot be opened or decoded."""
