"""The control room's view of a fleet's cameras and health, from what every node publishes
with its heartbeat (:mod:`alerts.fleet_health`): the camera-status and service-health
providers of a dashboard-only ``stairwatch serve``, and of a node for the cameras other nodes
run. A report from a node no longer heard from (or not renewed) shows its camera offline."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass

from alerts.errors import StoreError
from alerts.fleet import FleetStore, NodeInfo
from alerts.fleet_health import FleetHealthStore, PublishedCamera, PublishedProblem
from dashboard.schemas import (
    CameraState,
    CameraStatus,
    CameraStatusProvider,
    HealthProblemOut,
    ServiceHealth,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocalNode:
    """This process as a node: its id, site and its own cameras' live statuses."""

    id: str
    site: str
    cameras: CameraStatusProvider


def published_status(
    published: PublishedCamera, node: NodeInfo | None, now: float, offline_after_s: float
) -> CameraStatus:
    """The camera as the control room shows it at ``now``: as published while its node beats
    and its report is younger than ``offline_after_s``; else offline (the node is gone or
    no longer runs it). Its last frame ages from the publish on."""
    report = asdict(published.report)
    camera_id = report.pop("camera_id")
    age = now - published.updated_at
    heard = node is not None and now - node.heartbeat_at < offline_after_s
    current = heard and age < offline_after_s
    if report["last_frame_age_s"] is not None:
        report["last_frame_age_s"] = report["last_frame_age_s"] + max(0.0, age)
    if not current:
        report.update(state=CameraState.OFFLINE.value, fps=0.0)
    return CameraStatus(id=camera_id, node=published.node_id,
                        site=node.site if node is not None else None, node_online=current,
                        **report)  # fmt: skip


def fleet_problems(
    problems: Sequence[PublishedProblem],
    nodes: Sequence[NodeInfo],
    now: float,
    offline_after_s: float,
) -> list[HealthProblemOut]:
    """Every heard node's published problems, and each node not heard from within
    ``offline_after_s`` as a problem of its own (what it published last is out of date)."""
    heard = {n.id for n in nodes if now - n.heartbeat_at < offline_after_s}
    found = [
        HealthProblemOut(subject=p.problem.subject, message=p.problem.message, node=p.node_id)
        for p in problems
        if p.node_id in heard
    ]
    for node in nodes:
        if node.id not in heard:
            silent = f"no heartbeat for {now - node.heartbeat_at:.0f} s"
            found.append(HealthProblemOut(subject=f"node {node.id}", message=silent, node=node.id))
    return found


class FleetView:
    """Cameras and health across the fleet. ``local``: this process is a node, whose own
    cameras come live from it (and still show while the database cannot be reached)."""

    def __init__(
        self,
        fleet: FleetStore,
        health: FleetHealthStore,
        offline_after_s: float,
        local: LocalNode | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fleet = fleet
        self._health = health
        self._offline_after_s = offline_after_s
        self._local = local
        self._clock = clock

    def camera_statuses(self) -> list[CameraStatus]:
        own = self._own_statuses()
        try:
            others = self._published({s.id for s in own})
        except StoreError as exc:
            if self._local is None:
                raise
            log.warning("dashboard: other nodes' cameras not shown: %s", exc)
            others = []
        return [*own, *others]

    def service_health(self) -> ServiceHealth:
        """Every node's problems (:func:`fleet_problems`); the fleet has no threads or
        recorder of its own to report."""
        now = self._clock()
        problems = fleet_problems(
            self._health.problems(), self._fleet.nodes(), now, self._offline_after_s
        )
        return ServiceHealth(status="degraded" if problems else "ok", problems=problems,
                             thread_restarts={}, recorder_queued=0, recorder_dropped=0)  # fmt: skip

    def _own_statuses(self) -> list[CameraStatus]:
        local = self._local
        if local is None:
            return []
        mark = {"node": local.id, "site": local.site, "node_online": True}
        return [s.model_copy(update=mark) for s in local.cameras.camera_statuses()]

    def _published(self, own: set[str]) -> list[CameraStatus]:
        now = self._clock()
        nodes: Mapping[str, NodeInfo] = {n.id: n for n in self._fleet.nodes()}
        return [
            published_status(p, nodes.get(p.node_id), now, self._offline_after_s)
            for p in self._health.cameras()
            if p.report.camera_id not in own
        ]
