"""Settings of the evidence clips (a light module: the configuration imports it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ClipSettings(BaseModel):
    """Each event gets a clip from ``pre_s`` before its alert to ``post_s`` after it, made of
    the frames the camera's reader saw (at most ``fps`` a second), not only the detected ones;
    with ``remux``, the camera's own H.264 from the key frame at or before ``pre_s``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(True, description="record a clip for every event")
    pre_s: float = Field(5.0, ge=0, le=60, description="seconds of video before the alert")
    post_s: float = Field(5.0, ge=0, le=60, description="seconds of video after the alert")
    fps: float = Field(8.0, gt=0, le=30, description="frames a second kept and encoded")
    max_width: int = Field(640, ge=64, le=1920, description="frames are shrunk to this width")
    jpeg_quality: int = Field(80, ge=30, le=95, description="of frames held in memory")
    remux: bool = Field(
        True,
        description="copy the camera's own H.264 into clips where no privacy mask applies "
        "(nothing decoded or encoded; the clip has the stream's size and bitrate)",
    )
    lag_s: float = Field(
        10.0, ge=0, le=120, description="how far detection may lag the reader (ring slack)"
    )
