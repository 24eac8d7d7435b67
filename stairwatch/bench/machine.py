"""What the bench ran on, and this process's resident memory."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
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


@dataclass(frozen=True)
class CpuTicks:
    """Clock ticks of all CPUs since boot (/proc/stat): stolen by the hypervisor, busy (user,
    nice, system, irq, softirq) and in all."""

    steal: int
    busy: int
    total: int


def cpu_ticks() -> CpuTicks | None:
    """All CPUs' :class:`CpuTicks` now; None without /proc/stat.

    Steal is time the hypervisor gave this VM's virtual CPUs to others: a run that lost much of
    it measured a slower machine than the runs it is compared with."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    if fields[0] != "cpu" or len(fields) < 9:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in fields[1:9])
    busy = user + nice + system + irq + softirq
    return CpuTicks(steal, busy, busy + idle + iowait + steal)


def steal_ratio(start: CpuTicks | None, end: CpuTicks | None) -> float | None:
    """Share of CPU time stolen between two :func:`cpu_ticks` readings."""
    if start is None or end is None or end.total <= start.total:
        return None
    return round((end.steal - start.steal) / (end.total - start.total), 3)


def other_cores(
    start: CpuTicks | None, end: CpuTicks | None, own_cpu_s: float, elapsed_s: float
) -> float | None:
    """Cores the rest of the machine kept busy between two readings: all CPUs' busy time less
    ``own_cpu_s`` (this process's CPU seconds over the same ``elapsed_s`` seconds). A run that
    shared the machine measured less than the machine can do (a low-priority job beside the
    service has halved a 64-camera figure)."""
    if start is None or end is None or elapsed_s <= 0:
        return None
    busy_s = (end.busy - start.busy) / os.sysconf("SC_CLK_TCK")
    return round(max(0.0, (busy_s - own_cpu_s) / elapsed_s), 2)


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
