"""The demo configuration: one looping camera per sample clip, zones from its sidecar."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from stairwatch.assets import default_model_path, sample_videos_dir
from stairwatch.config import (
    CameraConfig,
    DashboardProcess,
    ModelConfig,
    ServerConfig,
    Settings,
    StorageConfig,
)
from stairwatch.evaluation.errors import EvaluationError
from stairwatch.evaluation.sidecar import find_clips


class DemoError(Exception):
    """The demo cannot start (no clips, no model, a broken sidecar)."""


def demo_settings(
    clips_dir: Path | None, model: Path | None, data_dir: Path, host: str, port: int
) -> Settings:
    clips_dir = clips_dir or sample_videos_dir()
    model = model or default_model_path()
    if not model.is_file():
        raise DemoError(f"model not found: {model}")
    try:
        clips = find_clips(clips_dir)
    except EvaluationError as exc:  # SidecarError is one too
        raise DemoError(str(exc)) from None
    cameras = [
        CameraConfig(
            id=clip.video.stem,
            name=clip.video.stem.replace("_", " "),
            building="Demo",
            floor=str(index + 1),
            source=SecretStr(str(clip.video)),
            detect_fps=2.0,
            loop=True,
            zones=clip.sidecar.zones,
            rules=clip.sidecar.rules,
        )
        for index, clip in enumerate(clips)
    ]
    return Settings(
        cameras=cameras,
        model=ModelConfig(path=model),
        storage=StorageConfig(data_dir=data_dir),
        # The demo shows sample clips: no sign-in, wherever it listens.
        # One process: the demo has no configuration file for a dashboard process to read.
        server=ServerConfig(
            host=host, port=port, allow_anonymous=True, process=DashboardProcess.INLINE
        ),
    )
