"""Verdicts on events: confirmed or false alarm, the reason, a note, corrected boxes, who and when;
and the folder of unredacted frames kept to learn from, and how many it holds.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

COLUMNS = (
    ("review_verdict", sa.String(32)),
    ("review_reason", sa.String(32)),
    ("review_note", sa.Text()),
    ("review_boxes", sa.JSON()),
    ("reviewed_by", sa.String(200)),
    ("reviewed_at", sa.Float()),
    ("training_path", sa.String(500)),
    ("training_frames", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        for name, type_ in COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
