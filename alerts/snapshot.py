"""Evidence pictures: a frame with the zone, the boxes and a caption, encoded as JPEG.

Text uses OpenCV 5's built-in Unicode font, so Chinese camera and zone names show as written
(with OpenCV 4 only ASCII can be drawn and other characters become ``?``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from alerts.errors import SnapshotError
from alerts.events import Box
from vision.zones import Zone

JPEG_QUALITY = 85
TRAINING_JPEG_QUALITY = 95  # a model learns from these pixels: fewer artefacts than snapshots
FONT = cv2.FONT_HERSHEY_SIMPLEX
ZONE_COLOUR = (0, 200, 255)  # BGR amber
BOX_COLOUR = (40, 40, 230)  # BGR red
LABEL_COLOUR = (90, 90, 255)  # BGR light red, behind black text
ZONE_ALPHA = 0.25
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
MOSAIC_CELLS = 8  # a pixelated region keeps at most this many cells along its longer side


@dataclass(frozen=True)
class LabelledBox:
    """A box to draw. ``box`` is normalized to [0, 1]; ``confidence`` in [0, 1] or None."""

    box: Box
    label: str
    confidence: float | None = None

    def text(self) -> str:
        return self.label if self.confidence is None else f"{self.label} {self.confidence:.2f}"


def render_snapshot(
    image: NDArray[np.uint8],
    zone: Zone | None,
    boxes: list[LabelledBox],
    title: str,
    quality: int = JPEG_QUALITY,
    redact: Sequence[Box] = (),
) -> bytes:
    """JPEG bytes of ``image`` ((H, W, 3) uint8 BGR, not modified) with the ``redact`` regions
    pixelated, the zone drawn translucent and named, each box outlined and labelled, and a
    caption bar with ``title`` below the picture.
    """
    _check_image(image)
    height, width = image.shape[:2]
    scale = _text_scale(width, height)
    pen = _Pen()
    canvas = image.copy()
    for region in redact:
        _pixelate(canvas, region)
    if zone is not None:
        _draw_zone(canvas, pen, zone, scale)
    for labelled in boxes:
        _draw_box(canvas, pen, labelled, scale)
    canvas = _with_caption(canvas, pen, title, scale)
    ok, encoded = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise SnapshotError("JPEG encoding failed")
    return bytes(encoded.tobytes())


def encode_frame(image: NDArray[np.uint8], quality: int = TRAINING_JPEG_QUALITY) -> bytes:
    """JPEG bytes of ``image`` ((H, W, 3) uint8 BGR) as the camera saw it: nothing pixelated,
    nothing drawn (training material, for admins only)."""
    _check_image(image)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise SnapshotError("JPEG encoding failed")
    return bytes(encoded.tobytes())


def _check_image(image: NDArray[np.uint8]) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise SnapshotError(
            f"image must be a uint8 array, got {getattr(image, 'dtype', type(image))}"
        )
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 8 or image.shape[1] < 8:
        raise SnapshotError(f"image must be (H, W, 3) BGR of at least 8x8, got shape {image.shape}")


def _text_scale(width: int, height: int) -> float:
    """Text size factor that reads the same on a 640x360 substream and a 4K main stream."""
    return max(0.7, min(width, height) / 720.0)


def _thickness(scale: float) -> int:
    return max(1, round(2 * scale))


class _Pen:
    """Draws text. OpenCV 5's built-in Unicode font shows Chinese names; OpenCV 4's Hershey
    fonts draw ASCII only, so there other characters become ``?``."""

    def __init__(self) -> None:
        self._face = cv2.FontFace("uni") if hasattr(cv2, "FontFace") else None

    def measure(self, text: str, px: int) -> tuple[int, int, int]:
        """(width, ascent, descent) in pixels of ``text`` drawn ``px`` pixels high."""
        if self._face is not None:
            _, top, w, h = cv2.getTextSize((4096, 4096), text, (0, 0), self._face, px)
            return int(w), int(-top), int(h + top)
        (w, h), base = cv2.getTextSize(_ascii(text), FONT, px / 30.0, max(1, px // 16))
        return int(w), int(h), int(base)

    def put(
        self,
        canvas: NDArray[np.uint8],
        text: str,
        x: int,
        baseline: int,
        px: int,
        colour: tuple[int, int, int],
    ) -> None:
        if self._face is not None:
            cv2.putText(canvas, text, (x, baseline), colour, self._face, px)
        else:
            thick = max(1, px // 16)
            cv2.putText(
                canvas, _ascii(text), (x, baseline), FONT, px / 30.0, colour, thick, cv2.LINE_AA
            )


def _ascii(text: str) -> str:
    return "".join(c if " " <= c <= "~" else "?" for c in text)


def _draw_label(
    canvas: NDArray[np.uint8],
    pen: _Pen,
    text: str,
    x: int,
    y: int,
    colour: tuple[int, int, int],
    scale: float,
) -> None:
    """Text on a filled background whose bottom-left corner is (x, y), kept inside the picture."""
    px = round(20 * scale)
    width, ascent, descent = pen.measure(text, px)
    pad = max(2, round(4 * scale))
    box_w, box_h = width + 2 * pad, ascent + descent + 2 * pad
    height, canvas_w = canvas.shape[:2]
    x = int(np.clip(x, 0, max(0, canvas_w - box_w)))
    y = int(np.clip(y, box_h, height))
    cv2.rectangle(canvas, (x, y - box_h), (x + box_w, y), colour, cv2.FILLED)
    pen.put(canvas, text, x + pad, y - descent - pad, px, BLACK)


def _draw_zone(canvas: NDArray[np.uint8], pen: _Pen, zone: Zone, scale: float) -> None:
    height, width = canvas.shape[:2]
    poly = zone.pixel_polygon(width, height)
    overlay = canvas.copy()
    cv2.fillPoly(overlay, [poly], ZONE_COLOUR, cv2.LINE_AA)
    cv2.addWeighted(overlay, ZONE_ALPHA, canvas, 1.0 - ZONE_ALPHA, 0.0, dst=canvas)
    cv2.polylines(canvas, [poly], True, ZONE_COLOUR, _thickness(scale), cv2.LINE_AA)
    top = poly[np.argmin(poly[:, 1])]
    _draw_label(canvas, pen, zone.name, int(top[0]), int(top[1]), ZONE_COLOUR, scale)


def _pixelate(canvas: NDArray[np.uint8], box: Box) -> None:
    """Replace ``box`` (normalized) of ``canvas`` in place by a coarse mosaic of itself."""
    height, width = canvas.shape[:2]
    x1, x2 = int(np.floor(box.x1 * width)), int(np.ceil(box.x2 * width))
    y1, y2 = int(np.floor(box.y1 * height)), int(np.ceil(box.y2 * height))
    x1, y1, x2, y2 = max(x1, 0), max(y1, 0), min(x2, width), min(y2, height)
    if x2 - x1 < 2 or y2 - y1 < 2:
        return
    region = canvas[y1:y2, x1:x2]
    cell = max(2, max(x2 - x1, y2 - y1) // MOSAIC_CELLS)
    small = cv2.resize(
        region,
        (max(1, (x2 - x1) // cell), max(1, (y2 - y1) // cell)),
        interpolation=cv2.INTER_AREA,
    )
    region[:] = cv2.resize(small, (x2 - x1, y2 - y1), interpolation=cv2.INTER_NEAREST)


def _draw_box(canvas: NDArray[np.uint8], pen: _Pen, labelled: LabelledBox, scale: float) -> None:
    height, width = canvas.shape[:2]
    b = labelled.box
    p1 = (round(np.clip(b.x1, 0, 1) * (width - 1)), round(np.clip(b.y1, 0, 1) * (height - 1)))
    p2 = (round(np.clip(b.x2, 0, 1) * (width - 1)), round(np.clip(b.y2, 0, 1) * (height - 1)))
    cv2.rectangle(canvas, p1, p2, BOX_COLOUR, _thickness(scale) + 1, cv2.LINE_AA)
    _draw_label(canvas, pen, labelled.text(), p1[0], p1[1], LABEL_COLOUR, scale)


def _with_caption(
    canvas: NDArray[np.uint8], pen: _Pen, title: str, scale: float
) -> NDArray[np.uint8]:
    """The picture with a black bar below it holding ``title`` (cut to fit)."""
    width = canvas.shape[1]
    px = round(24 * scale)
    margin = round(8 * scale)
    text = _fit(pen, title, width - 2 * margin, px)
    _, ascent, descent = pen.measure("Ag电", px)
    bar_height = ascent + descent + 2 * margin
    bar = np.zeros((bar_height, width, 3), np.uint8)
    pen.put(bar, text, margin, margin + ascent, px, WHITE)
    return np.vstack([canvas, bar])


def _fit(pen: _Pen, text: str, max_width: int, px: int) -> str:
    """``text`` cut from the end until it fits, a trailing "~" marking the cut."""
    if pen.measure(text, px)[0] <= max_width:
        return text
    for keep in range(len(text) - 1, -1, -1):
        if pen.measure(text[:keep] + "~", px)[0] <= max_width:
            return text[:keep] + "~"
    return ""


def caption_height(width: int, picture_height: int) -> int:
    """Pixels of the caption bar :func:`render_snapshot` puts below a ``width`` x
    ``picture_height`` picture."""
    px = round(24 * _text_scale(width, picture_height))
    _, ascent, descent = _Pen().measure("Ag电", px)
    return ascent + descent + 2 * round(8 * _text_scale(width, picture_height))


def picture_height(width: int, snapshot_height: int) -> int:
    """Height of the camera's picture in a snapshot ``width`` x ``snapshot_height`` pixels (the
    rest is the caption), so boxes people draw on it can be normalized to the picture."""
    for height in range(snapshot_height - 1, 0, -1):
        if height + caption_height(width, height) <= snapshot_height:
            return height
    raise SnapshotError(f"a {width}x{snapshot_height} snapshot has no room for a picture")


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's frame header; raises :class:`SnapshotError` if none."""
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            break
        marker, length = data[at + 1], int.from_bytes(data[at + 2 : at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(data[at + 5 : at + 7], "big")
            return int.from_bytes(data[at + 7 : at + 9], "big"), height
        at += 2 + length
    raise SnapshotError("no JPEG frame header")
