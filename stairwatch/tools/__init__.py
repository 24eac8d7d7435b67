"""Operator and test tools run as ``python -m stairwatch.tools.NAME``."""
