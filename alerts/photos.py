"""A patroller's photo, checked before it is kept: JPEG, PNG or WebP by its first bytes, at most
:data:`MAX_PHOTO_BYTES`, decoded in full (so it really is an image), then re-encoded as a JPEG.

Re-encoding drops whatever rode along in the file (EXIF with the phone's GPS position, trailing
data) and bounds what is stored: the long side is at most :data:`MAX_PHOTO_SIDE` pixels.
"""

from __future__ import annotations

import io
import warnings
from typing import Literal

from PIL import Image, ImageOps, UnidentifiedImageError

from alerts.errors import PhotoRejected, PhotoTooLarge

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000  # a 48 MP phone photo is bigger; the file-size cap stops it first
MAX_PHOTO_SIDE = 2048  # pixels, the long side as stored
JPEG_QUALITY = 85

PhotoKind = Literal["JPEG", "PNG", "WEBP"]


def sniff_photo(data: bytes) -> PhotoKind | None:
    """What the first bytes say the file is, or None when it is none of the three."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def checked_photo(data: bytes, max_bytes: int = MAX_PHOTO_BYTES) -> bytes:
    """``data`` re-encoded as a JPEG (long side <= MAX_PHOTO_SIDE px); raises
    :class:`PhotoTooLarge` when it has too many bytes or pixels, :class:`PhotoRejected` when it
    is empty, of another type, or does not decode."""
    if not data:
        raise PhotoRejected("the photo is empty")
    if len(data) > max_bytes:
        raise PhotoTooLarge(f"the photo is {len(data)} bytes; at most {max_bytes} allowed")
    kind = sniff_photo(data)
    if kind is None:
        raise PhotoRejected("the photo is not a JPEG, PNG or WebP image")
    image = _decoded(data, kind)
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def _decoded(data: bytes, kind: PhotoKind) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind])
            width, height = image.size
            if width * height > MAX_PHOTO_PIXELS:
                raise PhotoTooLarge(f"the photo is {width} x {height} pixels; too many")
            image.load()
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoTooLarge("the photo has too many pixels") from exc
    except (UnidentifiedImageError, OSError, ValueError, Warning) as exc:
        raise PhotoRejected(f"the photo does not decode as a {kind} image") from exc
    return image
