"""The load figure: ``GET /api/events`` with filters while the pipeline runs its cameras.

    python3 -m stairwatch.tools.api_load [--events 100000] [--cameras 8] [--rate 100]
                                         [--seconds 60] [--dashboard own|inline] [--workers 2]
                                         [--json OUT]

Fills a fresh store (SQLite, as ``stairwatch run`` uses by default) with ``--events`` events in
bulk, then runs ``stairwatch bench``'s service phase on it (``--cameras`` looping cameras on the
sample clips, motion gating on) with the dashboard serving that store as ``stairwatch run`` does
by default: ``--workers`` processes of its own (``--dashboard own``, ``server.process: own``),
started as ``stairwatch run`` starts them (``stairwatch serve --config FILE --child`` on one
socket), or in the service's process (``--dashboard inline``). Through the measured seconds a
client in another process asks for filtered pages (building, floor, camera, type, severity,
status, verdict, date range, and the next page by cursor) at ``--rate`` requests a second, each
at its set time.
Reports the requests' p50 / p95 / p99 latency and whether detection kept up (the due detections
the pipeline ran).

The bulk events have no snapshot files: listing never reads them.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from queue import Empty
from typing import Any

import uvicorn
from sqlalchemy import Engine, insert

from alerts.event_query import VerdictFilter
from alerts.events import EventStatus, EventType, Severity
from alerts.models import EventRow
from alerts.store import EventStore
from dashboard.app import create_app
from stairwatch.bench.clips import ClipFormat, prepare_clips
from stairwatch.bench.machine import this_machine
from stairwatch.bench.result import ServiceRun
from stairwatch.bench.run import BenchOptions, run_service_alongside
from stairwatch.bench.threads_cpu import process_cpu_s
from stairwatch.config import DashboardProcess, ServerConfig, StorageConfig
from stairwatch.runtime.dashboard_process import DashboardWorkers
from stairwatch.runtime.run_dir import RunDir
from stairwatch.tools.load_client import run_client
from vision.detector import OnnxDetector

BUILDINGS = tuple(f"{n}号楼" for n in range(1, 7))
FLOORS = tuple(f"{n}F" for n in range(1, 19))
SPREAD_DAYS = 180  # the filled events' alert times: over this many days before now
INSERT_CHUNK = 5_000


@dataclass(frozen=True)
class LoadOptions:
    events: int = 100_000
    rate: float = 100.0  # requests a second
    seconds: float = 60.0
    cameras: int = 8
    dashboard: DashboardProcess = DashboardProcess.OWN
    workers: int = 2  # the dashboard's processes (own), as server.workers' default


@dataclass(frozen=True)
class LoadReport:
    """Latencies in milliseconds from a request's send to its whole answer read."""

    dashboard: str  # "own": in processes of its own; "inline": in the service's
    workers: int  # the dashboard's processes (own; 0: inline)
    events: int
    fill_s: float  # the bulk insert of the events, migrations included
    requests: int
    errors: int  # answers other than 200, and failed connections
    errors_by_kind: dict[str, int]  # "HTTP 503", "TimeoutError", ...
    requests_per_s: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    latency_max_ms: float | None
    late_sends: int  # requests sent more than 10 ms after their set time (the client fell behind)
    due_detections_ratio: float | None  # detections run / due: 1.0 means detection kept up
    frame_age_p95_s: float | None
    detections_per_s: float
    cpu_steal_ratio: float | None
    # Cores each thread group of the service's process kept busy: "dashboard" (uvicorn's event
    # loop) and "AnyIO worker thread" (the requests' store calls) against the pipeline's; with
    # --dashboard own, "dashboard process" is the dashboard's processes together.
    cores_by_thread: dict[str, float] | None
    cores: int
    cpu: str


def fill_events(engine: Engine, count: int, cameras: int, now: float, seed: int = 0) -> None:
    """``count`` events of cameras ``cam01``.. (as :func:`bench_settings` names them) spread
    over :data:`SPREAD_DAYS` before ``now``, with every type, severity, status and verdict,
    inserted in chunks (one statement per chunk)."""
    rng = random.Random(seed)
    with engine.begin() as conn:
        for start in range(0, count, INSERT_CHUNK):
            rows = [_row(rng, cameras, now) for _ in range(min(INSERT_CHUNK, count - start))]
            conn.execute(insert(EventRow), rows)


