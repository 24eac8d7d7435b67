"""Run the service and the dashboard together until stopped (or for a fixed duration)."""

from __future__ import annotations

import logging
import threading

import uvicorn
from apscheduler.schedulers.background import BackgroundScheduler

from alerts.fleet import FleetStore
from alerts.fleet_health import FleetHealthStore
from alerts.store import EventStore
from dashboard.app import NODE_OFFLINE_AFTER_S, create_app
from dashboard.feed import FeedClosingServer
from dashboard.fleet_view import FleetView, LocalNode
from dashboard.schemas import DashboardSettings
from stairwatch import __version__
from stairwatch.config import MediaStorage, NodeConfig, Settings, usable_cores
from stairwatch.media.retention_job import start_retention_job
from stairwatch.runtime.delivery import DeliveryService, JobGate
from stairwatch.runtime.fleet import FleetCollector, FleetNode, may_run
from stairwatch.runtime.fleet_publish import HealthPublisher, node_report
from stairwatch.runtime.model_reload import ReloadingDetector
from stairwatch.runtime.problems import scheduler_problem
from stairwatch.runtime.service import Service
from stairwatch.runtime.status import ServiceCameraStatuses
from stairwatch.secret_scrub import Scrubber
from vision.detector import load_detector

log = logging.getLogger(__name__)

# A stop waits this long at most for responses still running (the live feeds end at once).
STREAMS_CLOSE_S = 2


def serve(settings: Settings, duration_s: float | None = None) -> int:
    """Start everything, print the dashboard URL, block until Ctrl-C or ``duration_s``."""
    settings.storage.data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(settings)
    if settings.node is not None:  # a fleet's node builds only the cameras it may run
        config = settings.node
        cameras = [c for c in settings.cameras if may_run(config, c)]
        settings = settings.model_copy(update={"cameras": cameras})
    threads = settings.inference.threads_per_call(usable_cores(), len(settings.cameras))
    # A promoted model (`stairwatch model promote`) is swapped in between detector calls.
    detector = ReloadingDetector(
        settings.model.path,
        lambda path: load_detector(
            path,
            labels=settings.model.labels,
            confidence=settings.model.detector_confidence,
            iou=settings.model.iou,
            threads=threads,
            input_side=settings.model.input_size,
        ),
    )
    shared = FleetStore(store.engine)
    delivery = DeliveryService(
        settings.notifications, store, scrub=Scrubber.of(settings), gate=_job_gate(settings, shared)
    )
    # Notifications are owed in the same transaction as the change: hooked before any write.
    store.add_change_hook(delivery.outbox.on_event_change)
    retention: list[BackgroundScheduler] = []  # started with the service, below
    fleet: list[FleetNode] = []  # a fleet's node: started after the service, below
    service = Service(
        settings,
        detector,
        detector.class_names,
        store,
        supervise=lambda: [*delivery.threads, *(t for f in fleet for t in f.threads)],
        more_problems=lambda now: [
            *delivery.problems(now),
            *(p for s in retention if (p := scheduler_problem("retention scheduler", s))),
        ],
        fleet=settings.node is not None,
    )
    statuses = ServiceCameraStatuses(service)
    view = None
    if settings.node is not None:
        publisher = _publisher(settings.node, store, statuses)
        node = FleetNode(settings.node, settings.cameras, shared, service, __version__, store,
                         publish=publisher.publish)  # fmt: skip
        fleet.append(node)
        service.metrics.registry.register(FleetCollector(node))
        local = LocalNode(settings.node.id, settings.node.site, statuses)
        view = _fleet_view(settings, store, local)
    server = _dashboard_server(settings, store, service, view)
    delivery.start()
    retention.append(start_retention_job(store, settings.storage))
    service.start()
    for node in fleet:
        node.start()
    _print_url(settings)
    for line in camera_lines(settings):
        print(line, flush=True)
    try:
        _run_server(server, duration_s)
    finally:
        retention[0].shutdown(wait=False)
        for node in fleet:
            node.stop()
        service.stop()
        delivery.stop()
        store.close()
    return 0


