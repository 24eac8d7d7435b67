"""What kind of source a camera URL or path is, and the timeouts every open and read gets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

# RTSP over TCP (no UDP loss or firewall trouble); probe 1 s instead of FFmpeg's 5 s default.
DEFAULT_FFMPEG_OPTIONS = "rtsp_transport;tcp|analyzeduration;1000000"

_DEVICE_PATH = re.compile(r"^/dev/video\d+$")


class SourceKind(StrEnum):
    RTSP = "rtsp"  # rtsp:// and rtsps://
    HTTP = "http"  # http(s):// MJPEG or other FFmpeg-readable streams
    DEVICE = "device"  # /dev/videoN or a camera index
    FILE = "file"  # anything else: a local path


@dataclass(frozen=True)
class CaptureTimeouts:
    """Seconds an open may block, and a read may wait for the next packet."""

    open_s: float = 10.0
    read_s: float = 10.0


def source_kind(source: str | int) -> SourceKind:
    if isinstance(source, int) or _DEVICE_PATH.match(source) or source.isdigit():
        return SourceKind.DEVICE
    scheme = source.split("://", 1)[0].lower() if "://" in source else ""
    if scheme in ("rtsp", "rtsps"):
        return SourceKind.RTSP
    if scheme in ("http", "https"):
        return SourceKind.HTTP
    return SourceKind.FILE
