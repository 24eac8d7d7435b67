"""Run the service and the dashboard together until stopped (or for a fixed duration).

Under ``server.process: own`` (``stairwatch run``'s default) the dashboard is ``server.workers``
supervised child processes on one socket (:mod:`stairwatch.runtime.dashboard_process`) over the
same store, seeing the service's
cameras, health, metrics and live pictures through the run directory
(:mod:`stairwatch.runtime.run_dir`, :mod:`stairwatch.run_view`); under ``inline`` (and in the
demo) it runs in the service's own process.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from apscheduler.schedulers.background import BackgroundScheduler
from pydantic import SecretStr

from alerts.fleet import FleetStore
from alerts.fleet_health import FleetHealthStore
from alerts.store import EventStore
from dashboard.app import NODE_OFFLINE_AFTER_S, create_app
from dashboard.feed import FeedClosingServer
from dashboard.fleet_view import FleetView, LocalNode
from dashboard.schemas import (
    CameraPictureProvider,
    CameraStatusProvider,
    CameraZonesProvider,
    DashboardSettings,
    ServiceHealthProvider,
)
from stairwatch import __version__
from stairwatch.config import (
    CameraConfig,
    DashboardProcess,
    MediaStorage,
    NodeConfig,
    Settings,
    usable_cores,
)
from stairwatch.media.retention_job import start_retention_job
from stairwatch.run_view import RunView
from stairwatch.runtime.dashboard_process import DashboardWorkers
from stairwatch.runtime.delivery import DeliveryService, JobGate
from stairwatch.runtime.fleet import FleetCollector, FleetNode, may_run
from stairwatch.runtime.fleet_publish import HealthPublisher, node_report
from stairwatch.runtime.model_reload import ReloadingDetector
from stairwatch.runtime.problems import scheduler_problem
from stairwatch.runtime.run_dir import RunDir, StatusPublisher, write_atomically
from stairwatch.runtime.service import Service
from stairwatch.runtime.status import ServiceCameraStatuses
from stairwatch.runtime.threads import Supervised
from stairwatch.secret_scrub import Scrubber
from vision.detector import load_detector

log = logging.getLogger(__name__)

# A stop waits this long at most for responses still running (the live feeds end at once).
STREAMS_CLOSE_S = 2
CHILD_READY_S = 30.0  # the cameras start once the dashboard process listens, or after this


def serve(settings: Settings, duration_s: float | None = None, config: Path | None = None) -> int:
    """Start everything, print the dashboard URL, block until Ctrl-C or ``duration_s``. The
    dashboard runs in a child process when ``settings.server.process`` says so and the child
    can read the same settings from ``config`` (their file); else in this process."""
    own = config is not None and settings.server.process is DashboardProcess.OWN
    settings.storage.data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(settings)
    if settings.node is not None:  # a fleet's node builds only the cameras it may run
        settings = settings.model_copy(update={"cameras": _own_cameras(settings)})
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
    beside: list[Supervised] = []  # the status publisher and the dashboard child, below
    service = Service(
        settings,
        detector,
        detector.class_names,
        store,
        supervise=lambda: [*delivery.threads, *(t for f in fleet for t in f.threads), *beside],
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
    run_dir = RunDir.of(settings.storage.data_dir)
    status = StatusPublisher(run_dir, statuses, service.metrics.exposition)
    beside.append(status.thread)
    workers = None
    if own and config is not None:
        try:
            workers = _workers(settings, config, run_dir)
        except OSError as exc:
            store.close()
            print(f"stairwatch: cannot serve the dashboard on {_address(settings)}: {exc}",
                  file=sys.stderr)  # fmt: skip
            return 1
    server = None if workers else _dashboard_server(settings, store, _inline(service, view))
    delivery.start()
    retention.append(start_retention_job(store, settings.storage))
    status.start()
    if workers is not None:  # up before the cameras, as an inline dashboard is
        workers.start()
        beside.extend(workers.children)
        if not workers.wait_ready(CHILD_READY_S):
            log.warning("the dashboard processes are not listening yet; starting the cameras")
    service.start()
    for node in fleet:
        node.start()
    _print_url(settings)
    for line in camera_lines(settings):
        print(line, flush=True)
    try:
        if server is not None:
            _run_server(server, duration_s)
        else:
            _wait_for_stop(duration_s)
    finally:
        if workers is not None:
            workers.stop()
        status.stop()
        retention[0].shutdown(wait=False)
        for node in fleet:
            node.stop()
        service.stop()
        delivery.stop()
        store.close()
    return 0


def _workers(settings: Settings, config: Path, run_dir: RunDir) -> DashboardWorkers:
    """The dashboard's processes on the configured port (OSError: it cannot be bound)."""
    server, secret = settings.server, settings.server.session_secret
    return DashboardWorkers(
        config, _log_level(), server.host, server.port, server.workers, run_dir,
        secret.get_secret_value() if secret is not None else None,
    )  # fmt: skip


def _address(settings: Settings) -> str:
    return f"{settings.server.host}:{settings.server.port}"


@dataclass(frozen=True)
class ChildOf:
    """``stairwatch serve --child``: which of ``stairwatch run``'s dashboard processes this is
    (1, 2 ...) and the listening socket it inherited (None: it binds the port itself)."""

    worker: int = 1
    listen_fd: int | None = None


