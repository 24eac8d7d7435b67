"""What the bench ran on, and this process's resident memory."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import onnxruntime
from pydantic import BaseModel, ConfigDict


class Machine(BaseModel):
    model_config = ConfigDict(frozen=True)

    cpu_model: str
    cores: int
    memory_gb: float | None
    system: str
    python: str
    onnxruntime: str


def this_machine() -> Machine:
    return Machine(
        cpu_model=_cpu_model(),
        cores=len(os.sched_getaffinity(0)),
        memory_gb=_meminfo_gb(),
        system=f"{platform.system()} {platform.release()} {platform.machine()}",
        python=platform.python_version(),
        onnxruntime=onnxruntime.__version__,
    )


def rss_mb() -> float:
    """Resident set size of this process in MiB (Linux; 0.0 where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024.0, 1)
    except OSError:
        pass
    return 0.0


def cpu_ticks() -> tuple[int, int] | None:
    """(steal, total) clock ticks of all CPUs since boot from /proc/stat; None without it.

    Steal is time the hypervisor gave this VM's virtual CPUs to others: a run that lost much of
    it measured a slower machine than the runs it is compared with."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    if fields[0] != "cpu" or len(fields) < 9:
        return None
    ticks = [int(value) for value in fields[1:9]]  # user nice system idle iowait irq softirq steal
    return ticks[7], sum(ticks)


def steal_ratio(start: tuple[int, int] | None, end: tuple[int, int] | None) -> float | None:
    """Share of CPU time stolen between two :func:`cpu_ticks` readings."""
    if start is None or end is None or end[1] <= start[1]:
        return None
    return round((end[0] - start[0]) / (end[1] - start[1]), 3)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _meminfo_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024.0**2, 1)
    except OSError:
        pass
    return None
