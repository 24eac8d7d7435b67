"""Opening OpenCV captures for live sources, always with open and read timeouts."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import StrEnum

import cv2

from streams.errors import SourceOpenError
from streams.redact import redact_url

# OpenCV reads FFmpeg demuxer options from this variable at every open (process-wide).
FFMPEG_OPTIONS_ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
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
    """Seconds OpenCV may block opening a stream, and waiting for the next packet."""

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


def open_capture(
    source: str | int,
    timeouts: CaptureTimeouts,
    ffmpeg_options: str = DEFAULT_FFMPEG_OPTIONS,
) -> cv2.VideoCapture:
    """An opened capture; raises :class:`SourceOpenError` (URL redacted) when it cannot open."""
    kind = source_kind(source)
    if kind is SourceKind.DEVICE:
        capture = cv2.VideoCapture(_device_target(source), cv2.CAP_V4L2)
    else:
        os.environ[FFMPEG_OPTIONS_ENV] = ffmpeg_options
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            round(timeouts.open_s * 1000),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            round(timeouts.read_s * 1000),
        ]
        capture = cv2.VideoCapture(str(source), cv2.CAP_FFMPEG, params)
    if not capture.isOpened():
        capture.release()
        shown = redact_url(str(source))
        raise SourceOpenError(f"cannot open {kind} source {shown} (within {timeouts.open_s:g} s)")
    return capture


def position_s(capture: cv2.VideoCapture) -> float | None:
    """Presentation time of the last read frame in seconds; None where the backend has none."""
    msec = capture.get(cv2.CAP_PROP_POS_MSEC)
    return msec / 1000.0 if msec > 0 else None


def _device_target(source: str | int) -> int | str:
    return int(source) if isinstance(source, int) or source.isdigit() else source
