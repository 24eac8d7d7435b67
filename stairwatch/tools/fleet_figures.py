"""Figures of a fleet on one PostgreSQL, measured on this machine.

* ``failover``: ``--nodes`` real ``stairwatch run`` nodes and a ``stairwatch serve`` control room
  on ``--cameras`` looped copies of a sample clip; ``--kills`` times the node holding a camera is
  SIGKILLed and started again. Reports the failover time (SIGKILL to every camera held by a live
  node again: median and max), stays raised twice (two events of one camera, type and zone at
  once), alerts lost (a critical event with no delivered alert) and repeated deliveries (one
  idempotency key received more than once; a second key for one alert cannot exist).
* ``load``: ``--load-cameras`` simulated cameras shared by ``--load-nodes`` in-process nodes
  (real lease passes and heartbeats, each node publishing its cameras' health with them; each
  camera raises one event with a real snapshot every ``--event-every-s``); reports the
  database's transactions and rows written per second.
* ``size``: the database's growth per 1,000 events stored with their snapshot (and, with
  ``--with-clip``, the sample clip as their clip) in the database (``storage.media: database``).

``--database-url`` must name an empty PostgreSQL database the script may fill. Results are
printed as JSON (``--out`` also writes them). Example::

    python -m stairwatch.tools.fleet_figures --database-url postgresql+psycopg://... \\
        failover --kills 10
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import cv2
import psycopg

from alerts.events import EventRecord, EventType, Severity
from alerts.fleet import Fence, FleetStore
from alerts.fleet_health import CameraReport, FleetHealthStore, NodeReport
from alerts.store import EventStore
from alerts.stored import CameraInfo
from stairwatch.config import NodeConfig
from stairwatch.runtime.fleet import FleetNode
from stairwatch.runtime.fleet_publish import HealthPublisher
from stairwatch.tools.fleet_run import Fleet, Process, api, fleet_config, holders, wait_until
from stairwatch.tools.webhook_receiver import WebhookReceiver

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CLIP = REPO / "sample_videos" / "elevator_entry.mp4"
DEFAULT_MODEL = REPO / "models" / "stairwatch-default.onnx"
FAILOVER_LIMIT_S = 60.0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    figures = {"failover": failover, "load": load, "size": size}[args.figure](args)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")
    return 0


# -- failover -----------------------------------------------------------------------------------


def failover(args: argparse.Namespace) -> dict[str, Any]:
    """Kill the node holding a camera ``--kills`` times; see the module docstring."""
    cameras = [f"lift-{i + 1}" for i in range(args.cameras)]
    node = {"site": "north", "lease_s": args.lease_s}
    car = _sidecar_car(args.clip)
    times: list[float] = []
    with WebhookReceiver() as receiver, tempfile.TemporaryDirectory() as folder:
        shared = fleet_config(
            args.clip, args.model, args.database_url, receiver.url(), args.cameras, car
        )
        shared["cameras"] = [{**c, "detect_fps": args.detect_fps} for c in shared["cameras"]]
        fleet = Fleet(Path(folder), shared)
        try:
            names = [f"n{i + 1}" for i in range(args.nodes)]
            ports = {name: _free_port() for name in names}
            procs = {n: fleet.start("run", n, ports[n], node={"id": n, **node}) for n in names}
            control = fleet.start("serve", "control", _free_port())
            if wait_until(lambda: set(holders(control)) == set(cameras), 180) is None:
                raise SystemExit("the fleet did not start:\n" + fleet.tails())
            for kill in range(args.kills):
                owners = sorted(set(holders(control).values()))
                victim = owners[kill % len(owners)]
                procs[victim].kill()
                took = _failover_s(control, cameras, set(names) - {victim})
                times.append(took)
                print(f"kill {kill + 1}: {victim}: {took:.1f} s", file=sys.stderr, flush=True)
                again = {"id": victim, **node}
                procs[victim] = fleet.start("run", victim, ports[victim], node=again)
                wait_until(lambda: victim in holders(control).values(), 120)  # noqa: B023
            outcome = _deliveries(args.database_url, receiver, control)
        finally:
            fleet.close()
    return {
        "figure": "failover",
        "nodes": args.nodes,
        "cameras": args.cameras,
        "lease_s": args.lease_s,
        "kills": args.kills,
        "failover_s_median": round(statistics.median(times), 2) if times else None,
        "failover_s_max": round(max(times), 2) if times else None,
        "failover_s_all": [round(t, 2) for t in times],
        **outcome,
    }


def _failover_s(control: Process, cameras: list[str], live: set[str]) -> float:
    """Seconds until every camera is held by a node of ``live`` (the limit if never)."""

    def all_held() -> bool:
        owners = holders(control)
        return set(owners) == set(cameras) and set(owners.values()) <= live

    took = wait_until(all_held, FAILOVER_LIMIT_S)
    return FAILOVER_LIMIT_S if took is None else took


def _deliveries(url: str, receiver: WebhookReceiver, control: Process) -> dict[str, Any]:
    """Once the outbox is drained: stays raised twice, alerts lost, repeated deliveries."""
    dsn = _dsn(url)

    def drained() -> bool:
        with psycopg.connect(dsn) as conn:
            rows = conn.execute("SELECT count(*) FROM outbox WHERE status <> 'delivered'")
            return int(rows.fetchone()[0]) == 0  # type: ignore[index]

    wait_until(drained, 120, period_s=1.0)
    with psycopg.connect(dsn) as conn:
        events = conn.execute(
            "SELECT id, camera_id, type, zone, alert_ts, end_ts, severity FROM events"
        ).fetchall()
        alerted = {
            e for (e,) in conn.execute(
                "SELECT event_id FROM outbox WHERE kind = 'alert' AND status = 'delivered'"
            )
        }  # fmt: skip
    critical = [e for e in events if e[2] == EventType.EBIKE_IN_ELEVATOR.value]
    keys = Counter(r.headers.get("Idempotency-Key") for r in receiver.received())
    return {
        "events": len(events),
        "stays_raised_twice": _overlapping(events),
        "alerts_lost": sum(1 for e in critical if e[0] not in alerted),
        "deliveries": sum(keys.values()),
        "deliveries_repeated_same_key": sum(n - 1 for n in keys.values()),
        "control_room_events": len(api(control, "/api/events?limit=500") or []),
    }


def _overlapping(events: list[tuple[Any, ...]]) -> int:
    """Pairs of events of one camera, type and zone open at the same time."""
    by_place: dict[tuple[str, str, str | None], list[tuple[float, float]]] = {}
    for _, camera, type_, zone, alert_ts, end_ts, _ in events:
        span = (alert_ts, end_ts if end_ts is not None else float("inf"))
        by_place.setdefault((camera, type_, zone), []).append(span)
    twice = 0
    for spans in by_place.values():
        spans.sort()
        twice += sum(1 for a, b in itertools.pairwise(spans) if b[0] < a[1])
    return twice


# -- load ---------------------------------------------------------------------------------------


class _NoVideo:
    """A simulated node's cameras: leases are real, video is not."""

    def __init__(self) -> None:
        self.fences: dict[str, Fence] = {}
        self._lock = threading.Lock()

    def take(self, camera_id: str, fence: Fence) -> None:
        with self._lock:
            self.fences[camera_id] = fence

    def drop(self, camera_id: str) -> None:
        with self._lock:
            self.fences.pop(camera_id, None)

    def held(self) -> dict[str, Fence]:
        with self._lock:
            return dict(self.fences)

    def report(self) -> NodeReport:
        """Its cameras' health as a node publishes it: each online."""
        cameras = tuple(_online(c) for c in sorted(self.held()))
        return NodeReport(cameras, ())


