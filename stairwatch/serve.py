"""Run the service and the dashboard together until stopped (or for a fixed duration)."""

from __future__ import annotations

import logging
import threading

import uvicorn
from apscheduler.schedulers.background import BackgroundScheduler

from alerts.store import EventStore
from dashboard.app import create_app
from dashboard.schemas import DashboardSettings
from stairwatch.config import Settings, usable_cores
from stairwatch.media.retention_job import start_retention_job
from stairwatch.runtime.delivery import DeliveryService
from stairwatch.runtime.model_reload import ReloadingDetector
from stairwatch.runtime.problems import scheduler_problem
from stairwatch.runtime.service import Service
from stairwatch.runtime.status import ServiceCameraStatuses
from stairwatch.secret_scrub import Scrubber
from vision.detector import load_detector

log = logging.getLogger(__name__)


def serve(settings: Settings, duration_s: float | None = None) -> int:
    """Start everything, print the dashboard URL, block until Ctrl-C or ``duration_s``."""
    settings.storage.data_dir.mkdir(parents=True, exist_ok=True)
    store = EventStore.open(
        settings.storage.resolved_database_url(), settings.storage.data_dir / "media"
    )
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
        ),
    )
    delivery = DeliveryService(settings.notifications, store, scrub=Scrubber.of(settings))
    # Notifications are owed in the same transaction as the change: hooked before any write.
    store.add_change_hook(delivery.outbox.on_event_change)
    retention: list[BackgroundScheduler] = []  # started with the service, below
    service = Service(
        settings,
        detector,
        detector.class_names,
        store,
        supervise=lambda: delivery.threads,
        more_problems=lambda now: [
            *delivery.problems(now),
            *(p for s in retention if (p := scheduler_problem("retention scheduler", s))),
        ],
    )
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
    cameras = ServiceCameraStatuses(service)
    app = create_app(
        store,
        cameras=cameras,
        settings=dashboard_settings,
        metrics=service.metrics.exposition,
        pictures=cameras,
        zones=cameras,
        service=cameras,
    )
    config = uvicorn.Config(
        app, host=settings.server.host, port=settings.server.port, log_level="warning"
    )
    server = uvicorn.Server(config)
    timer = None
    if duration_s is not None:
        timer = threading.Timer(duration_s, lambda: setattr(server, "should_exit", True))
        timer.daemon = True
    delivery.start()
    retention.append(start_retention_job(store, settings.storage))
    service.start()
    print(
        f"stairwatch dashboard: http://{settings.server.host}:{settings.server.port}/", flush=True
    )
    for line in camera_lines(settings):
        print(line, flush=True)
    try:
        if timer is not None:
            timer.start()
        server.run()
    finally:
        if timer is not None:
            timer.cancel()
        retention[0].shutdown(wait=False)
        service.stop()
        delivery.stop()
        store.close()
    return 0


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
