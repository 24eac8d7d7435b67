"""Composition root: configuration, runtime wiring, command line, evaluation."""

__version__ = "0.1.0"
