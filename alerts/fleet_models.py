"""ORM tables of a fleet of nodes on one database (migration ``0009``), on the store's
``Base``.

``nodes``: every node that ever ran against the database, with its last heartbeat.
``leases``: who holds what for how long: a camera (``camera:<id>``) or a fleet-wide job
(``job:<name>``); ``token`` grows by one at every change of holder (the fencing token).
``event_media``: snapshots and clips kept in the database next to their event
(``storage.media: database``), so every node's dashboard can show them.
``camera_health``, ``node_problems``: what each node last published of its cameras' health and
its problems with its heartbeat, for the control room.
Times are float Unix seconds.
"""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alerts.models import ID_LEN, NAME_LEN, SHORT_LEN, Base


class NodeRow(Base):
    """One node of the fleet."""

    __tablename__ = "nodes"

    id: Mapped[str] = mapped_column(String(NAME_LEN), primary_key=True)
    site: Mapped[str] = mapped_column(String(NAME_LEN))
    version: Mapped[str] = mapped_column(String(SHORT_LEN))
    started_at: Mapped[float] = mapped_column(Float)
    heartbeat_at: Mapped[float] = mapped_column(Float)


class LeaseRow(Base):
    """One lease; free when ``expires_at`` has passed (the holder is kept for the record)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(NAME_LEN), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(NAME_LEN))
    token: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float)
    taken_at: Mapped[float] = mapped_column(Float)


class EventMediaRow(Base):
    """One event's snapshot or clip, as bytes."""

    __tablename__ = "event_media"

    event_id: Mapped[str] = mapped_column(
        String(ID_LEN), ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(SHORT_LEN), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class CameraHealthRow(Base):
    """A camera's health as the node running it last published it (migration ``0011``);
    ``last_frame_age_s`` as of ``updated_at``."""

    __tablename__ = "camera_health"

    camera_id: Mapped[str] = mapped_column(String(NAME_LEN), primary_key=True)
    node_id: Mapped[str] = mapped_column(String(NAME_LEN))
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    building: Mapped[str] = mapped_column(String(NAME_LEN))
    floor: Mapped[str] = mapped_column(String(NAME_LEN))
    state: Mapped[str] = mapped_column(String(SHORT_LEN))
    fps: Mapped[float] = mapped_column(Float)
    last_frame_age_s: Mapped[float | None] = mapped_column(Float)
    frames_dropped: Mapped[int] = mapped_column(Integer)
    reconnects: Mapped[int] = mapped_column(Integer)
    detections_run: Mapped[int] = mapped_column(Integer)
    detections_skipped: Mapped[int] = mapped_column(Integer)
    detector_errors: Mapped[int] = mapped_column(Integer)
    detections_per_s: Mapped[float | None] = mapped_column(Float)
    due_share: Mapped[float | None] = mapped_column(Float)
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Float)


class NodeProblemRow(Base):
    """One health problem of a node as it last published them (migration ``0011``)."""

    __tablename__ = "node_problems"

    node_id: Mapped[str] = mapped_column(String(NAME_LEN), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)  # its place in the node's list
    subject: Mapped[str] = mapped_column(String(NAME_LEN))
    message: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Float)