def _row(rng: random.Random, cameras: int, now: float) -> dict[str, Any]:
    camera = rng.randrange(cameras)
    alert_ts = now - rng.random() * SPREAD_DAYS * 86_400
    status = rng.choice(list(EventStatus))
    verdict = rng.choice(("confirmed", "false_alarm", None, None))
    resolved = status is EventStatus.RESOLVED
    return {
        "id": str(uuid.uuid4()),
        "camera_id": f"cam{camera + 1:02d}",
        "camera_name": f"camera {camera + 1}",
        "building": BUILDINGS[camera % len(BUILDINGS)],
        "floor": rng.choice(FLOORS),
        "zone": "stair",
        "type": rng.choice(list(EventType)).value,
        "severity": rng.choice(list(Severity)).value,
        "status": status.value,
        "track_id": rng.randrange(1000),
        "confidence": round(rng.uniform(0.3, 0.99), 3),
        "start_ts": alert_ts - 30,
        "alert_ts": alert_ts,
        "end_ts": alert_ts + 120,
        "details": [],
        "snapshot_path": f"snapshots/bulk/{camera}.jpg",
        "created_at": alert_ts,
        "updated_at": alert_ts,
        "reminder_count": 0,
        "resolved_by": "bench" if resolved else None,
        "resolved_at": alert_ts + 300 if resolved else None,
        "review_verdict": verdict,
        "review_reason": "bicycle" if verdict == "false_alarm" else None,
        "reviewed_by": "bench" if verdict else None,
        "reviewed_at": alert_ts + 300 if verdict else None,
    }


def filter_queries(now: float) -> list[str]:
    """The filtered lists the client asks for, in turn (dates as the page's date inputs)."""
    day = datetime.fromtimestamp(now).date()
    month_ago, week_ago = day - timedelta(days=30), day - timedelta(days=7)
    return [
        "",
        f"building={BUILDINGS[0]}",
        f"building={BUILDINGS[1]}&floor={FLOORS[2]}",
        "camera=cam03",
        f"type={EventType.FLYING_WIRE.value}",
        f"severity={Severity.CRITICAL.value}",
        f"status={EventStatus.OPEN.value}",
        f"verdict={VerdictFilter.FALSE_ALARM.value}",
        f"verdict={VerdictFilter.NONE.value}&from={month_ago}",
        f"from={week_ago}&to={day}&type={EventType.EBIKE_PARKED.value}",
        f"camera=cam05&status={EventStatus.RESOLVED.value}&verdict=confirmed",
        f"floor={FLOORS[9]}&severity={Severity.HIGH.value}&from={month_ago}&to={day}",
    ]


@dataclass
class ApiLoad:
    """The dashboard on the service's store (``dashboard``: in its own process or the
    service's), and the client, through the measured seconds."""

    queries: list[str]
    rate: float
    seconds: float
    data_dir: Path  # the service's (its store, its run directory)
    cameras: int
    dashboard: DashboardProcess = DashboardProcess.OWN
    workers: int = 2  # the dashboard's processes (own)
    results: list[list[Any]] | None = None
    dashboard_cores: float | None = None  # of the dashboard's own processes, together

    @contextmanager
    def __call__(self, store: EventStore) -> Iterator[None]:
        own = self.dashboard is DashboardProcess.OWN
        serving = (
            _serving_apart(self.data_dir, self.cameras, self.workers)
            if own
            else _serving(create_app(store))
        )
        with serving as (base, pids):
            context = multiprocessing.get_context("spawn")  # no fork of a threaded process
            queue = context.Queue()
            args = (base, self.queries, self.rate, self.seconds, queue)
            client = context.Process(target=run_client, args=args, daemon=True)
            client.start()
            started, cpu_start = time.monotonic(), _cpu_s(pids)
            try:
                yield
                cpu_end, elapsed = _cpu_s(pids), time.monotonic() - started
                if cpu_start is not None and cpu_end is not None:
                    self.dashboard_cores = round((cpu_end - cpu_start) / elapsed, 3)
                self.results = _wait_for_results(client, queue, self.seconds + 120)
            finally:
                client.join(10)
                if client.is_alive():
                    client.kill()


def _wait_for_results(client: Any, queue: Any, timeout_s: float) -> list[list[Any]]:
    """The client's results; RuntimeError when it died or took far longer than it should."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            return list(queue.get(timeout=1.0))
        except Empty:
            if not client.is_alive():
                code = client.exitcode
                raise RuntimeError(f"the load client failed (exit code {code})") from None
    raise RuntimeError(f"the load client sent no results in {timeout_s:.0f} s")


def _cpu_s(pids: list[int]) -> float | None:
    """The processes' CPU seconds together (None: none, or one is gone)."""
    times = [process_cpu_s(pid) for pid in pids]
    return sum(t for t in times if t is not None) if times and None not in times else None


