"""A fleet's health for the control room: each node's cameras' health and its problems, as
published with its heartbeat.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "camera_health",
        sa.Column("camera_id", sa.String(200), nullable=False),
        sa.Column("node_id", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("building", sa.String(200), nullable=False),
        sa.Column("floor", sa.String(200), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("fps", sa.Float(), nullable=False),
        sa.Column("last_frame_age_s", sa.Float(), nullable=True),
        sa.Column("frames_dropped", sa.Integer(), nullable=False),
        sa.Column("reconnects", sa.Integer(), nullable=False),
        sa.Column("detections_run", sa.Integer(), nullable=False),
        sa.Column("detections_skipped", sa.Integer(), nullable=False),
        sa.Column("detector_errors", sa.Integer(), nullable=False),
        sa.Column("detections_per_s", sa.Float(), nullable=True),
        sa.Column("due_share", sa.Float(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("camera_id", name="pk_camera_health"),
    )
    op.create_table(
        "node_problems",
        sa.Column("node_id", sa.String(200), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("node_id", "seq", name="pk_node_problems"),
    )


def downgrade() -> None:
    op.drop_table("node_problems")
    op.drop_table("camera_health")
