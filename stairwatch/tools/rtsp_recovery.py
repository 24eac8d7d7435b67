"""Measure how long a LiveSource takes to come back after its RTSP server returns.

    python3 -m stairwatch.tools.rtsp_recovery [--tries 7] [--down-s 3] [--fast]

Runs the test server ``tests/rtsp_server.py`` (a source checkout and Debian's GStreamer are
needed, see that file), keeps ONE source connected, and repeats: kill the server, wait until the
source is offline, keep the server down ``--down-s`` seconds, start it again, and time from
"server listening" to "source online with a new frame". Reports the median of the tries.
:func:`measure_recovery` works with any server object that can be killed and started.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Protocol

from streams.health import CameraState, HealthSnapshot
from streams.live_source import LiveSource, LiveSourceConfig

SERVER_SCRIPT = Path(__file__).resolve().parents[2] / "tests" / "rtsp_server.py"


class RestartableServer(Protocol):
    url: str

    def start(self) -> None: ...

    def kill(self) -> None: ...


@dataclass(frozen=True)
class RecoveryResult:
    """Seconds from the server listening again to the source online, one per try."""

    seconds: tuple[float, ...]
    config: LiveSourceConfig
    down_s: float

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)


def measure_recovery(
    server: RestartableServer,
    config: LiveSourceConfig,
    tries: int = 7,
    down_s: float = 3.0,
    deadline_s: float = 90.0,
) -> RecoveryResult:
    """``server`` must be running. Raises TimeoutError if a state is not reached in time."""
    seconds = []
    with LiveSource(server.url, "recovery-bench", config) as source:
        _wait(source, lambda h: h.state is CameraState.ONLINE, deadline_s)
        for _ in range(tries):
            server.kill()
            _wait(source, lambda h: h.state is CameraState.OFFLINE, deadline_s)
            time.sleep(down_s)
            server.start()
            back_at = time.monotonic()
            _wait(source, _new_frame_after(source.health().frames_received), deadline_s)
            seconds.append(time.monotonic() - back_at)
    return RecoveryResult(tuple(seconds), config, down_s)


def _new_frame_after(received: int) -> Callable[[HealthSnapshot], bool]:
    return lambda health: health.frames_received > received


def _wait(source: LiveSource, condition: Callable[[HealthSnapshot], bool], limit_s: float) -> None:
    end = time.monotonic() + limit_s
    while not condition(source.health()):
        if time.monotonic() > end:
            raise TimeoutError(f"no change within {limit_s} s: {source.health()}")
        time.sleep(0.01)


def _load_test_server() -> ModuleType:
    """``tests/rtsp_server.py`` as a module (it is a test helper, not part of the package)."""
    if not SERVER_SCRIPT.is_file():
        raise SystemExit(f"needs a source checkout: {SERVER_SCRIPT} is missing")
    spec = importlib.util.spec_from_file_location("rtsp_server", SERVER_SCRIPT)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {SERVER_SCRIPT}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    reason = module.unavailable_reason()
    if reason is not None:
        raise SystemExit(f"cannot run the RTSP test server: {reason}")
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tries", type=int, default=7)
    parser.add_argument("--down-s", type=float, default=3.0, help="seconds the server stays down")
    parser.add_argument(
        "--fast", action="store_true", help="test timeouts (2 s) and backoff (0.1-0.5 s)"
    )
    args = parser.parse_args(argv)
    config = LiveSourceConfig()
    if args.fast:
        config = LiveSourceConfig(2.0, 2.0, 2.0, backoff_base_s=0.1, backoff_cap_s=0.5)
    test_server = _load_test_server()
    server = test_server.ServerProcess(test_server.free_port())
    server.start()
    try:
        result = measure_recovery(server, config, args.tries, args.down_s)
    finally:
        server.kill()
    shown = ", ".join(f"{s:.2f}" for s in result.seconds)
    print(
        f"recovery after the server returns: median {result.median_s:.2f} s "
        f"(min {min(result.seconds):.2f}, max {max(result.seconds):.2f}; tries: {shown}); "
        f"down {args.down_s:g} s, backoff {config.backoff_base_s:g}-{config.backoff_cap_s:g} s, "
        f"ffmpeg options {config.ffmpeg_options!r}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
