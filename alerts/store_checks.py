"""Checks the event store runs before it writes anything; each raises :class:`StoreError`."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import TypeVar

from alerts.errors import StoreError
from alerts.events import Box, EventRecord, EventType, Severity
from alerts.models import NAME_LEN
from alerts.stored import CameraInfo

JPEG_MAGIC = b"\xff\xd8\xff"
MAX_JPEG_BYTES = 20 * 1024 * 1024
MP4_BOX = b"ftyp"  # the first box of an MP4 file, after its 4-byte size
MAX_CLIP_BYTES = 200 * 1024 * 1024
MAX_DETAILS = 50
MAX_DETAIL_LEN = 500
MAX_NOTE_LEN = 2000
MAX_PAGE = 500

E = TypeVar("E", bound=StrEnum)


def check_text(what: str, value: object, *, max_len: int = NAME_LEN, required: bool = True) -> str:
    """A string of at most ``max_len`` characters; non-empty after stripping when ``required``."""
    if not isinstance(value, str):
        raise StoreError(f"{what} must be a string, got {type(value).__name__}")
    if required and not value.strip():
        raise StoreError(f"{what} must not be empty")
    if len(value) > max_len:
        raise StoreError(f"{what} is {len(value)} characters long; at most {max_len} allowed")
    return value


def check_optional_text(what: str, value: str | None, max_len: int) -> str | None:
    return None if value is None else check_text(what, value, max_len=max_len, required=False)


def check_enum(what: str, enum: type[E], value: object) -> E:
    try:
        return enum(value)  # type: ignore[arg-type]  # anything; a bad value raises ValueError
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise StoreError(f"{what} must be one of {allowed}; got {value!r}") from None


def check_time(what: str, value: object) -> float:
    """A finite, non-negative number of Unix seconds."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StoreError(f"{what} must be a number of seconds, got {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise StoreError(f"{what} must be finite Unix seconds >= 0, got {value}")
    return float(value)


def check_box(box: Box | None) -> Box | None:
    """Normalized, finite, and not inside-out."""
    if box is None:
        return None
    coords = (box.x1, box.y1, box.x2, box.y2)
    if not all(isinstance(c, int | float) and math.isfinite(c) and 0.0 <= c <= 1.0 for c in coords):
        raise StoreError(f"box must be normalized to [0, 1], got {coords}")
    if box.x1 > box.x2 or box.y1 > box.y2:
        raise StoreError(f"box corners are swapped: {coords}")
    return box


def check_jpeg(data: object) -> bytes:
    if not isinstance(data, bytes | bytearray):
        raise StoreError(f"snapshot must be JPEG bytes, got {type(data).__name__}")
    if not bytes(data[:3]) == JPEG_MAGIC:
        raise StoreError("snapshot is not a JPEG (no FF D8 FF start marker)")
    if len(data) > MAX_JPEG_BYTES:
        raise StoreError(f"snapshot is {len(data)} bytes; at most {MAX_JPEG_BYTES} allowed")
    return bytes(data)


def check_mp4(data: object) -> bytes:
    if not isinstance(data, bytes | bytearray):
        raise StoreError(f"clip must be MP4 bytes, got {type(data).__name__}")
    if bytes(data[4:8]) != MP4_BOX:
        raise StoreError("clip is not an MP4 file (no ftyp box first)")
    if len(data) > MAX_CLIP_BYTES:
        raise StoreError(f"clip is {len(data)} bytes; at most {MAX_CLIP_BYTES} allowed")
    return bytes(data)


def check_camera(camera: CameraInfo, event: EventRecord) -> None:
    check_text("camera id", camera.id)
    if camera.id != event.camera_id:
        raise StoreError(
            f"event is from camera {event.camera_id!r} but camera info is {camera.id!r}"
        )
    check_text("camera name", camera.name, required=False)
    check_text("building", camera.building, required=False)
    check_text("floor", camera.floor, required=False)


def check_record(event: EventRecord) -> None:
    """Everything the store copies from an :class:`EventRecord`."""
    check_text("camera id", event.camera_id)
    check_optional_text("zone", event.zone, NAME_LEN)
    check_enum("type", EventType, event.type)
    check_enum("severity", Severity, event.severity)
    conf = event.confidence
    if isinstance(conf, bool) or not isinstance(conf, int | float) or not 0.0 <= conf <= 1.0:
        raise StoreError(f"confidence must be in [0, 1], got {conf!r}")
    if event.track_id is not None and (
        isinstance(event.track_id, bool) or not isinstance(event.track_id, int)
    ):
        raise StoreError(f"track id must be an integer, got {event.track_id!r}")
    check_time("start_ts", event.start_ts)
    check_time("alert_ts", event.alert_ts)
    if event.end_ts is not None:
        check_time("end_ts", event.end_ts)
    check_box(event.box)
    check_details(event.details)


def check_details(details: tuple[str, ...]) -> None:
    if len(details) > MAX_DETAILS:
        raise StoreError(f"{len(details)} details; at most {MAX_DETAILS} allowed")
    for i, text in enumerate(details):
        check_text(f"details[{i}]", text, max_len=MAX_DETAIL_LEN, required=False)


def check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise StoreError(f"limit must be in [1, {MAX_PAGE}], got {limit}")
    if offset < 0:
        raise StoreError(f"offset must be >= 0, got {offset}")
