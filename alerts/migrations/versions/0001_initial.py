"""Initial schema: events and their audit trail.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("camera_id", sa.String(200), nullable=False),
        sa.Column("camera_name", sa.String(200), nullable=False),
        sa.Column("building", sa.String(200), nullable=False),
        sa.Column("floor", sa.String(200), nullable=False),
        sa.Column("zone", sa.String(200), nullable=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("start_ts", sa.Float(), nullable=False),
        sa.Column("alert_ts", sa.Float(), nullable=False),
        sa.Column("end_ts", sa.Float(), nullable=True),
        sa.Column("box_x1", sa.Float(), nullable=True),
        sa.Column("box_y1", sa.Float(), nullable=True),
        sa.Column("box_x2", sa.Float(), nullable=True),
        sa.Column("box_y2", sa.Float(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("snapshot_path", sa.String(500), nullable=False),
        sa.Column("clip_path", sa.String(500), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.Column("acknowledged_at", sa.Float(), nullable=True),
        sa.Column("assigned_to", sa.String(200), nullable=True),
        sa.Column("resolved_by", sa.String(200), nullable=True),
        sa.Column("resolved_at", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reminder_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_alert_ts", "events", ["alert_ts"])
    op.create_index("ix_events_camera_id", "events", ["camera_id"])
    op.create_index("ix_events_status", "events", ["status"])
    op.create_table(
        "event_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name="fk_event_actions_event_id_events",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_event_actions"),
    )
    op.create_index("ix_event_actions_event_id", "event_actions", ["event_id"])


def downgrade() -> None:
    op.drop_index("ix_event_actions_event_id", table_name="event_actions")
    op.drop_table("event_actions")
    op.drop_index("ix_events_status", table_name="events")
    op.drop_index("ix_events_camera_id", table_name="events")
    op.drop_index("ix_events_alert_ts", table_name="events")
    op.drop_table("events")
