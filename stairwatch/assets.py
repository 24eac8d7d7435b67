"""Where the bundled model and sample clips live (the repository root of an editable install)."""

from __future__ import annotations

from pathlib import Path

DEFAULT_MODEL_NAME = "stairwatch-default.onnx"


def project_root() -> Path:
    """The folder holding ``models/`` and ``sample_videos/``: the source tree, else the cwd."""
    source_root = Path(__file__).resolve().parents[1]
    if (source_root / "models").is_dir():
        return source_root
    return Path.cwd()


def default_model_path() -> Path:
    return project_root() / "models" / DEFAULT_MODEL_NAME


def sample_videos_dir() -> Path:
    return project_root() / "sample_videos"
