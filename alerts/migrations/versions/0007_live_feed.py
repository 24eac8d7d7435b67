"""The live feed: events by their last change (``updated_at``, then id), so the dashboard's
stream finds what changed since its cursor with an index range scan.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_index("ix_events_updated_at", "events", ["updated_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_events_updated_at", table_name="events")
