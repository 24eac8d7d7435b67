"""Finding events fast: for each filter column an index (column, alert_ts, id), and (alert_ts, id)
for the unfiltered list, so a filtered page newest first is read in index order (keyset paging).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

# Kept in step with alerts.models.FIND_INDEXES (a test compares the models with the migrations).
INDEXES = {
    "ix_events_alert_ts_id": ("alert_ts", "id"),
    "ix_events_building_alert_ts": ("building", "alert_ts", "id"),
    "ix_events_floor_alert_ts": ("floor", "alert_ts", "id"),
    "ix_events_camera_id_alert_ts": ("camera_id", "alert_ts", "id"),
    "ix_events_type_alert_ts": ("type", "alert_ts", "id"),
    "ix_events_severity_alert_ts": ("severity", "alert_ts", "id"),
    "ix_events_status_alert_ts": ("status", "alert_ts", "id"),
    "ix_events_review_verdict_alert_ts": ("review_verdict", "alert_ts", "id"),
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "events", list(columns))


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="events")