@contextmanager
def _serving_apart(data_dir: Path, cameras: int, workers: int) -> Iterator[tuple[str, list[int]]]:
    """The dashboard over the store in ``data_dir`` as ``stairwatch run`` serves it
    (``server.process: own``): ``workers`` processes of ``stairwatch serve --config FILE
    --child`` on one socket, from a configuration written for them; yields its base URL and
    their process ids."""
    config = data_dir / "api-load.yaml"
    config.write_text(json.dumps(_dashboard_config(data_dir, cameras)), encoding="utf-8")
    run_dir = RunDir.of(data_dir)
    run_dir.root.mkdir(parents=True, exist_ok=True)
    dashboard = DashboardWorkers(config, "warning", "127.0.0.1", 0, workers, run_dir, None)
    dashboard.start()
    try:
        if not dashboard.wait_ready(60):
            raise RuntimeError("the dashboard processes did not start")
        pids = [c.pid for c in dashboard.children if c.pid is not None]
        yield f"http://127.0.0.1:{dashboard.port}", pids
    finally:
        dashboard.stop()


def _dashboard_config(data_dir: Path, cameras: int) -> dict[str, Any]:
    """A configuration (as JSON, which is YAML) naming the store and the cameras of
    :func:`~stairwatch.bench.run.bench_settings`; the processes get their socket from here."""
    return {
        "storage": {"data_dir": str(data_dir)},
        "cameras": [
            {"id": f"cam{n:02d}", "source": f"cam{n:02d}.mp4"} for n in range(1, cameras + 1)
        ],
    }


