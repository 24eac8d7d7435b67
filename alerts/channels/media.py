"""Reading an attachment (snapshot or chart) from the media folder for a channel."""

from __future__ import annotations

import logging
from pathlib import Path

from alerts.errors import StoreError
from alerts.media import resolve_media_path

log = logging.getLogger(__name__)

MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024


def read_image(media_dir: Path, relpath: str | None) -> bytes | None:
    """The file's bytes, or None when there is none to attach.

    A snapshot deleted by retention (or too large) is not a reason to withhold the alert, so a
    missing file is logged and the message goes without it.
    """
    if relpath is None:
        return None
    try:
        path = resolve_media_path(media_dir, relpath)
        if path.stat().st_size > MAX_ATTACHMENT_BYTES:
            log.warning(
                "attachment %s is over %d bytes; sending without it", relpath, MAX_ATTACHMENT_BYTES
            )
            return None
        return path.read_bytes()
    except (OSError, StoreError) as exc:
        log.warning("attachment %s unreadable (%s); sending without it", relpath, exc)
        return None