def serve_dashboard(settings: Settings, duration_s: float | None = None) -> int:
    """``stairwatch serve``: the dashboard alone over the shared store (a fleet's control
    room): every node's events, cameras and problems (``/api/cameras``, ``/api/health``) and
    ``/api/nodes``; no cameras of its own, no detector, no deliveries."""
    store = open_store(settings)
    server = _dashboard_server(settings, store, None, _fleet_view(settings, store, None))
    _print_url(settings)
    try:
        _run_server(server, duration_s)
    finally:
        store.close()
    return 0


def open_store(settings: Settings) -> EventStore:
    """The configured store; media in the database too where ``storage.media`` says so."""
    storage = settings.storage
    return EventStore.open(
        storage.resolved_database_url(),
        storage.data_dir / "media",
        media_in_database=storage.media is MediaStorage.DATABASE,
    )


def _publisher(
    node: NodeConfig, store: EventStore, statuses: ServiceCameraStatuses
) -> HealthPublisher:
    """The node's cameras' health and problems, published with each heartbeat."""
    return HealthPublisher(node.id, FleetHealthStore(store.engine), lambda: node_report(statuses))


def _fleet_view(settings: Settings, store: EventStore, local: LocalNode | None) -> FleetView:
    engine = store.engine
    return FleetView(FleetStore(engine), FleetHealthStore(engine), _offline_after_s(settings),
                     local)  # fmt: skip


def _offline_after_s(settings: Settings) -> float:
    """A node not heard from this long shows offline (and its cameras with it)."""
    return 2 * settings.node.lease_s if settings.node is not None else NODE_OFFLINE_AFTER_S


def _job_gate(settings: Settings, shared: FleetStore) -> JobGate | None:
    """A fleet's node runs a scheduled notification job only while it holds the job's lease."""
    node = settings.node
    if node is None:
        return None
    return lambda job, now, hold_s: shared.claim_job(job, node.id, now, hold_s)


def _print_url(settings: Settings) -> None:
    print(
        f"stairwatch dashboard: http://{settings.server.host}:{settings.server.port}/", flush=True
    )


def _run_server(server: uvicorn.Server, duration_s: float | None) -> None:
    """Serve until Ctrl-C (or SIGTERM), or for ``duration_s``."""
    if duration_s is None:
        server.run()
        return
    timer = threading.Timer(duration_s, lambda: setattr(server, "should_exit", True))
    timer.daemon = True
    timer.start()
    try:
        server.run()
    finally:
        timer.cancel()


def _dashboard_server(
    settings: Settings, store: EventStore, service: Service | None, fleet: FleetView | None
) -> uvicorn.Server:
    """``fleet``: the cameras (and, without ``service``, the health) of the whole fleet."""
    dashboard_settings = DashboardSettings(
        timezone=settings.notifications.timezone,  # page times match the messages' times
        link_secret=settings.notifications.link_secret,
        users=tuple(settings.server.users),
        session_secret=settings.server.session_secret,
        session_hours=settings.server.session_hours,
        public_url=settings.notifications.public_url,
        allowed_hosts=tuple(settings.server.allowed_hosts),
        secure_cookies=settings.server.secure_cookies,
        metrics_token=settings.server.metrics_token,
    )
    own = ServiceCameraStatuses(service) if service is not None else None
    app = create_app(
        store,
        cameras=fleet or own,
        settings=dashboard_settings,
        metrics=service.metrics.exposition if service is not None else None,
        pictures=own,
        zones=own,
        service=own or fleet,
        patrol_groups=settings.notifications.groups,
        node_offline_after_s=_offline_after_s(settings),
    )
    config = uvicorn.Config(
        app,
        host=settings.server.host,
        port=settings.server.port,
        log_level="warning",
        timeout_graceful_shutdown=STREAMS_CLOSE_S,
    )
    return FeedClosingServer(config)


def camera_lines(settings: Settings) -> list[str]:
    """One line per camera for the person starting the service: id, name, place and zones.
    Never the source address, which may carry a password."""
    lines = []
    for camera in settings.cameras:
        place = ", ".join(
            part
            for part in (
                camera.name,
                camera.building and f"building {camera.building}",
                camera.floor and f"floor {camera.floor}",
            )
            if part
        )
        zones = ", ".join(f"{z.name} ({z.kind.value})" for z in camera.zones) or "no zones"
        lines.append(f"camera {camera.id}" + (f" ({place})" if place else "") + f": {zones}")
    return lines
