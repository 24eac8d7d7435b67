"""A node of a fleet: its heartbeat and its cameras' leases, kept by one supervised thread.

Every ``node.lease_s / 3`` seconds the thread beats the node's heart, reads the leases of the
cameras it may run and follows :func:`alerts.lease_plan.plan_leases`: renews what it holds,
takes free cameras (:meth:`Service.take`) and gives one back when it runs more than its share
(:meth:`Service.drop` first, then the lease). A second thread drops every camera whose lease
ran out by this node's clock while the database could not be reached: a node cut off stops
running its cameras on time even when its calls to the database hang.

One node at a time (the holder of the ``node-watch`` job's lease) also runs the
``node_offline`` rule (:mod:`alerts.rules.node_offline`) over every registered node.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from alerts.errors import StoreError
from alerts.events import EventType
from alerts.fleet import Fence, FleetStore, NodeInfo, camera_lease
from alerts.lease_plan import CameraSlot, plan_leases
from alerts.rules.node_offline import NodeSeen, look, node_subject
from alerts.snapshot import encode_frame
from alerts.store import EventStore
from alerts.stored import CameraInfo
from stairwatch.config import CameraConfig, NodeConfig
from stairwatch.runtime.offline import placeholder_image
from stairwatch.runtime.threads import GuardedThread

log = logging.getLogger(__name__)

GUARD_PERIOD_S = 0.5
NODE_WATCH_JOB = "node-watch"
Clock = Callable[[], float]


class CameraRunner(Protocol):
    """What the lease manager drives: the service."""

    def take(self, camera_id: str, fence: Fence) -> None: ...

    def drop(self, camera_id: str) -> None: ...


def may_run(node: NodeConfig, camera: CameraConfig) -> bool:
    """Whether ``node`` is allowed to run ``camera`` (named in its ``nodes``, or of its site)."""
    if camera.nodes is not None:
        return node.id in camera.nodes
    return camera.site in ("", node.site)


def camera_slots(cameras: Sequence[CameraConfig], nodes: Sequence[NodeInfo]) -> list[CameraSlot]:
    """Each camera with the registered nodes allowed to run it."""
    slots = []
    for camera in cameras:
        if camera.nodes is not None:
            allowed = frozenset(camera.nodes)
        else:
            allowed = frozenset(n.id for n in nodes if camera.site in ("", n.site))
        slots.append(CameraSlot(camera.id, allowed))
    return slots


class FleetCollector:
    """``/metrics`` of a fleet's node: who it is, how many cameras it holds, its lease passes."""

    def __init__(self, node: FleetNode) -> None:
        self._node = node

    def collect(self) -> Iterator[Metric]:
        node = self._node
        labels = [node.node.id, node.node.site, node.version]
        info = GaugeMetricFamily(
            "stairwatch_node_info", "this node of the fleet", labels=["node", "site", "version"]
        )
        info.add_metric(labels, 1.0)
        yield info
        held = GaugeMetricFamily(
            "stairwatch_node_cameras_held", "cameras whose lease this node holds", labels=["node"]
        )
        held.add_metric([node.node.id], float(len(node.held())))
        yield held
        failed = CounterMetricFamily(
            "stairwatch_node_lease_passes_failed",
            "lease passes that could not reach the database",
            labels=["node"],
        )
        failed.add_metric([node.node.id], float(node.failed_passes))
        yield failed