@contextmanager
def _serving(app: Any) -> Iterator[tuple[str, list[int]]]:
    """``app`` under uvicorn on a free loopback port, in a thread of this process; yields its
    base URL (and no process ids: this one's CPU is the service's)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="dashboard", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the dashboard did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", []
    finally:
        server.should_exit = True
        thread.join(10)


def run_api_load(
    detector: OnnxDetector,
    clips_dir: Path,
    options: LoadOptions,
    bench: BenchOptions,
    work: Path,
) -> LoadReport:
    """Fill, then run the service and the load together (see the module's text)."""
    clips = prepare_clips(clips_dir, work / "clips", bench.fmt)
    data_dir = work / "service"
    data_dir.mkdir(parents=True, exist_ok=True)
    now = time.time()
    url = StorageConfig(data_dir=data_dir).resolved_database_url()
    with EventStore.open(url, data_dir / "media") as store:
        fill_events(store.engine, options.events, options.cameras, now)
    fill_s = round(time.time() - now, 1)
    print(f"stored {options.events} events in {fill_s} s", flush=True)
    queries = filter_queries(now)
    load = ApiLoad(queries, options.rate, options.seconds, data_dir, options.cameras,
                   options.dashboard, options.workers)  # fmt: skip
    run = run_service_alongside(detector, clips, data_dir, bench, load)
    return _report(options, fill_s, load, run)


def _report(options: LoadOptions, fill_s: float, load: ApiLoad, run: ServiceRun) -> LoadReport:
    results = load.results or []
    latencies = sorted(r[0] for r in results if r[0] is not None)
    machine = this_machine()
    cores = run.cores_by_thread
    if cores is not None and load.dashboard_cores is not None:
        cores = {**cores, "dashboard process": load.dashboard_cores}
    return LoadReport(
        dashboard=options.dashboard.value,
        workers=options.workers if options.dashboard is DashboardProcess.OWN else 0,
        events=options.events,
        fill_s=fill_s,
        requests=len(results),
        errors=sum(1 for r in results if r[0] is None),
        errors_by_kind=dict(Counter(r[2] for r in results if r[2] is not None)),
        requests_per_s=round(len(results) / options.seconds, 1),
        latency_p50_ms=percentile_ms(latencies, 0.50),
        latency_p95_ms=percentile_ms(latencies, 0.95),
        latency_p99_ms=percentile_ms(latencies, 0.99),
        latency_max_ms=round(latencies[-1] * 1000, 1) if latencies else None,
        late_sends=sum(1 for r in results if r[1]),
        due_detections_ratio=run.due_detections_ratio,
        frame_age_p95_s=run.frame_age_p95_s,
        detections_per_s=run.detections_per_s,
        cpu_steal_ratio=run.cpu_steal_ratio,
        cores_by_thread=cores,
        cores=machine.cores,
        cpu=machine.cpu_model,
    )


def percentile_ms(sorted_s: list[float], q: float) -> float | None:
    """The ``q`` quantile of sorted seconds, in milliseconds (None when there are none)."""
    if not sorted_s:
        return None
    if len(sorted_s) == 1:
        return round(sorted_s[0] * 1000, 1)
    cuts = statistics.quantiles(sorted_s, n=100, method="inclusive")
    return round(cuts[round(q * 100) - 1] * 1000, 1)


def format_report(report: LoadReport) -> str:
    kept_up = report.due_detections_ratio
    return "\n".join(
        [
            f"GET /api/events with filters on {report.events} stored events, dashboard "
            f"{_where(report.dashboard, report.workers)}, "
            f"{report.requests_per_s} requests/s ({report.requests} sent, {report.errors} errors, "
            f"{report.late_sends} sent late{_kinds(report.errors_by_kind)}):",
            f"  latency p50 {report.latency_p50_ms} ms, p95 {report.latency_p95_ms} ms, "
            f"p99 {report.latency_p99_ms} ms, max {report.latency_max_ms} ms",
            f"  detection meanwhile: due detections run {kept_up} (1.0: kept up), "
            f"frame age p95 {report.frame_age_p95_s} s, {report.detections_per_s} detections/s",
            f"  cores by thread: {report.cores_by_thread}",
            f"  machine: {report.cores} cores, {report.cpu}, CPU steal {report.cpu_steal_ratio}",
        ]
    )


def _where(dashboard: str, workers: int) -> str:
    if dashboard == DashboardProcess.OWN:
        return "in its own process" if workers == 1 else f"in {workers} processes of its own"
    return "in the service's process"


def _kinds(errors: dict[str, int]) -> str:
    return "; errors: " + ", ".join(f"{k} {n}" for k, n in errors.items()) if errors else ""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.events < 0 or args.rate <= 0 or args.seconds <= 0 or args.cameras < 1:
        print("api_load: --events >= 0, --rate and --seconds > 0, --cameras >= 1", file=sys.stderr)
        return 2
    from stairwatch.assets import default_model_path, sample_videos_dir
    from stairwatch.config import InferenceConfig, ModelConfig, usable_cores
    from vision.detector import load_detector

    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("stairwatch.runtime.sink").setLevel(logging.WARNING)
    cores, inference = usable_cores(), InferenceConfig()
    threads = inference.threads_per_call(cores, args.cameras)
    detector = load_detector(
        args.model or default_model_path(),
        None,
        ModelConfig().detector_confidence,
        threads=threads,
        input_side=ModelConfig().input_size,
    )
    if args.workers < 1:
        print("api_load: --workers >= 1", file=sys.stderr)
        return 2
    options = LoadOptions(
        args.events, args.rate, args.seconds, args.cameras, args.dashboard, args.workers
    )
    bench = BenchOptions(
        cameras=args.cameras,
        seconds=args.seconds,
        warmup_s=args.warmup,
        detect_fps=args.detect_fps,
        workers=inference.worker_count(cores, args.cameras),
        threads=threads,
        fmt=ClipFormat(args.width, args.height, args.fps, max_seconds=args.clip_seconds),
        progress=not args.no_progress,
    )
    with tempfile.TemporaryDirectory(prefix="stairwatch-api-load-") as tmp:
        report = run_api_load(
            detector, args.clips or sample_videos_dir(), options, bench, Path(tmp)
        )
    print(format_report(report))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(report), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 -m stairwatch.tools.api_load", description=__doc__)
    p.add_argument("--events", type=int, default=100_000, help="stored events (default 100000)")
    p.add_argument("--rate", type=float, default=100.0, help="requests a second (default 100)")
    p.add_argument("--seconds", type=float, default=60.0, help="measured run (default 60)")
    p.add_argument("--warmup", type=float, default=5.0, help="service warm-up (default 5)")
    p.add_argument("--cameras", type=int, default=8, help="looping file cameras (default 8)")
    p.add_argument("--detect-fps", type=float, default=2.0, help="per camera (default 2)")
    p.add_argument("--model", type=Path, help="ONNX model (default: the bundled one)")
    p.add_argument("--clips", type=Path, help="folder of clips (default: sample_videos/)")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--fps", type=int, default=15, help="camera frame rate (default 15)")
    p.add_argument("--clip-seconds", type=float, default=60.0, help="clips cut to (default 60)")
    p.add_argument(
        "--dashboard",
        type=DashboardProcess,
        choices=list(DashboardProcess),
        default=DashboardProcess.OWN,
        help="own (default, as `stairwatch run`): the dashboard in a process of its own; "
        "inline: in the service's process",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=ServerConfig().workers,
        help="the dashboard's processes with --dashboard own (default: server.workers')",
    )
    p.add_argument("--json", type=Path, metavar="OUT", help="write the report as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


if __name__ == "__main__":
    raise SystemExit(main())
