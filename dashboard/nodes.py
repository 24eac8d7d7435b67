"""``GET /api/nodes``: the fleet's nodes as the control room sees them (any node's dashboard, or
a dashboard-only ``stairwatch serve``): site, version, last heartbeat and the cameras each
holds now. A single box without ``node`` in its configuration lists none."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from alerts.errors import StoreError
from alerts.fleet import CAMERA_PREFIX, FleetStore
from dashboard.access import Viewer

log = logging.getLogger(__name__)


class NodeStatus(BaseModel):
    """One node; times are Unix seconds."""

    model_config = ConfigDict(frozen=True)

    id: str
    site: str
    version: str
    started_at: float
    last_heartbeat: float
    heartbeat_age_s: float = Field(ge=0)
    online: bool = Field(description="heard from within the offline threshold")
    cameras: list[str] = Field(description="cameras whose lease it holds now, sorted")


def node_statuses(fleet: FleetStore, now: float, offline_after_s: float) -> list[NodeStatus]:
    """Every registered node with the cameras it holds at ``now``."""
    held: dict[str, list[str]] = {}
    for name, lease in fleet.leases().items():
        if name.startswith(CAMERA_PREFIX) and lease.holder and not lease.free(now):
            held.setdefault(lease.holder, []).append(name.removeprefix(CAMERA_PREFIX))
    statuses = []
    for node in fleet.nodes():
        age = max(0.0, now - node.heartbeat_at)
        statuses.append(
            NodeStatus(
                id=node.id,
                site=node.site,
                version=node.version,
                started_at=node.started_at,
                last_heartbeat=node.heartbeat_at,
                heartbeat_age_s=round(age, 3),
                online=age < offline_after_s,
                cameras=sorted(held.get(node.id, [])),
            )
        )
    return statuses


def nodes_router(
    fleet: FleetStore, offline_after_s: float, clock: Callable[[], float] = time.time
) -> APIRouter:
    router = APIRouter()

    @router.get("/api/nodes", response_model=list[NodeStatus], dependencies=[Depends(_viewer)])
    def list_nodes() -> list[NodeStatus]:
        try:
            return node_statuses(fleet, clock(), offline_after_s)
        except StoreError as exc:
            log.error("dashboard: nodes: the event store failed: %s", exc)
            raise HTTPException(503, "the event store is unavailable") from None

    return router


def _viewer(user: Viewer) -> None:
    """A dependency: any signed-in user may read."""