class FleetNode:
    """Heartbeat and camera leases of one node; ``start()`` / ``stop()``. ``cameras``: those
    of the configuration this node may run (:func:`may_run`); ``publish(now)`` runs at the end
    of every lease pass (the node's health for the control room)."""

    def __init__(
        self,
        node: NodeConfig,
        cameras: Sequence[CameraConfig],
        fleet: FleetStore,
        runner: CameraRunner,
        version: str,
        events: EventStore,
        clock: Clock = time.time,
        publish: Callable[[float], None] | None = None,
    ):
        self.node = node
        self.version = version
        self.failed_passes = 0
        self._events = events
        self._cameras = list(cameras)
        self._fleet = fleet
        self._runner = runner
        self._clock = clock
        self._publish = publish
        self._lock = threading.Lock()
        self._fences: dict[str, Fence] = {}
        self._until: dict[str, float] = {}  # camera -> lease end by this node's clock
        self._stop = threading.Event()
        self.threads = [
            GuardedThread("fleet-leases", self._run),
            GuardedThread("fleet-guard", self._guard),
        ]

    def held(self) -> list[str]:
        """The cameras this node holds now, sorted."""
        with self._lock:
            return sorted(self._fences)

    def register(self) -> None:
        """Enter (or re-enter) the node registry."""
        self._fleet.register(self.node.id, self.node.site, self.version, self._clock())

    def start(self) -> None:
        self.register()
        self._stop.clear()
        for thread in self.threads:
            thread.start()
        log.info("node %s (site %r): %d camera(s) it may run", self.node.id, self.node.site,
                 len(self._cameras))  # fmt: skip

    def stop(self) -> None:
        """Stop, drop every camera and give its lease back for another node to take at once."""
        self._stop.set()
        for thread in self.threads:
            thread.join(5.0)
        with self._lock:
            fences, self._fences, self._until = dict(self._fences), {}, {}
        for camera_id, fence in fences.items():
            self._runner.drop(camera_id)
            try:
                self._fleet.give_back(fence, self._clock())
            except StoreError as exc:
                log.warning("camera %s: lease not given back: %s", camera_id, exc)

    def run_once(self) -> None:
        """One pass: heartbeat, then renew, give back and take leases, then publish."""
        now, lease_s = self._clock(), self.node.lease_s
        self._fleet.heartbeat(self.node.id, now)
        names = {camera_lease(c.id): c.id for c in self._cameras}
        self._fleet.ensure(names, now)
        leases = {names[n]: lease for n, lease in self._fleet.leases(names).items()}
        nodes = self._fleet.nodes()
        live = frozenset(n.id for n in nodes if n.heartbeat_at > now - lease_s)
        slots = camera_slots(self._cameras, nodes)
        plan = plan_leases(self.node.id, slots, leases, live, now, lease_s)
        for camera_id in self.held():
            if camera_id not in plan.renew and camera_id not in plan.give_back:
                self._lost(camera_id, "its lease was taken or ran out")
        for camera_id in plan.renew:
            self._renew(camera_id, now)
        for camera_id in plan.give_back:
            log.info("camera %s: this node runs more than its share", camera_id)
            self._give_back(camera_id, now)
        for camera_id in plan.take:
            self._take(camera_id, now)
        if self._fleet.claim_job(NODE_WATCH_JOB, self.node.id, now, lease_s):
            self._watch_nodes(nodes, now)
        if self._publish is not None:
            self._publish(now)

    def _watch_nodes(self, nodes: Sequence[NodeInfo], now: float) -> None:
        """The node_offline rule over every registered node (this node holds the look)."""
        seen = [NodeSeen(n.id, n.heartbeat_at) for n in nodes]
        subjects = {node_subject(n.id): n for n in nodes}
        open_outages = {
            subjects[e.camera_id].id: e.id
            for e in self._events.unended(list(subjects))
            if e.type is EventType.NODE_OFFLINE
        }
        decided = look(seen, open_outages, now, self.node.offline_after_s)
        for record in decided.raise_:
            node = subjects[record.camera_id]
            log.warning("node %s: no heartbeat for %.0f s", node.id, now - node.heartbeat_at)
            where = CameraInfo(record.camera_id, f"node {node.id}", building=node.site)
            picture = placeholder_image(f"node {node.id}: no heartbeat")
            self._events.record_raised(record, where, encode_frame(picture))
        for event_id in decided.end:
            self._events.record_end(event_id, now)

    def _renew(self, camera_id: str, now: float) -> None:
        with self._lock:
            fence = self._fences.get(camera_id)
        if fence is None:  # held by this node's id from before a restart: take it afresh
            return
        if self._fleet.renew(fence, now, self.node.lease_s):
            with self._lock:
                self._until[camera_id] = now + self.node.lease_s
        else:
            self._lost(camera_id, "its lease could not be renewed")

    def _take(self, camera_id: str, now: float) -> None:
        token = self._fleet.take(camera_lease(camera_id), self.node.id, now, self.node.lease_s)
        if token is None:
            return  # another node was quicker
        fence = Fence(camera_lease(camera_id), self.node.id, token)
        with self._lock:
            self._fences[camera_id] = fence
            self._until[camera_id] = now + self.node.lease_s
        try:
            self._runner.take(camera_id, fence)
        except BaseException:  # not running it: never keep (and renew) its lease
            self._give_back(camera_id, now)
            raise

    def _give_back(self, camera_id: str, now: float) -> None:
        with self._lock:
            fence = self._fences.pop(camera_id, None)
            self._until.pop(camera_id, None)
        self._runner.drop(camera_id)
        if fence is not None:
            self._fleet.give_back(fence, now)
            log.info("camera %s given back", camera_id)

    def _lost(self, camera_id: str, why: str) -> None:
        with self._lock:
            had = self._fences.pop(camera_id, None) is not None
            self._until.pop(camera_id, None)
        if had:
            log.warning("camera %s: %s; this node stops running it", camera_id, why)
            self._runner.drop(camera_id)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except StoreError as exc:
                self.failed_passes += 1
                log.warning("node %s: leases not kept this pass: %s", self.node.id, exc)
            self._stop.wait(self.node.renew_every_s)

    def _guard(self) -> None:
        while not self._stop.wait(GUARD_PERIOD_S):
            now = self._clock()
            with self._lock:
                ran_out = [c for c, until in self._until.items() if until <= now]
            for camera_id in ran_out:
                self._lost(camera_id, "its lease ran out (the database could not be reached)")
