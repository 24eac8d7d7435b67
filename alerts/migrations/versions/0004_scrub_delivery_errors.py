"""Delivery errors stored before fixed error texts may quote a device's password (a URL with
``user:password@``): each is replaced with a fixed text. The next attempt of a pending row stores
its own error again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

REPLACED = "error text removed on upgrade (it may have quoted a secret)"


def upgrade() -> None:
    outbox = sa.table("outbox", sa.column("last_error", sa.Text()))
    op.execute(outbox.update().where(outbox.c.last_error.is_not(None)).values(last_error=REPLACED))


def downgrade() -> None:
    return None  # the old texts are gone for good, as intended
