"""ORM tables of the event store (SQLAlchemy 2.0 typed mappings).

Portable types only (strings, floats, integers, JSON), so the same tables work on SQLite and
PostgreSQL. Times are float Unix seconds. Enum values are stored as their string values and checked
in Python before writing. The schema itself is created by the Alembic migrations in
``alerts/migrations``; these classes must match them (a test compares the two).
"""

from __future__ import annotations

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ID_LEN = 36  # a UUID in its canonical text form
NAME_LEN = 200
SHORT_LEN = 32
PATH_LEN = 500

# Finding events (migration 0010): (column, alert_ts, id) per filter column, read newest first.
FIND_INDEXES = {
    "ix_events_alert_ts_id": ("alert_ts", "id"),
    **{
        f"ix_events_{column}_alert_ts": (column, "alert_ts", "id")
        for column in ("building", "floor", "camera_id", "type", "severity", "status")
    },
    "ix_events_review_verdict_alert_ts": ("review_verdict", "alert_ts", "id"),
}

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class EventRow(Base):
    """One alert and what people did about it."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(NAME_LEN))
    camera_name: Mapped[str] = mapped_column(String(NAME_LEN))
    building: Mapped[str] = mapped_column(String(NAME_LEN))
    floor: Mapped[str] = mapped_column(String(NAME_LEN))
    zone: Mapped[str | None] = mapped_column(String(NAME_LEN))
    type: Mapped[str] = mapped_column(String(SHORT_LEN))
    severity: Mapped[str] = mapped_column(String(SHORT_LEN))
    status: Mapped[str] = mapped_column(String(SHORT_LEN))
    track_id: Mapped[int | None] = mapped_column(Integer)
    confidence: Mapped[float] = mapped_column(Float)
    start_ts: Mapped[float] = mapped_column(Float)
    alert_ts: Mapped[float] = mapped_column(Float)
    end_ts: Mapped[float | None] = mapped_column(Float)
    box_x1: Mapped[float | None] = mapped_column(Float)
    box_y1: Mapped[float | None] = mapped_column(Float)
    box_x2: Mapped[float | None] = mapped_column(Float)
    box_y2: Mapped[float | None] = mapped_column(Float)
    details: Mapped[list[str]] = mapped_column(JSON)
    snapshot_path: Mapped[str] = mapped_column(String(PATH_LEN))
    clip_path: Mapped[str | None] = mapped_column(String(PATH_LEN))
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    acknowledged_by: Mapped[str | None] = mapped_column(String(NAME_LEN))
    acknowledged_at: Mapped[float | None] = mapped_column(Float)
    assigned_to: Mapped[str | None] = mapped_column(String(NAME_LEN))
    resolved_by: Mapped[str | None] = mapped_column(String(NAME_LEN))
    resolved_at: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    reminder_count: Mapped[int] = mapped_column(Integer, default=0)
    review_verdict: Mapped[str | None] = mapped_column(String(SHORT_LEN))
    review_reason: Mapped[str | None] = mapped_column(String(SHORT_LEN))
    review_note: Mapped[str | None] = mapped_column(Text)
    review_boxes: Mapped[list[dict[str, object]] | None] = mapped_column(JSON)
    reviewed_by: Mapped[str | None] = mapped_column(String(NAME_LEN))
    reviewed_at: Mapped[float | None] = mapped_column(Float)
    training_path: Mapped[str | None] = mapped_column(String(PATH_LEN))
    training_frames: Mapped[int | None] = mapped_column(Integer)
    on_way_by: Mapped[str | None] = mapped_column(String(NAME_LEN))  # a patroller heading there
    on_way_at: Mapped[float | None] = mapped_column(Float)
    photo_path: Mapped[str | None] = mapped_column(String(PATH_LEN))  # resolved with this photo
    node_id: Mapped[str | None] = mapped_column(String(NAME_LEN))  # a fleet's node that raised it

    __table_args__ = (
        Index("ix_events_alert_ts", "alert_ts"),
        Index("ix_events_camera_id", "camera_id"),
        Index("ix_events_status", "status"),
        Index("ix_events_updated_at", "updated_at", "id"),  # the live feed's cursor
        Index("ix_events_node_id", "node_id"),
        *(Index(name, *columns) for name, columns in FIND_INDEXES.items()),
    )


class EventActionRow(Base):
    """One line of an event's audit trail (raised, reminded, ended, acknowledged, ...)."""

    __tablename__ = "event_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(
        String(ID_LEN), ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(SHORT_LEN))
    actor: Mapped[str] = mapped_column(String(NAME_LEN))
    at: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
