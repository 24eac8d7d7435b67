"""LiveSource against a real GStreamer RTSP server (tests/rtsp_server.py), on localhost only.

Skips when Debian's /usr/bin/python3 has no GstRtspServer. Deadlines below are generous upper
bounds for waiting on a state, not speed assertions (speed: stairwatch/tools/rtsp_recovery.py).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from streams.camera_streams import CameraStreams
from streams.health import CameraState, HealthSnapshot
from streams.live_source import LiveSource, LiveSourceConfig
from tests.rtsp_server import ServerProcess, free_port, unavailable_reason

pytestmark = pytest.mark.rtsp

# Short timeouts so failures surface in seconds; a fast probe because the server is known.
CONFIG = LiveSourceConfig(
    open_timeout_s=2.0,
    read_timeout_s=2.0,
    stall_after_s=2.0,
    backoff_base_s=0.1,
    backoff_cap_s=0.5,
    ffmpeg_options="rtsp_transport;tcp|analyzeduration;100000",
)
DEADLINE_S = 15.0


@pytest.fixture(scope="module", autouse=True)
def _needs_gstreamer() -> None:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"no RTSP test server: {reason}")


@pytest.fixture
def server() -> Iterator[ServerProcess]:
    with ServerProcess(free_port()) as process:
        yield process


@pytest.fixture
def source(server: ServerProcess) -> Iterator[LiveSource]:
    live = LiveSource(server.url, "stairs-1", CONFIG)
    live.start()
    yield live
    live.stop()


def wait_for(
    source: LiveSource,
    condition: Callable[[HealthSnapshot], bool],
    what: str,
    deadline_s: float = DEADLINE_S,
) -> HealthSnapshot:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        health = source.health()
        if condition(health):
            return health
        time.sleep(0.05)
    raise AssertionError(f"not {what} within {deadline_s} s: {source.health()}")


def is_online(health: HealthSnapshot) -> bool:
    return health.state is CameraState.ONLINE


def is_offline(health: HealthSnapshot) -> bool:
    return health.state is CameraState.OFFLINE


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_connects_and_reads_frames(source: LiveSource) -> None:
    before = time.time()
    wait_for(source, is_online, "online")
    frames = [source.wait(5.0) for _ in range(5)]
    assert all(f is not None for f in frames)
    indices = [f.index for f in frames if f is not None]
    assert indices == sorted(indices) and len(set(indices)) == 5
    for frame in frames:
        assert frame is not None
        assert frame.camera_id == "stairs-1" and frame.image.shape == (240, 320, 3)
        assert frame.timestamp >= before and frame.position_s >= 0.0
    health = source.health()
    assert health.input_fps > 0 and health.frames_received >= 5
    assert health.last_frame_age_s is not None and health.offline_since is None
    assert health.last_error is None and health.reconnects == 0


def test_latest_frame_semantics(source: LiveSource) -> None:
    """The consumer only ever gets the newest frame; the ones it missed count as dropped."""
    wait_for(source, lambda h: h.frames_received >= 6, "6 frames in")
    frame = source.take()
    assert frame is not None and frame.index == source.health().frames_received - 1
    assert source.health().frames_dropped >= 4
    assert source.take() is None or source.take() is None  # nothing twice


def test_substream_for_detection_main_stream_for_snapshots(server: ServerProcess) -> None:
    with CameraStreams("stairs-2", server.url, server.sub_url, CONFIG) as camera:
        assert camera.has_substream
        detect = camera.detect.wait(DEADLINE_S)
        snapshot = camera.snapshot.wait(DEADLINE_S)
        health = camera.health()
    assert detect is not None and detect.image.shape == (120, 160, 3)
    assert snapshot is not None and snapshot.image.shape == (240, 320, 3)
    assert health.snapshot is not None
    assert health.detect.frames_received >= 1 and health.snapshot.frames_received >= 1


def test_killed_server_goes_offline_and_restart_recovers(
    server: ServerProcess, source: LiveSource
) -> None:
    wait_for(source, is_online, "online")
    server.kill()
    offline = wait_for(source, is_offline, "offline after the server was killed")
    assert offline.offline_since is not None and offline.last_error is not None
    assert "127.0.0.1" in offline.last_error
    server.start()
    back = wait_for(source, is_online, "online again after the restart")
    assert back.reconnects >= 1 and back.offline_since is None


def test_frozen_server_goes_offline_within_timeouts(
    server: ServerProcess, source: LiveSource
) -> None:
    """SIGSTOP: the TCP connection stays open but nothing arrives. OpenCV without a read timeout
    blocks ~30 s per read (and then hands out held-back frames); with it the source goes offline
    after about read_timeout_s. The deadline is a bound far below 30 s, not a speed claim."""
    wait_for(source, is_online, "online")
    server.freeze()
    offline = wait_for(source, is_offline, "offline while the server is frozen", deadline_s=10.0)
    assert offline.last_error is not None and "read failed" in offline.last_error
    server.thaw()
    wait_for(source, is_online, "online after the server resumed")


def test_disconnect_cycles_leak_no_threads_or_fds(server: ServerProcess) -> None:
    """Each cycle: a new source connects, the server drops it, it reconnects, it is stopped."""

    def cycle() -> None:
        live = LiveSource(server.url, "cycle", CONFIG)
        live.start()
        try:
            wait_for(live, is_online, "online")
            server.drop_clients()
            wait_for(live, lambda h: h.reconnects >= 1 and is_online(h), "reconnected")
        finally:
            live.stop()

    cycle()  # warm-up: FFmpeg's lazy one-time setup is not a leak
    threads, fds = threading.active_count(), open_fds()
    for _ in range(50):
        cycle()
    assert threading.active_count() == threads
    assert open_fds() == fds
