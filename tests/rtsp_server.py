"""A small RTSP server for tests: a live test pattern, H.264 over RTP, on one port.

Run with Debian's Python, which has PyGObject (``gi``) and GstRtspServer:

    /usr/bin/python3 tests/rtsp_server.py --port 8554 [--path /cam] [--fps 10] [--keyint 10]

It also serves a half-size sub-stream at ``/sub``. It prints ``READY rtsp://127.0.0.1:PORT/PATH``
on stdout once it listens. SIGUSR1 drops every
connected client (a server-side disconnect without a restart); SIGTERM / SIGINT stop it.
Needs the Debian packages gir1.2-gst-rtsp-server-1.0 and python3-gi (``apt-get install
--no-install-recommends``; they pull in gstreamer1.0-plugins-base/-good/-bad, which hold
videotestsrc, rtph264pay and openh264enc). x264enc (gstreamer1.0-plugins-ugly) is used if present.

:class:`ServerProcess` (plain Python, no ``gi``) runs this script from the project's Python:
start, kill, freeze (SIGSTOP), thaw, drop clients.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).resolve()
_PROBE = (
    "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0');"
    "from gi.repository import Gst, GstRtspServer; Gst.init(None);"
    "missing = [e for e in ('videotestsrc', 'videoconvert', 'rtph264pay')"
    " if Gst.ElementFactory.find(e) is None];"
    "missing += [] if Gst.ElementFactory.find('x264enc') or Gst.ElementFactory.find('openh264enc')"
    " else ['x264enc or openh264enc'];"
    "print(' '.join(missing)); raise SystemExit(1 if missing else 0)"
)


def unavailable_reason() -> str | None:
    """Why this machine cannot run the server (None when it can)."""
    try:
        probe = subprocess.run(
            [SYSTEM_PYTHON, "-c", _PROBE], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{SYSTEM_PYTHON} cannot run: {exc}"
    if probe.returncode == 0:
        return None
    if probe.stdout.strip():
        return f"GStreamer elements missing: {probe.stdout.strip()}"
    last = (probe.stderr.strip().splitlines() or ["?"])[-1]
    return f"{SYSTEM_PYTHON} has no GstRtspServer (python3-gi, gir1.2-gst-rtsp-server-1.0): {last}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """This script as a child process on a fixed port (so a restart serves the same URL)."""

    def __init__(
        self, port: int, fps: int = 15, keyint: int = 3, path: str = "/cam", encoder: str = "auto"
    ) -> None:
        self.port = port
        self.url = f"rtsp://127.0.0.1:{port}{path}"
        self.sub_url = f"rtsp://127.0.0.1:{port}/sub"
        self._args = ["--port", str(port), "--path", path, "--fps", str(fps)]
        self._args += ["--keyint", str(keyint), "--encoder", encoder]
        self._process: subprocess.Popen[str] | None = None

    def start(self, ready_timeout_s: float = 20.0) -> None:
        process = subprocess.Popen(
            [SYSTEM_PYTHON, str(SCRIPT), *self._args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self._process = process
        assert process.stdout is not None
        readable, _, _ = select.select([process.stdout], [], [], ready_timeout_s)
        line = process.stdout.readline() if readable else ""
        if not line.startswith("READY"):
            self.kill()
            raise RuntimeError(f"RTSP server on port {self.port} did not start: {line!r}")

    def kill(self) -> None:
        """SIGKILL: the server vanishes without closing anything politely."""
        process, self._process = self._process, None
        if process is None:
            return
        process.kill()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()

    def freeze(self) -> None:
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal(signal.SIGCONT)

    def drop_clients(self) -> None:
        self._signal(signal.SIGUSR1)

    def _signal(self, sig: int) -> None:
        if self._process is None:
            raise RuntimeError("server not running")
        os.kill(self._process.pid, sig)

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self.thaw()
        self.kill()


# -- the server itself (runs under /usr/bin/python3) -------------------------------------------


def encoder_element(name: str, keyint: int) -> str:
    """H.264 encoder with a keyframe every ``keyint`` frames and no B-frames."""
    if name == "x264enc":
        return f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={keyint}"
    return f"openh264enc gop-size={keyint} complexity=low"


def launch_line(width: int, height: int, fps: int, keyint: int, encoder: str) -> str:
    """A live moving pattern (every frame differs), encoded to H.264, RTP-payloaded."""
    return (
        f"( videotestsrc is-live=true pattern=ball "
        f"! video/x-raw,width={width},height={height},framerate={fps}/1 "
        f"! videoconvert ! {encoder_element(encoder, keyint)} "
        f"! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )


def serve(args: argparse.Namespace) -> int:
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    def drop_all_clients(server: Any) -> bool:
        server.client_filter(lambda _server, _client: GstRtspServer.RTSPFilterResult.REMOVE)
        return bool(GLib.SOURCE_CONTINUE)

    Gst.init(None)
    encoder = args.encoder
    if encoder == "auto":
        encoder = "x264enc" if Gst.ElementFactory.find("x264enc") else "openh264enc"
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    sizes = {args.path: (args.width, args.height), "/sub": (args.width // 2, args.height // 2)}
    for path, (width, height) in sizes.items():
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch_line(width, height, args.fps, args.keyint, encoder))
        factory.set_shared(True)
        mounts.add_factory(path, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on port {args.port}", file=sys.stderr, flush=True)
        return 1
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGUSR1, drop_all_clients, server)
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, lambda: loop.quit() or False)
    print(f"READY rtsp://127.0.0.1:{server.get_bound_port()}{args.path}", flush=True)
    loop.run()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Serve a live H.264 test pattern over RTSP.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/cam")
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--fps", type=int, default=10)
    parser.add_argument("--keyint", type=int, default=10, help="frames between keyframes")
    parser.add_argument("--encoder", choices=("auto", "x264enc", "openh264enc"), default="auto")
    return serve(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
