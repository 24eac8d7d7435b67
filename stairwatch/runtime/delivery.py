"""The notification runner: dispatcher threads (one per channel) and the APScheduler jobs.

All decisions live in :mod:`alerts.outbox`, :mod:`alerts.routing` and :mod:`alerts.scheduling`;
this module only calls them with the wall clock. Wiring (done by the caller, in the open)::

    store = EventStore.open(url, media_dir)
    delivery = DeliveryService(settings.notifications, store)
    store.add_change_hook(delivery.outbox.on_event_change)  # before any event is written
    delivery.start()
    ...
    delivery.stop()
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from alerts.channels.base import Channel
from alerts.channels.factory import build_channels
from alerts.errors import AlertsError
from alerts.notices import Delivery
from alerts.notify_config import NotificationsConfig
from alerts.outbox import Dispatcher, Outbox
from alerts.render import LinkMaker, NoticeRenderer
from alerts.scheduling import DeliveryJobs
from alerts.store import EventStore
from stairwatch.runtime.problems import DeliveryWatch, HealthProblem, scheduler_problem
from stairwatch.runtime.threads import GuardedThread
from stairwatch.secret_scrub import Scrubber

log = logging.getLogger(__name__)

Clock = Callable[[], float]
JobGate = Callable[[str, float, float], bool]
GATE_HOLD = 1.5  # a job's lease lasts this many of its periods: the holder renews it each run
ESCALATION_CHECK_S = (10.0, 60.0)  # bounds of how often unacknowledged alerts are looked for
PURGE_EVERY_H = 6


class _FetchingMedia:
    """A channel whose attachment (another node's snapshot) is first fetched from the
    database into this node's media folder (``storage.media: database``)."""

    def __init__(self, channel: Channel, store: EventStore) -> None:
        self.name = channel.name
        self._channel = channel
        self._store = store

    def send(self, delivery: Delivery) -> None:
        if delivery.notice.image_path is not None:
            try:
                self._store.fetch_media(delivery.notice.image_path)
            except AlertsError as exc:  # sent without the picture, as for a missing file
                log.warning("attachment not fetched from the database: %s", exc)
        self._channel.send(delivery)

    def close(self) -> None:
        self._channel.close()


def link_maker(config: NotificationsConfig) -> LinkMaker | None:
    if config.public_url is None or config.link_secret is None:
        return None
    return LinkMaker(config.public_url, config.link_secret.get_secret_value(), config.link_ttl)


class DeliveryService:
    """Owns the outbox for one store; ``start()`` runs the dispatchers and the scheduler until
    ``stop()``. Building it changes nothing else: the caller hooks ``outbox.on_event_change``
    into the store's transactions (see the module docstring)."""

    def __init__(
        self,
        config: NotificationsConfig,
        store: EventStore,
        *,
        clock: Clock = time.time,
        channels: Mapping[str, Channel] | None = None,
        on_delivered: Callable[[Delivery, float], None] | None = None,
        scrub: Callable[[str], str] | None = None,
        gate: JobGate | None = None,
    ) -> None:
        """``scrub`` masks secrets in delivery errors (default: those of ``config``; the
        service passes one made from the whole configuration). ``gate(job, now, hold_s)``
        (a fleet's node) says whether this node runs a scheduled job now; None: always."""
        self.config = config
        self._gate = gate
        self._clock = clock
        renderer = NoticeRenderer(config.tzinfo(), link_maker(config))
        self.outbox = Outbox(store.engine, config, renderer, clock)
        self.jobs = DeliveryJobs(self.outbox, store.media_dir)
        self.channels = (
            dict(channels)
            if channels is not None
            else build_channels(config, store.media_dir, clock)
        )
        senders: Mapping[str, Channel] = self.channels
        if store.media_in_database:
            senders = {name: _FetchingMedia(c, store) for name, c in self.channels.items()}
        self.dispatcher = Dispatcher(
            self.outbox,
            senders,
            config.delivery,
            on_delivered=on_delivered,
            scrub=scrub or Scrubber.of(config),
        )
        self._stop = threading.Event()
        self.threads: list[GuardedThread] = []
        self._scheduler: BackgroundScheduler | None = None
        # A pass longer than the lease has outlived every timeout that should have ended it;
        # failures stop counting once no retry has failed for longer than the backoff's cap.
        policy = config.delivery
        self.watch = DeliveryWatch(
            stuck_after_s=policy.lease_s,
            over_after_s=policy.backoff_cap_s * (1 + policy.jitter) + policy.lease_s,
        )

    def problems(self, now: float) -> list[HealthProblem]:
        """Stuck or failing channels and a stopped scheduler; ``now`` is ``time.monotonic()``."""
        found = self.watch.problems(now)
        stopped = scheduler_problem("notification scheduler", self._scheduler)
        return found if stopped is None else [*found, stopped]

    def start(self, schedule: bool = True) -> None:
        """Start one dispatcher thread per channel and (``schedule``) the scheduled jobs."""
        if not self.config.enabled:
            log.info("notifications: no patrol groups configured, nothing to deliver")
            return
        self._stop.clear()
        for name in self.channels:
            thread = GuardedThread(f"notify-{name}", functools.partial(self._dispatch_loop, name))
            thread.start()
            self.threads.append(thread)
        if schedule:
            self._scheduler = self._build_scheduler()
            self._scheduler.start()
        log.info(
            "notifications: %d channel(s), %d group(s)", len(self.channels), len(self.config.groups)
        )

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        for thread in self.threads:
            thread.join(timeout_s)
        self.threads.clear()
        for channel in self.channels.values():
            channel.close()

    def _dispatch_loop(self, channel: str) -> None:
        policy = self.config.delivery
        while not self._stop.is_set():
            self.watch.pass_started(channel, time.monotonic())
            try:
                report = self.dispatcher.run_once(channel, self._clock(), self._clock)
            except AlertsError as exc:
                log.warning("dispatcher %s: %s", channel, exc)
                self.watch.pass_done(channel, 0, 1, time.monotonic())
                self._stop.wait(policy.poll_s * 4)
                continue
            failed = report.retried + report.failed
            self.watch.pass_done(channel, report.delivered, failed, time.monotonic())
            if report.claimed < policy.batch_size:
                self._stop.wait(policy.poll_s)

    def _build_scheduler(self) -> BackgroundScheduler:
        tz = self.config.tzinfo()
        scheduler = BackgroundScheduler(timezone=tz) if tz is not None else BackgroundScheduler()
        defaults = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
        for group in self.config.groups:
            period = group.digest_interval.total_seconds()
            digest = functools.partial(self._digest, group.name)
            scheduler.add_job(
                self._job(digest, f"digest:{group.name}", period),
                IntervalTrigger(seconds=period),
                id=f"digest:{group.name}",
                **defaults,
            )
        low, high = ESCALATION_CHECK_S
        every = min(high, max(low, self.config.escalate_after.total_seconds() / 4))
        scheduler.add_job(
            self._job(self.jobs.run_escalations, "escalations", every),
            IntervalTrigger(seconds=every),
            id="escalations",
            **defaults,
        )
        if self.config.daily_summary_at is not None:
            hour, minute = (int(p) for p in self.config.daily_summary_at.split(":"))
            trigger = (
                CronTrigger(hour=hour, minute=minute, timezone=tz)
                if tz
                else CronTrigger(hour=hour, minute=minute)
            )
            scheduler.add_job(
                self._job(self.jobs.run_daily_summary, "daily-summary", 3600.0),
                trigger,
                id="daily-summary",
                **defaults,
            )
        scheduler.add_job(
            self._job(self.jobs.purge), IntervalTrigger(hours=PURGE_EVERY_H), id="purge", **defaults
        )
        return scheduler

    def _digest(self, group: str, now: float) -> None:
        self.jobs.run_digest(group, now)

    def _job(
        self, work: Callable[[float], object], name: str | None = None, period_s: float = 0.0
    ) -> Callable[[], None]:
        """``work(now)``; a named job only where the gate lets this node run it."""

        def run() -> None:
            try:
                now = self._clock()
                if name and self._gate and not self._gate(name, now, period_s * GATE_HOLD):
                    return
                work(now)
            except AlertsError as exc:
                log.warning("notification job failed: %s", exc)

        return run
