"""ORM tables of the notification outbox (migration ``0002_outbox``), on the store's ``Base``.

``outbox``: one row per message owed to one channel for one patrol group; the rows are the truth
about what was delivered, so a restarted dispatcher simply carries on. ``digest_items``: routine
alerts waiting for their group's next digest; a digest takes them (sets ``digest_id``) in the
same transaction that writes its outbox rows, so each item is in exactly one digest.
Times are float Unix seconds.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alerts.models import ID_LEN, NAME_LEN, SHORT_LEN, Base

KEY_LEN = 64  # sha256 hex
TOKEN_LEN = 32


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    IN_FLIGHT = "in_flight"  # claimed by a dispatcher until lease_until
    DELIVERED = "delivered"  # the channel took it
    FAILED = "failed"  # given up (permanent refusal or too many attempts)


class OutboxRow(Base):
    """One message for one channel and one patrol group, with its delivery state."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(KEY_LEN), unique=True)
    event_id: Mapped[str | None] = mapped_column(
        String(ID_LEN), ForeignKey("events.id", ondelete="CASCADE")
    )
    camera_id: Mapped[str | None] = mapped_column(String(NAME_LEN))
    kind: Mapped[str] = mapped_column(String(SHORT_LEN))
    channel: Mapped[str] = mapped_column(String(NAME_LEN))
    group_name: Mapped[str] = mapped_column(String(NAME_LEN))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(SHORT_LEN))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[float] = mapped_column(Float)
    lease_until: Mapped[float | None] = mapped_column(Float)
    lease_token: Mapped[str | None] = mapped_column(String(TOKEN_LEN))
    created_at: Mapped[float] = mapped_column(Float)
    delivered_at: Mapped[float | None] = mapped_column(Float)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_outbox_due", "channel", "status", "next_attempt_at"),
        Index("ix_outbox_event_id", "event_id"),
        Index("ix_outbox_camera_kind", "camera_id", "kind", "created_at"),
        Index("ix_outbox_lease_token", "lease_token"),
    )


class DigestItemRow(Base):
    """A routine alert (or reminder) waiting for one group's next digest."""

    __tablename__ = "digest_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_name: Mapped[str] = mapped_column(String(NAME_LEN))
    event_id: Mapped[str] = mapped_column(
        String(ID_LEN), ForeignKey("events.id", ondelete="CASCADE")
    )
    entry: Mapped[str] = mapped_column(String(SHORT_LEN))
    created_at: Mapped[float] = mapped_column(Float)
    digest_id: Mapped[str | None] = mapped_column(String(ID_LEN))

    __table_args__ = (
        UniqueConstraint(
            "group_name", "event_id", "entry", name="uq_digest_items_group_event_entry"
        ),
        Index("ix_digest_items_group_digest", "group_name", "digest_id"),
        Index("ix_digest_items_event_id", "event_id"),
    )
