"""A fleet on the dashboard's page: the site and node filter of the event list (``?site=`` and
``?node=`` in the page's URL, as ``/api/events`` takes them) and the nodes panel (what
``GET /api/nodes`` lists). A single box has no nodes: neither is shown."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request

from alerts.fleet import FleetStore
from alerts.models import NAME_LEN
from dashboard.i18n import Texts
from dashboard.nodes import NodeStatus, node_statuses

FLEET_KEYS = ("site", "node")


@dataclass(frozen=True)
class FleetFilter:
    """The events of one site and/or one node; None: any."""

    site: str | None = None
    node: str | None = None

    def query(self) -> dict[str, str]:
        """As URL query parameters (the ones set only)."""
        return {k: v for k, v in (("site", self.site), ("node", self.node)) if v}


def fleet_filter(request: Request) -> FleetFilter:
    """The filter in the page's query; a value longer than any site or node id is refused."""
    values = {k: request.query_params.get(k) or None for k in FLEET_KEYS}
    for key, value in values.items():
        if value is not None and len(value) > NAME_LEN:
            raise HTTPException(422, f"query parameter {key}: longer than {NAME_LEN} characters")
    return FleetFilter(**values)


@dataclass(frozen=True)
class NodeView:
    """One node as the panel shows it."""

    id: str
    site: str
    online: bool
    state_label: str
    cameras: str
    camera_count: int
    version: str
    heartbeat: str


@dataclass(frozen=True)
class FleetPanel:
    """The nodes, and the choices of the filter (every site and node registered)."""

    nodes: list[NodeView]
    sites: list[str]
    chosen: FleetFilter


def fleet_panel(
    fleet: FleetStore, texts: Texts, now: float, offline_after_s: float, chosen: FleetFilter
) -> FleetPanel | None:
    """The panel, or None for a single box (no node registered)."""
    statuses = node_statuses(fleet, now, offline_after_s)
    if not statuses:
        return None
    return FleetPanel(
        nodes=[_node_view(s, texts) for s in statuses],
        sites=sorted({s.site for s in statuses if s.site}),
        chosen=chosen,
    )


def _node_view(status: NodeStatus, texts: Texts) -> NodeView:
    age = f"{status.heartbeat_age_s:.0f}{texts('seconds_ago')}"
    return NodeView(
        id=status.id,
        site=status.site,
        online=status.online,
        state_label=texts("fleet_online" if status.online else "fleet_offline"),
        cameras=", ".join(status.cameras),
        camera_count=len(status.cameras),
        version=status.version,
        heartbeat=f"{texts('fleet_heartbeat')} {age}",
    )
