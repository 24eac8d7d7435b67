"""Delivery under faults, measured end to end on a real store and a local webhook receiver.

Scenarios (durations are parameters; ``--quick`` shortens them):

* ``outage``: the receiver is down for ``--outage-s`` while critical alerts keep coming; after it
  is back every alert must arrive, and no idempotency key may be accepted twice.
* ``kill``: a separate delivering process is SIGKILLed in the middle of a burst of ``--burst``
  alerts and started again; all of them must arrive (repeats allowed: at least once).
* ``load``: ``--rate`` alerts per minute for ``--load-s`` (``--critical-share`` of them critical);
  reports p50/p95/max event-to-hand-over latency of the critical ones (goal: p95 <= 2 s) and
  checks that the digests list every routine alert exactly once.

Everything runs on 127.0.0.1; the database is a SQLite file in a temporary folder unless
``--db`` names another (e.g. ``postgresql+psycopg://...``; it must be empty). Exit status 1 if a
check fails. Full run: ``python -m stairwatch.tools.delivery_faults``; short:
``python -m stairwatch.tools.delivery_faults --quick``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DRAIN_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Knobs:
    outage_s: float = 60.0
    outage_rate_per_s: float = 2.0
    burst: int = 200
    burst_rate_per_s: float = 40.0
    kill_after: int = 60
    receiver_delay_s: float = 0.02
    rate_per_min: float = 1000.0
    load_s: float = 300.0
    critical_share: float = 0.2
    digest_interval_s: float = 60.0
    cameras: int = 500
    lease_s: float = 5.0


QUICK = Knobs(outage_s=10.0, load_s=60.0, digest_interval_s=10.0)


@dataclass
class Result:
    scenario: str
    passed: bool
    numbers: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


# -- shared set-up (imports inside: the module must load fast for ``--help``) ------------------


def fault_config(receiver_url: str, knobs: Knobs) -> Any:
    from alerts.notify_config import NotificationsConfig

    return NotificationsConfig.model_validate(
        {
            "channels": {"hook": {"type": "webhook", "url": receiver_url, "timeout_s": 5}},
            "groups": [
                {
                    "name": "patrol",
                    "buildings": ["*"],
                    "channels": ["hook"],
                    "digest_interval": knobs.digest_interval_s,
                    "language": "zh-CN",
                }
            ],
            "daily_summary_at": None,
            "escalate_after": "1d",
            "delivery": {
                "max_attempts": 10_000,
                "backoff_base_s": 0.5,
                "backoff_cap_s": 5,
                "lease_s": knobs.lease_s,
                "poll_s": 0.1,
            },
        }
    )


def tiny_jpeg() -> bytes:
    import cv2
    import numpy as np

    ok, data = cv2.imencode(".jpg", np.full((48, 64, 3), 128, np.uint8))
    if not ok:
        raise RuntimeError("cannot encode a JPEG")
    return bytes(data.tobytes())


class Raiser:
    """Raises alerts through the store (so the outbox rows come with them)."""

    def __init__(self, store: Any, knobs: Knobs) -> None:
        self._store = store
        self._knobs = knobs
        self._jpeg = tiny_jpeg()
        self.n = 0
        self.raised_at: dict[str, float] = {}
        self.critical: set[str] = set()

    def raise_one(self, critical: bool) -> str:
        from alerts.events import EventRecord, EventType, Severity
        from alerts.stored import CameraInfo

        self.n += 1
        # Critical alerts cycle through their own cameras (each must go out at once; any that
        # reached a digest instead is counted).
        pool = len(self.critical) if critical else self.n
        cam = f"{'crit' if critical else 'cam'}-{pool % self._knobs.cameras:03d}"
        camera = CameraInfo(id=cam, name=f"楼梯间 {cam}", building=str(1 + self.n % 9), floor="1")
        kind = EventType.EBIKE_IN_ELEVATOR if critical else EventType.EBIKE_PARKED
        now = time.time()
        record = EventRecord(f"k{self.n}", cam, "z", kind, Severity.HIGH, 1, 0.9, now - 5, now)
        event_id = str(self._store.record_raised(record, camera, self._jpeg).id)
        self.raised_at[event_id] = now
        if critical:
            self.critical.add(event_id)
        return event_id


def open_rig(db: str | None, folder: Path, receiver_url: str, knobs: Knobs) -> tuple[Any, Any]:
    from alerts.store import EventStore
    from stairwatch.runtime.delivery import DeliveryService

    store = EventStore.open(db or f"sqlite:///{folder / 'faults.db'}", folder / "media")
    service = DeliveryService(fault_config(receiver_url, knobs), store)
    store.add_change_hook(service.outbox.on_event_change)
    return store, service


def wait_until(done: Callable[[], bool], timeout_s: float, step_s: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(step_s)
    return True


def drained(service: Any) -> Callable[[], bool]:
    from alerts.outbox_models import DeliveryStatus

    def check() -> bool:
        counts = service.outbox.counts()
        return bool(counts[DeliveryStatus.PENDING] + counts[DeliveryStatus.IN_FLIGHT] == 0)

    return check


def accepted_keys(receiver: Any) -> Counter[str]:
    return Counter(r.headers.get("Idempotency-Key", "") for r in receiver.accepted())


def expected_keys(service: Any) -> set[str]:
    from sqlalchemy import select

    from alerts.outbox_models import OutboxRow

    with service.outbox.transaction() as session:
        return set(session.scalars(select(OutboxRow.idempotency_key)).all())


def alert_event_ids(receiver: Any) -> dict[str, float]:
    """Event id -> first arrival time of its immediate alert at the receiver."""
    first: dict[str, float] = {}
    for request in receiver.accepted():
        body = request.json()
        if body["kind"] == "alert":
            first.setdefault(body["events"][0]["id"], request.at)
    return first


# -- scenarios ----------------------------------------------------------------------------------


def run_outage(db: str | None, folder: Path, knobs: Knobs) -> Result:
    from stairwatch.tools.webhook_receiver import WebhookReceiver

    receiver = WebhookReceiver().start()
    store, service = open_rig(db, folder, receiver.url(), knobs)
    raiser = Raiser(store, knobs)
    service.start(schedule=False)
    try:
        receiver.stop()
        down_until = time.monotonic() + knobs.outage_s
        while time.monotonic() < down_until:
            raiser.raise_one(critical=True)
            time.sleep(1.0 / knobs.outage_rate_per_s)
        receiver.start()
        up_at = time.monotonic()
        ok = wait_until(drained(service), DRAIN_TIMEOUT_S)
        recovery_s = time.monotonic() - up_at
    finally:
        service.stop()
        receiver.stop()
        store.close()
    keys, want = accepted_keys(receiver), expected_keys(service)
    missing, twice = want - set(keys), [k for k, n in keys.items() if n > 1]
    result = Result("outage", ok and not missing and not twice)
    result.numbers = {
        "outage_s": knobs.outage_s,
        "alerts_raised_during_outage": raiser.n,
        "messages_owed": len(want),
        "messages_delivered": len(set(keys) & want),
        "keys_delivered_twice": len(twice),
        "seconds_from_receiver_up_to_all_delivered": round(recovery_s, 2),
    }
    result.problems = _problems(ok, missing, twice)
    return result


def run_kill(db: str | None, folder: Path, knobs: Knobs) -> Result:
    from stairwatch.tools.webhook_receiver import Reply, WebhookReceiver

    receiver = WebhookReceiver(reply=Reply(delay_s=knobs.receiver_delay_s)).start()
    store, service = open_rig(db, folder, receiver.url(), knobs)  # hooks only: no dispatcher here
    raiser = Raiser(store, knobs)
    db_url = str(store.engine.url.render_as_string(hide_password=False))
    worker = _spawn_worker(db_url, folder, receiver.url(), knobs)
    killed_at_count = 0
    try:
        raiser.raise_one(critical=True)
        wait_until(lambda: bool(receiver.accepted()), 60)  # the worker is up and delivering
        for _ in range(knobs.burst - 1):
            time.sleep(1.0 / knobs.burst_rate_per_s)
            raiser.raise_one(critical=True)
            if not killed_at_count and len(receiver.accepted()) >= knobs.kill_after:
                killed_at_count = _kill(worker, receiver)
        if not killed_at_count:
            wait_until(lambda: len(receiver.accepted()) >= knobs.kill_after, 60)
            killed_at_count = _kill(worker, receiver)
        killed_at = time.monotonic()
        worker = _spawn_worker(db_url, folder, receiver.url(), knobs)
        ok = wait_until(drained(service), DRAIN_TIMEOUT_S)
        recovery_s = time.monotonic() - killed_at
    finally:
        _kill(worker, receiver)
        receiver.stop()
        store.close()
    keys, want = accepted_keys(receiver), expected_keys(service)
    missing, twice = want - set(keys), [k for k, n in keys.items() if n > 1]
    result = Result("kill", ok and not missing and len(want) == knobs.burst)
    result.numbers = {
        "burst": knobs.burst,
        "delivered_before_kill": killed_at_count,
        "delivered_in_all": len(set(keys) & want),
        "repeats_after_restart": len(twice),
        "seconds_from_kill_to_all_delivered": round(recovery_s, 2),
        "lease_s": knobs.lease_s,
    }
    result.problems = _problems(ok, missing, [])
    return result


def run_load(db: str | None, folder: Path, knobs: Knobs) -> Result:
    from stairwatch.tools.webhook_receiver import WebhookReceiver

    receiver = WebhookReceiver().start()
    store, service = open_rig(db, folder, receiver.url(), knobs)
    raiser = Raiser(store, knobs)
    service.start(schedule=True)
    total = int(knobs.rate_per_min * knobs.load_s / 60.0)
    every = 1.0 / max(knobs.critical_share, 1e-9)
    started = time.monotonic()
    try:
        for i in range(total):
            due = started + i * 60.0 / knobs.rate_per_min
            time.sleep(max(0.0, due - time.monotonic()))
            raiser.raise_one(critical=(i % round(every) == 0) if knobs.critical_share else False)
        load_took = time.monotonic() - started
        service.jobs.run_digest("patrol", time.time())  # flush what the last interval left
        ok = wait_until(drained(service), DRAIN_TIMEOUT_S)
    finally:
        service.stop()
        receiver.stop()
        store.close()
    return _load_result(raiser, receiver, knobs, total, load_took, ok)


def _load_result(
    raiser: Raiser, receiver: Any, knobs: Knobs, total: int, took: float, ok: bool
) -> Result:
    arrivals = alert_event_ids(receiver)
    latencies = sorted(arrivals[e] - raiser.raised_at[e] for e in arrivals)
    in_digests: Counter[str] = Counter()
    digests = 0
    for request in receiver.accepted():
        body = request.json()
        if body["kind"] == "digest":
            digests += 1
            in_digests.update(e["id"] for e in body["events"])
    routine = set(raiser.raised_at) - set(arrivals)  # routine (or a critical one demoted: a bug)
    missing = routine - set(in_digests)
    twice = [e for e, n in in_digests.items() if n > 1]
    p95 = _percentile(latencies, 0.95)
    result = Result("load", ok and not missing and not twice and p95 <= 2.0)
    result.numbers = {
        "alerts": total,
        "achieved_rate_per_min": round(total / took * 60.0, 1),
        "critical_sent_at_once": len(arrivals),
        "critical_demoted_to_digest": len(raiser.critical - set(arrivals)),
        "critical_latency_p50_s": round(_percentile(latencies, 0.5), 3),
        "critical_latency_p95_s": round(p95, 3),
        "critical_latency_max_s": round(latencies[-1], 3) if latencies else 0.0,
        "digests": digests,
        "routine_alerts": len(routine),
        "routine_in_digests_once": len(routine & set(in_digests)) - len(twice),
        "routine_missing_from_digests": len(missing),
        "routine_in_two_digests": len(twice),
    }
    result.problems = _problems(ok, missing, twice)
    if p95 > 2.0:
        result.problems.append(f"critical p95 latency {p95:.2f} s > 2 s")
    return result


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def _problems(drained_ok: bool, missing: set[str], twice: list[str]) -> list[str]:
    problems = [] if drained_ok else [f"outbox not drained within {DRAIN_TIMEOUT_S:.0f} s"]
    if missing:
        problems.append(f"{len(missing)} never arrived")
    if twice:
        problems.append(f"{len(twice)} arrived twice")
    return problems


# -- the delivering worker process --------------------------------------------------------------


def _spawn_worker(db_url: str, folder: Path, url: str, knobs: Knobs) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "stairwatch.tools.delivery_faults", "worker",
        "--db", db_url, "--media", str(folder / "media"), "--url", url,
        "--lease-s", str(knobs.lease_s),
    ]  # fmt: skip
    return subprocess.Popen(command, stdin=subprocess.DEVNULL)


def _kill(worker: subprocess.Popen[bytes], receiver: Any) -> int:
    if worker.poll() is None:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    return len(receiver.accepted())


def run_worker(db_url: str, media: Path, url: str, lease_s: float) -> None:
    """Deliver until killed (the ``kill`` scenario's child process)."""
    from alerts.store import EventStore
    from stairwatch.runtime.delivery import DeliveryService

    store = EventStore.open(db_url, media)
    service = DeliveryService(fault_config(url, Knobs(lease_s=lease_s)), store)
    store.add_change_hook(service.outbox.on_event_change)
    service.start(schedule=False)
    while True:
        time.sleep(3600)


# -- command line -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m stairwatch.tools.delivery_faults")
    parser.add_argument(
        "scenario", nargs="?", default="all", choices=["all", "outage", "kill", "load", "worker"]
    )
    parser.add_argument("--quick", action="store_true", help="10 s outage, 60 s load, 10 s digests")
    parser.add_argument("--db", help="SQLAlchemy URL of an empty database (default: a SQLite file)")
    parser.add_argument("--outage-s", type=float)
    parser.add_argument("--burst", type=int)
    parser.add_argument("--rate", type=float, help="alerts per minute in the load test")
    parser.add_argument("--load-s", type=float)
    parser.add_argument("--digest-interval-s", type=float)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--media", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--lease-s", type=float, default=Knobs.lease_s, help=argparse.SUPPRESS)
    return parser.parse_args(argv)  # fmt: skip


