"""A fleet node's health for the control room: its cameras' statuses and its problems, as its
own dashboard shows them, published into the database by the lease thread with each heartbeat
(:class:`alerts.fleet_health.FleetHealthStore`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import fields
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
    """``status`` (its ``last_error`` scrubbed by :class:`CameraStatus`) as published: the
    fields both types share, by name."""
    shared = {f.name for f in fields(CameraReport)} - {"camera_id", "state"}
    values = status.model_dump(include=shared)
    return CameraReport(camera_id=status.id, state=status.state.value, **values)


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
