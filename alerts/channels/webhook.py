"""Generic webhook: the notice as JSON, signed with HMAC-SHA256 when a secret is configured.

Headers: ``Idempotency-Key``, ``X-Stairwatch-Timestamp`` (Unix seconds) and, with a secret,
``X-Stairwatch-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>``. The body repeats the
timestamp as ``sent_at``, so the signature covers it and a receiver can refuse old replays.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alerts.channels.base import IDEMPOTENCY_HEADER
from alerts.channels.http import json_body, post
from alerts.channels.media import read_image
from alerts.notices import Delivery
from alerts.notify_config import WebhookChannel

SIGNATURE_HEADER = "X-Stairwatch-Signature"
TIMESTAMP_HEADER = "X-Stairwatch-Timestamp"


def sign_body(body: bytes, secret: str) -> str:
    """The signature header value: ``sha256=<hex>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header_value: str, secret: str) -> bool:
    """For receivers: does ``header_value`` sign ``body`` under ``secret``?"""
    return hmac.compare_digest(sign_body(body, secret), header_value or "")


def webhook_payload(delivery: Delivery, sent_at: int, image: bytes | None) -> dict[str, Any]:
    notice = delivery.notice
    payload: dict[str, Any] = {
        "idempotency_key": delivery.idempotency_key,
        "sent_at": sent_at,
        "kind": notice.kind.value,
        "group": notice.group,
        "language": notice.language,
        "critical": notice.critical,
        "title": notice.title,
        "text": notice.markdown,
        "link": notice.link,
        "created_at": notice.created_at,
        "events": [e.model_dump(mode="json") for e in notice.events],
    }
    if image is not None and notice.image_path is not None:
        payload["image"] = {
            "name": Path(notice.image_path).name,
            "content_type": "image/png" if notice.image_path.endswith(".png") else "image/jpeg",
            "base64": base64.b64encode(image).decode(),
        }
    return payload


class WebhookSender:
    def __init__(
        self,
        name: str,
        config: WebhookChannel,
        media_dir: Path,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self._config = config
        self._media_dir = media_dir
        self._clock = clock

    def send(self, delivery: Delivery) -> None:
        sent_at = int(self._clock())
        image = read_image(self._media_dir, delivery.notice.image_path)
        body = json_body(webhook_payload(delivery, sent_at, image))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            IDEMPOTENCY_HEADER: delivery.idempotency_key,
            TIMESTAMP_HEADER: str(sent_at),
        }
        if self._config.secret is not None:
            headers[SIGNATURE_HEADER] = sign_body(body, self._config.secret.get_secret_value())
        post(self._config.url.get_secret_value(), body, headers, self._config.timeout_s)

    def close(self) -> None:
        return None
