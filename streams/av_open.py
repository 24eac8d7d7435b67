"""Opening live sources with PyAV (FFmpeg): open and read timeouts, options, hardware decoding.

PyAV rather than OpenCV for live streams because it hands out what OpenCV hides: compressed
packets (kept for clips without re-encoding), decoded pictures before colour conversion (only
the frames used are converted), the decoder's frame skipping (key frames only for the main
stream) and hardware decoders.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from enum import StrEnum

import av
import av.codec.hwaccel
import av.container
import av.error
import av.video.stream

from streams.capture import CaptureTimeouts, SourceKind, source_kind
from streams.errors import SourceOpenError
from streams.redact import redact_text, redact_url

log = logging.getLogger(__name__)


class HwAccel(StrEnum):
    """Hardware decoding: ``none`` (software), ``auto`` (the first device this machine has, of
    CUDA then Intel Quick Sync, else software), or one device type."""

    NONE = "none"
    AUTO = "auto"
    CUDA = "cuda"
    QSV = "qsv"


def parse_ffmpeg_options(options: str) -> dict[str, str]:
    """OpenCV's ``key;value|key;value`` string as a dict (the format the project configures)."""
    pairs = [item.split(";", 1) for item in options.split("|") if item.strip()]
    bad = [p[0] for p in pairs if len(p) != 2]
    if bad:
        raise ValueError(f"ffmpeg options: expected key;value, got {bad[0]!r}")
    return {key.strip(): value.strip() for key, value in pairs}


def pick_hwaccel(wanted: HwAccel, devices: Mapping[str, bool] | None = None) -> str | None:
    """The device type to decode on, or None for software. ``devices`` says which device
    nodes exist (default: this machine's /dev); a type FFmpeg was built without is skipped."""
    if wanted is HwAccel.NONE:
        return None
    present = devices if devices is not None else _device_nodes()
    built = set(av.codec.hwaccel.hwdevices_available())
    order = [HwAccel.CUDA, HwAccel.QSV] if wanted is HwAccel.AUTO else [wanted]
    for kind in order:
        if kind.value in built and present.get(kind.value, False):
            return kind.value
    return None


def open_stream(
    source: str | int,
    timeouts: CaptureTimeouts,
    options: Mapping[str, str],
    hwaccel: str | None = None,
) -> tuple[av.container.InputContainer, av.video.stream.VideoStream]:
    """The opened container and its first video stream; raises :class:`SourceOpenError` (the
    URL redacted). With ``hwaccel`` the decoder runs on that device, falling back to software
    where the device or the codec cannot."""
    kind = source_kind(source)
    target, fmt = _target(source, kind)
    kwargs: dict[str, object] = {"timeout": (timeouts.open_s, timeouts.read_s)}
    if kind in (SourceKind.RTSP, SourceKind.HTTP):
        kwargs["options"] = dict(options)
    if fmt is not None:
        kwargs["format"] = fmt
    if hwaccel is not None:
        kwargs["hwaccel"] = av.codec.hwaccel.HWAccel(hwaccel, allow_software_fallback=True)
    shown = redact_url(str(source))
    try:
        container = av.open(target, mode="r", **kwargs)  # type: ignore[call-overload]
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        why = redact_text(str(exc))
        raise SourceOpenError(
            f"cannot open {kind} source {shown} (within {timeouts.open_s:g} s): {why}"
        ) from exc
    if not container.streams.video:
        container.close()
        raise SourceOpenError(f"{kind} source {shown} has no video stream")
    return container, container.streams.video[0]


def _target(source: str | int, kind: SourceKind) -> tuple[str, str | None]:
    if kind is not SourceKind.DEVICE:
        return str(source), None
    if isinstance(source, int) or str(source).isdigit():
        return f"/dev/video{int(source)}", "v4l2"
    return str(source), "v4l2"


def _device_nodes() -> dict[str, bool]:
    return {
        HwAccel.CUDA.value: os.path.exists("/dev/nvidia0"),
        HwAccel.QSV.value: os.path.isdir("/dev/dri"),
    }
