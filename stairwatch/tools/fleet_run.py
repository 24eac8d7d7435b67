"""A fleet on this machine, for the fleet test and :mod:`stairwatch.tools.fleet_figures`: the
configuration the nodes share, node processes (``stairwatch run``), a dashboard-only process
(``stairwatch serve``) and what the control room's API says about them. Standard library only
(the API is read with urllib)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import urlopen

import yaml

WHOLE_FRAME = [[0, 0], [1, 0], [1, 1], [0, 1]]


def fleet_config(
    clip: Path,
    model: Path,
    database_url: str,
    hook_url: str,
    cameras: int,
    car: list[list[float]] | None = None,
) -> dict[str, Any]:
    """The configuration every node shares: ``cameras`` elevator cameras on ``clip`` (looped;
    ``car``: the elevator zone's polygon, default the whole frame), one site, media in the
    database, critical alerts to a webhook. Each node adds its ``node``, port and data folder."""
    return {
        "cameras": [
            {
                "id": f"lift-{i + 1}",
                "building": "3",
                "site": "north",
                "source": str(clip),
                "loop": True,
                "zones": [{"name": "car", "kind": "elevator", "polygon": car or WHOLE_FRAME}],
            }
            for i in range(cameras)
        ],
        "model": {"path": str(model)},
        "inference": {"workers": 1, "threads": 1},
        "clips": {"enabled": False},
        "storage": {"database_url": database_url, "media": "database"},
        "notifications": {
            "channels": {"hook": {"type": "webhook", "url": hook_url}},
            "groups": [{"name": "patrol", "buildings": ["*"], "channels": ["hook"]}],
            "delivery": {"lease_s": 5, "backoff_base_s": 1, "backoff_cap_s": 2},
        },
    }


@dataclass
class Process:
    """One ``stairwatch`` process and its log file."""

    name: str
    port: int
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        if self.popen.poll() is None:
            os.kill(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ---\n" + "\n".join(text.splitlines()[-lines:])


@dataclass
class Fleet:
    """Processes started from one shared configuration; :meth:`close` stops them all."""

    root: Path
    shared: dict[str, Any]
    processes: list[Process] = field(default_factory=list)

    def start(self, command: str, name: str, port: int, **changes: Any) -> Process:
        """``stairwatch COMMAND --config`` with the shared configuration plus ``changes``
        (top-level sections replaced)."""
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        config = {**self.shared, **changes, "server": {"port": port}}
        config["storage"] = {**self.shared["storage"], **config["storage"]}
        config["storage"]["data_dir"] = str(folder / "data")
        path = folder / "config.yaml"
        path.write_text(yaml.safe_dump(config))
        log = folder / "log.txt"
        cmd = [sys.executable, "-m", "stairwatch", command, "--config", str(path)]
        with log.open("wb") as out:
            popen = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        process = Process(name, port, popen, log)
        self.processes.append(process)
        return process

    def close(self) -> None:
        for process in self.processes:
            process.stop()

    def tails(self) -> str:
        return "\n".join(p.tail() for p in self.processes)


def api(process: Process, path: str) -> Any:
    """GET ``path`` of the process's dashboard as JSON; None while it does not answer."""
    try:
        with urlopen(process.base + path, timeout=5) as response:
            return json.loads(response.read())
    except (URLError, OSError, ValueError):
        return None


def holders(control: Process) -> dict[str, str]:
    """Camera -> the online node holding it, as the control room's ``/api/nodes`` says."""
    nodes = api(control, "/api/nodes") or []
    return {camera: n["id"] for n in nodes if n["online"] for camera in n["cameras"]}


def wait_until(check: Callable[[], bool], timeout_s: float, period_s: float = 0.25) -> float | None:
    """Seconds until ``check()`` held, or None when it did not within ``timeout_s``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if check():
            return time.monotonic() - started
        time.sleep(period_s)
    return None