def _online(camera_id: str) -> CameraReport:
    return CameraReport(camera_id=camera_id, name=camera_id, building="3", floor="",
                        state="online", fps=2.0, last_frame_age_s=0.1, frames_dropped=0,
                        reconnects=0, detections_run=0, detections_skipped=0, detector_errors=0,
                        detections_per_s=2.0, due_share=1.0, last_error=None)  # fmt: skip


def load(args: argparse.Namespace) -> dict[str, Any]:
    """Simulated cameras on in-process nodes; see the module docstring."""
    from stairwatch.config import CameraConfig

    cameras = [
        CameraConfig.model_validate({"id": f"cam-{i:03d}", "source": "x.mp4", "site": "north"})
        for i in range(args.load_cameras)
    ]
    snapshot = _snapshot(args.clip)
    with tempfile.TemporaryDirectory() as folder:
        store = EventStore.open(args.database_url, Path(folder), media_in_database=True)
        fleet, health = FleetStore(store.engine), FleetHealthStore(store.engine)
        runners = [_NoVideo() for _ in range(args.load_nodes)]
        nodes = [
            FleetNode(
                NodeConfig(id=f"sim-{i}", site="north", lease_s=args.lease_s),
                cameras,
                fleet,
                runner,
                "sim",
                store,
                publish=HealthPublisher(f"sim-{i}", health, runner.report).publish,
            )
            for i, runner in enumerate(runners)
        ]
        for node in nodes:
            node.start()
        time.sleep(args.lease_s * 3)  # shared out
        before, started = _stats(args.database_url), time.monotonic()
        events = _simulate_events(store, runners, snapshot, args.load_s, args.event_every_s)
        after, took = _stats(args.database_url), time.monotonic() - started
        for node in nodes:
            node.stop()
        store.close()
    return {
        "figure": "load",
        "cameras": args.load_cameras,
        "nodes": args.load_nodes,
        "lease_s": args.lease_s,
        "event_every_s": args.event_every_s,
        "seconds": round(took, 1),
        "events_written": events,
        "transactions_per_s": round((after["xact_commit"] - before["xact_commit"]) / took, 1),
        "rows_written_per_s": round((after["rows"] - before["rows"]) / took, 1),
        "database_mb": round(after["bytes"] / 1e6, 1),
    }