def serve_dashboard(
    settings: Settings, duration_s: float | None = None, child: ChildOf | None = None
) -> int:
    """``stairwatch serve``: the dashboard alone over the shared store (a fleet's control
    room): every node's events, cameras and problems (``/api/cameras``, ``/api/health``) and
    ``/api/nodes``; no cameras of its own, no detector, no deliveries. Where a service ran on
    this machine with the same data directory, the live pictures of its cameras, from its run
    directory.

    ``child``: the dashboard of ``stairwatch run`` in its own process: the service's cameras,
    health and metrics from the run directory, as its own dashboard shows them; it reads the
    session secret from its standard input's first line, stops when that input closes and
    leaves the URL for the parent to print."""
    sockets = []
    if child is not None:
        secret = sys.stdin.buffer.readline().strip().decode()
        if not secret:  # the parent is gone before it said anything
            return 1
        settings = _with_session_secret(settings, secret)
        if child.listen_fd is not None:
            sockets.append(socket.socket(fileno=child.listen_fd))
    store = open_store(settings)
    run_dir = RunDir.of(settings.storage.data_dir)
    run_view = RunView(run_dir, _own_cameras(settings))
    if child is not None:
        shared = Shared(settings.server.workers, run_dir.signed_out_path)
        server = _dashboard_server(settings, store, _from_run(settings, store, run_view), shared)
        _stop_when_input_closes(server)
        _say_when_listening(server, run_dir.ready_path_of(child.worker))
    else:
        fleet = _fleet_view(settings, store, None)
        pictures = run_view if run_dir.root.is_dir() else None
        providers = Providers(cameras=fleet, service=fleet, pictures=pictures)
        server = _dashboard_server(settings, store, providers)
        _print_url(settings)
    try:
        _run_server(server, duration_s, sockets)
    finally:
        store.close()
    return 0


def _with_session_secret(settings: Settings, secret: str) -> Settings:
    """``settings`` with the run's session ``secret``, which all its dashboard processes share."""
    server = settings.server.model_copy(update={"session_secret": SecretStr(secret)})
    return settings.model_copy(update={"server": server})


@dataclass(frozen=True)
class Providers:
    """What the dashboard shows besides the store (see :func:`dashboard.app.create_app`)."""

    cameras: CameraStatusProvider | None = None
    service: ServiceHealthProvider | None = None
    pictures: CameraPictureProvider | None = None
    zones: CameraZonesProvider | None = None
    metrics: Callable[[], bytes] | None = None


def _inline(service: Service, fleet: FleetView | None) -> Providers:
    """The running ``service``'s own (``fleet``: the cameras of the whole fleet)."""
    own = ServiceCameraStatuses(service)
    return Providers(cameras=fleet or own, service=own, pictures=own, zones=own,
                     metrics=service.metrics.exposition)  # fmt: skip


def _from_run(settings: Settings, store: EventStore, run: RunView) -> Providers:
    """As :func:`_inline`, with the service read from its run directory."""
    cameras: CameraStatusProvider = run
    if settings.node is not None:
        local = LocalNode(settings.node.id, settings.node.site, run)
        cameras = _fleet_view(settings, store, local)
    return Providers(cameras=cameras, service=run, pictures=run, zones=run, metrics=run.metrics)


def _own_cameras(settings: Settings) -> list[CameraConfig]:
    """The cameras this machine's service may run (a fleet's node: those its node may)."""
    node = settings.node
    return [c for c in settings.cameras if node is None or may_run(node, c)]


def _stop_when_input_closes(server: uvicorn.Server) -> None:
    """End ``server`` when standard input reaches its end: the parent closed it, or died."""

    def watch() -> None:
        while sys.stdin.buffer.read(4096):
            pass
        server.should_exit = True

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _say_when_listening(server: uvicorn.Server, ready_path: Path) -> None:
    """Write this process's id to ``ready_path`` (in the run directory) once ``server``
    listens."""

    def watch() -> None:
        while not server.started:
            if server.should_exit:
                return
            time.sleep(0.05)
        try:
            ready_path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(ready_path, str(os.getpid()).encode())
        except OSError as exc:
            log.warning("dashboard: %s not written: %s", ready_path, exc)

    threading.Thread(target=watch, name="ready-watch", daemon=True).start()


def _wait_for_stop(duration_s: float | None) -> None:
    """Block until Ctrl-C, SIGTERM or ``duration_s`` (the dashboard child serves meanwhile)."""
    stop = threading.Event()
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if in_main else None
    try:
        stop.wait(duration_s)
    except KeyboardInterrupt:
        pass
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)


def _log_level() -> str:
    """This process's level for its own loggers, for the child to log alike."""
    return logging.getLevelName(logging.getLogger("stairwatch").getEffectiveLevel()).lower()


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


def _run_server(
    server: uvicorn.Server, duration_s: float | None, sockets: list[socket.socket] | None = None
) -> None:
    """Serve until Ctrl-C (or SIGTERM), or for ``duration_s``; on ``sockets`` (None: it
    binds its configured address)."""
    if duration_s is None:
        server.run(sockets=sockets or None)
        return
    timer = threading.Timer(duration_s, lambda: setattr(server, "should_exit", True))
    timer.daemon = True
    timer.start()
    try:
        server.run(sockets=sockets or None)
    finally:
        timer.cancel()


@dataclass(frozen=True)
class Shared:
    """What one of several dashboard processes on one port shares with the others: how many
    they are (each enforces its share of the sign-in limits) and the file of sign-outs."""

    processes: int = 1
    signed_out_path: Path | None = None


def _dashboard_server(
    settings: Settings, store: EventStore, shown: Providers, shared: Shared | None = None
) -> uvicorn.Server:
    shared = shared or Shared()
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
        processes=shared.processes,
        signed_out_path=shared.signed_out_path,
    )
    app = create_app(
        store,
        cameras=shown.cameras,
        settings=dashboard_settings,
        metrics=shown.metrics,
        pictures=shown.pictures,
        zones=shown.zones,
        service=shown.service,
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
