"""Where a run's CPU time went, by thread group (Linux ``/proc/self/task``).

Python threads are grouped by name without their camera or number (``reader-cam03`` ->
``reader``, ``inference-2`` -> ``inference``, ``clip-encoder_0`` -> ``clip-encoder``); threads
Python does not know (onnxruntime's pool, FFmpeg's decoders) are ``native``; ``exited`` is the
time of threads that ended during the run (the process total minus the living threads' time).
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

_PER_CAMERA = ("stairwatch-reader-", "reader-", "sampler-")  # then the camera id
_NUMBER = re.compile(r"([-_]\d+)+$")
NATIVE = "native"
EXITED = "exited"


@dataclass(frozen=True)
class CpuReading:
    """CPU seconds (user + system) of the process and of each living thread, by thread id."""

    process_s: float
    threads_s: dict[int, float]
    names: dict[int, str]


def group_name(thread_name: str) -> str:
    """``reader-stairs`` -> ``reader``; ``inference-2`` -> ``inference``; ``MainThread`` stays."""
    for prefix in _PER_CAMERA:
        if thread_name.startswith(prefix):
            return prefix.rstrip("-")
    return _NUMBER.sub("", thread_name) or thread_name


def read_cpu() -> CpuReading | None:
    """This process's CPU time now, or None where ``/proc`` is missing."""
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        process_s = _stat_cpu(Path("/proc/self/stat").read_text()) / ticks
        tasks = list(Path("/proc/self/task").iterdir())
    except OSError:
        return None
    threads_s: dict[int, float] = {}
    for task in tasks:
        try:
            threads_s[int(task.name)] = _stat_cpu((task / "stat").read_text()) / ticks
        except OSError:  # it ended meanwhile
            continue
    names = {t.native_id: group_name(t.name) for t in threading.enumerate() if t.native_id}
    return CpuReading(process_s, threads_s, names)


def cores_by_group(start: CpuReading, end: CpuReading, seconds: float) -> dict[str, float]:
    """Cores each thread group kept busy on average between two readings, largest first."""
    if seconds <= 0:
        return {}
    groups: dict[str, float] = {}
    for tid, cpu_s in end.threads_s.items():
        name = end.names.get(tid) or start.names.get(tid) or NATIVE
        used = cpu_s - start.threads_s.get(tid, 0.0)
        groups[name] = groups.get(name, 0.0) + used
    groups[EXITED] = max(0.0, (end.process_s - start.process_s) - sum(groups.values()))
    cores = {name: round(used / seconds, 3) for name, used in groups.items()}
    return dict(sorted(cores.items(), key=lambda item: -item[1]))


def _stat_cpu(stat: str) -> int:
    """utime + stime clock ticks from a ``/proc/.../stat`` line (after the ``(comm)`` field)."""
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def process_cpu_s(pid: int) -> float | None:
    """CPU seconds process ``pid`` used so far (all its threads), or None where it or ``/proc``
    is gone."""
    try:
        return _stat_cpu(Path(f"/proc/{pid}/stat").read_text()) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None