def _simulate_events(
    store: EventStore, runners: list[_NoVideo], jpeg: bytes, seconds: float, every_s: float
) -> int:
    """Each held camera raises one event every ``every_s`` (at random phases) and ends it
    ``every_s / 2`` later, fenced by its lease like a real node's writes."""
    written, deadline, started = 0, time.monotonic() + seconds, time.time()
    next_at: dict[str, float] = {}
    open_ids: dict[str, tuple[str, float, Fence]] = {}
    while time.monotonic() < deadline:
        now = time.time()
        for runner in runners:
            for camera_id, fence in runner.held().items():
                due = next_at.setdefault(
                    camera_id, started + hash(camera_id) % 1000 / 1000 * every_s
                )
                if camera_id in open_ids and open_ids[camera_id][1] <= now:
                    event_id, _, opened_by = open_ids.pop(camera_id)
                    store.record_end(event_id, now, fence=opened_by)
                    written += 1
                if now >= due and camera_id not in open_ids:
                    record = _record(camera_id, now)
                    info = CameraInfo(camera_id, camera_id, building="3")
                    stored = store.record_raised(record, info, jpeg, fence)
                    open_ids[camera_id] = (stored.id, now + every_s / 2, fence)
                    next_at[camera_id] = due + every_s
                    written += 1
        time.sleep(0.05)
    return written


# -- size ---------------------------------------------------------------------------------------


def size(args: argparse.Namespace) -> dict[str, Any]:
    """Growth of the database per 1,000 events with their media in it."""
    snapshot = _snapshot(args.clip)
    clip = args.clip.read_bytes() if args.with_clip else None
    with tempfile.TemporaryDirectory() as folder:
        store = EventStore.open(args.database_url, Path(folder), media_in_database=True)
        before = _stats(args.database_url)["bytes"]
        for i in range(args.events):
            now = time.time()
            stored = store.record_raised(
                _record(f"cam-{i % 100:03d}", now), CameraInfo(f"cam-{i % 100:03d}", "x"), snapshot
            )
            if clip is not None:
                store.record_clip(stored.id, clip)
            store.record_end(stored.id, now + 1)
        after = _stats(args.database_url)["bytes"]
        store.close()
    per_1000 = (after - before) / args.events * 1000
    return {
        "figure": "size",
        "events": args.events,
        "snapshot_bytes": len(snapshot),
        "clip_bytes": len(clip) if clip else 0,
        "database_mb_per_1000_events": round(per_1000 / 1e6, 1),
    }


# -- shared -------------------------------------------------------------------------------------


def _record(camera_id: str, now: float) -> EventRecord:
    return EventRecord(
        key=f"{camera_id}:{now}",
        camera_id=camera_id,
        zone="car",
        type=EventType.EBIKE_IN_ELEVATOR,
        severity=Severity.CRITICAL,
        track_id=1,
        confidence=0.9,
        start_ts=now - 2,
        alert_ts=now,
    )


def _snapshot(clip: Path) -> bytes:
    """A JPEG of the clip's first frame, at its size, as the service encodes snapshots."""
    capture = cv2.VideoCapture(str(clip))
    ok, frame = capture.read()
    capture.release()
    if not ok:
        raise SystemExit(f"{clip}: cannot read a frame")
    encoded, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return bytes(data.tobytes()) if encoded else b""


def _stats(url: str) -> dict[str, int]:
    with psycopg.connect(_dsn(url)) as conn:
        row = conn.execute(
            "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted,"
            " pg_database_size(current_database())"
            " FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    return {"xact_commit": int(row[0]), "rows": int(row[1]), "bytes": int(row[2])}


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _sidecar_car(clip: Path) -> list[list[float]] | None:
    sidecar = clip.with_suffix(".json")
    if not sidecar.is_file():
        return None
    zones = json.loads(sidecar.read_text()).get("zones", [])
    return next((z["polygon"] for z in zones if z.get("kind") == "elevator"), None)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", required=True, help="an empty PostgreSQL database")
    p.add_argument("--clip", type=Path, default=DEFAULT_CLIP, help="the cameras' (looped) clip")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    p.add_argument("--lease-s", type=float, default=15.0, help="node.lease_s")
    p.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    sub = p.add_subparsers(dest="figure", required=True)
    f = sub.add_parser("failover", help="kill nodes, time the take-over, count what was lost")
    f.add_argument("--kills", type=int, default=10)
    f.add_argument("--nodes", type=int, default=3)
    f.add_argument("--cameras", type=int, default=3)
    f.add_argument("--detect-fps", type=float, default=2.0)
    ld = sub.add_parser("load", help="database write load of simulated cameras")
    ld.add_argument("--load-cameras", type=int, default=100)
    ld.add_argument("--load-nodes", type=int, default=4)
    ld.add_argument("--load-s", type=float, default=60.0)
    ld.add_argument("--event-every-s", type=float, default=60.0)
    s = sub.add_parser("size", help="database size per 1,000 events with their media")
    s.add_argument("--events", type=int, default=1000)
    s.add_argument("--with-clip", action="store_true", help="the clip file as each event's clip")
    return p


if __name__ == "__main__":
    sys.exit(main())
