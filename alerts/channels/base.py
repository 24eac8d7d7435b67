"""The protocol every channel implements."""

from __future__ import annotations

from typing import Protocol

from alerts.notices import Delivery

USER_AGENT = "stairwatch-notify/1"
IDEMPOTENCY_HEADER = "Idempotency-Key"


class Channel(Protocol):
    """Sends one delivery. Raises NotifierError (retry) or DeliveryRefused (give up)."""

    name: str

    def send(self, delivery: Delivery) -> None: ...

    def close(self) -> None: ...
