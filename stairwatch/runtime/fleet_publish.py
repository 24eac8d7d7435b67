"""A fleet node's health for the control room: its cameras' statuses and its problems, as its
own dashboard shows them, published into the database by the lease thread with each heartbeat
(:class:`alerts.fleet_health.FleetHealthStore`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from alerts.errors import StoreError
from alerts.fleet_health import CameraReport, FleetHealthStore, NodeReport, ProblemReport
from dashboard.schemas import CameraStatus, CameraStatusProvider, ServiceHealthProvider

log = logging.getLogger(__name__)


class HealthSource(CameraStatusProvider, ServiceHealthProvider, Protocol):
    """What a node publishes from: the service's camera statuses and health."""


def node_report(source: HealthSource) -> NodeReport:
    """The node's report now: every camera it runs, and its problems."""
    problems = source.service_health().problems
    return NodeReport(
        cameras=tuple(camera_report(s) for s in source.camera_statuses()),
        problems=tuple(ProblemReport(p.subject, p.message) for p in problems),
    )


def camera_report(status: CameraStatus) -> CameraReport:
    """``status`` (its ``last_error`` scrubbed by :class:`CameraStatus`) as published."""
    return CameraReport(
        camera_id=status.id,
        name=status.name,
        building=status.building,
        floor=status.floor,
        state=status.state.value,
        fps=status.fps,
        last_frame_age_s=status.last_frame_age_s,
        frames_dropped=status.frames_dropped,
        reconnects=status.reconnects,
        detections_run=status.detections_run,
        detections_skipped=status.detections_skipped,
        detector_errors=status.detector_errors,
        detections_per_s=status.detections_per_s,
        due_share=status.due_share,
        last_error=status.last_error,
    )


class HealthPublisher:
    """Publishes ``report()`` as ``node_id``'s; called by the lease thread once a pass."""

    def __init__(
        self, node_id: str, store: FleetHealthStore, report: Callable[[], NodeReport]
    ) -> None:
        self._node_id = node_id
        self._store = store
        self._report = report

    def publish(self, now: float) -> None:
        """Publish; a database error is logged (the next pass publishes again)."""
        try:
            self._store.publish(self._node_id, self._report(), now)
        except StoreError as exc:
            log.warning("node %s: health not published this pass: %s", self._node_id, exc)
