"""Shed samples: how many charging spots of each shed were free, and which, over time.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "shed_samples",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("camera_id", sa.String(200), nullable=False),
        sa.Column("camera_name", sa.String(200), nullable=False),
        sa.Column("building", sa.String(200), nullable=False),
        sa.Column("shed", sa.String(200), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("free", sa.Integer(), nullable=False),
        sa.Column("ebikes", sa.Integer(), nullable=False),
        sa.Column("spots", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_shed_samples"),
    )
    op.create_index("ix_shed_samples_at", "shed_samples", ["at"])
    op.create_index("ix_shed_samples_camera_id", "shed_samples", ["camera_id"])


def downgrade() -> None:
    op.drop_index("ix_shed_samples_camera_id", table_name="shed_samples")
    op.drop_index("ix_shed_samples_at", table_name="shed_samples")
    op.drop_table("shed_samples")
