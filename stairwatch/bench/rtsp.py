"""``stairwatch bench --rtsp``: live RTSP cameras from the GStreamer test server of the source tree
(``tests/rtsp_server.py``, run by Debian's Python with GstRtspServer): a moving H.264 test pattern
at the bench's size and rate, one shared stream that every camera connects to."""

from __future__ import annotations

import select
import socket
import subprocess
from pathlib import Path
from types import TracebackType

from stairwatch.assets import project_root
from stairwatch.bench.clips import BenchClipError, ClipFormat

SYSTEM_PYTHON = "/usr/bin/python3"
READY_TIMEOUT_S = 30.0


def server_script() -> Path:
    return project_root() / "tests" / "rtsp_server.py"


class PatternServer:
    """The test server as a child process on a free local port; ``url`` once started."""

    def __init__(self, fmt: ClipFormat) -> None:
        self._fmt = fmt
        self._process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> PatternServer:
        script = server_script()
        if not script.is_file():
            raise BenchClipError(f"--rtsp needs the source tree's {script}")
        port = _free_port()
        fmt = self._fmt
        args = ["--port", str(port), "--width", str(fmt.width), "--height", str(fmt.height)]
        args += ["--fps", str(fmt.fps), "--keyint", str(fmt.fps)]
        try:
            self._process = subprocess.Popen(
                [SYSTEM_PYTHON, str(script), *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
        except OSError as exc:
            raise BenchClipError(f"--rtsp: cannot run {SYSTEM_PYTHON}: {exc}") from exc
        line = _first_line(self._process, READY_TIMEOUT_S)
        if not line.startswith("READY "):
            self._stop()
            raise BenchClipError(
                "--rtsp: the GStreamer RTSP test server did not start (it needs python3-gi and "
                "gir1.2-gst-rtsp-server-1.0)"
            )
        self.url = line.split(" ", 1)[1].strip()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def _first_line(process: subprocess.Popen[str], timeout_s: float) -> str:
    assert process.stdout is not None
    readable, _, _ = select.select([process.stdout], [], [], timeout_s)
    return process.stdout.readline() if readable else ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
