"""The hourly retention job (APScheduler): deciding and deleting live in :mod:`alerts.retention`.

Wiring, in ``serve``::

    retention = start_retention_job(store, settings.storage)
    ...
    retention.shutdown(wait=False)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from alerts.errors import StoreError
from alerts.retention import RetentionReport, apply_retention
from alerts.store import EventStore
from stairwatch.config import StorageConfig

log = logging.getLogger(__name__)

EVERY_S = 3600.0
FIRST_RUN_AFTER_S = 60.0  # after start-up, so a restart also cleans up, but not in its rush


def run_retention(
    store: EventStore, storage: StorageConfig, clock: Callable[[], float] = time.time
) -> RetentionReport | None:
    """One pass; a store failure is logged (the next hour tries again), never raised."""
    now = clock()
    try:
        report = apply_retention(store, now, storage.retention_days, storage.max_media_gb)
        purged = store.access.purge(now - storage.access_log_days * 86400.0)
        store.sheds.purge(now - storage.retention_days * 86400.0)
        untrained = store.drop_training_before(now - storage.training_days * 86400.0)
    except StoreError as exc:
        log.error("retention failed: %s", exc)
        return None
    if untrained:
        log.info("retention: removed the training frames of %d event(s)", untrained)
    if purged:
        log.info("retention: deleted %d access log entries", purged)
    if report.events_deleted or report.clips_dropped:
        log.info(
            "retention: deleted %d event(s), dropped %d clip(s); media %.1f -> %.1f MB",
            report.events_deleted,
            report.clips_dropped,
            report.media_bytes_before / 1e6,
            report.media_bytes_after / 1e6,
        )
    if report.over_cap:
        log.warning(
            "media is still over max_media_gb=%s: only ongoing events' snapshots are left",
            storage.max_media_gb,
        )
    return report


def start_retention_job(
    store: EventStore, storage: StorageConfig, every_s: float = EVERY_S
) -> BackgroundScheduler:
    """A started scheduler running :func:`run_retention` every ``every_s`` seconds."""
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        run_retention,
        "interval",
        seconds=every_s,
        args=(store, storage),
        id="retention",
        next_run_time=datetime.now(UTC) + timedelta(seconds=FIRST_RUN_AFTER_S),
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    return scheduler