def knobs_from(args: argparse.Namespace) -> Knobs:
    base = asdict(QUICK if args.quick else Knobs())
    overrides = {
        "outage_s": args.outage_s,
        "burst": args.burst,
        "rate_per_min": args.rate,
        "load_s": args.load_s,
        "digest_interval_s": args.digest_interval_s,
    }
    base.update({k: v for k, v in overrides.items() if v is not None})
    return Knobs(**base)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alerts.outbox").setLevel(logging.ERROR)  # retries are the point here
    if args.scenario == "worker":
        run_worker(args.db, args.media, args.url, args.lease_s)
        return 0
    knobs = knobs_from(args)
    scenarios = {"outage": run_outage, "kill": run_kill, "load": run_load}
    chosen = list(scenarios) if args.scenario == "all" else [args.scenario]
    if args.db and len(chosen) > 1:
        print("--db runs one scenario at a time (each needs an empty database)", file=sys.stderr)
        return 2
    results = []
    for name in chosen:
        with tempfile.TemporaryDirectory(prefix=f"stairwatch-{name}-") as folder:
            print(f"== {name} ...", flush=True)
            result = scenarios[name](args.db, Path(folder), knobs)
        results.append(result)
        _print(result)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2), encoding="utf-8")
    return 0 if all(r.passed for r in results) else 1


def _print(result: Result) -> None:
    print(f"{result.scenario}: {'PASS' if result.passed else 'FAIL'}")
    for key, value in result.numbers.items():
        print(f"  {key:42s} {value}")
    for problem in result.problems:
        print(f"  problem: {problem}")


if __name__ == "__main__":
    sys.exit(main())
