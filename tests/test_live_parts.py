"""The pure pieces behind LiveSource: backoff, stall watchdog, health, latest slot, redaction;
and LiveSource itself on a local file (no network)."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from streams.backoff import next_backoff
from streams.capture import SourceKind, source_kind
from streams.frame import Frame
from streams.health import CameraState, HealthTracker
from streams.latest import LatestFrame
from streams.live_source import LiveSource, LiveSourceConfig
from streams.redact import redact_text, redact_url
from streams.stall import StallWatchdog, frame_fingerprint


@pytest.mark.parametrize(
    ("attempt", "low", "high"),
    [(0, 0.25, 0.5), (1, 0.5, 1.0), (3, 2.0, 4.0), (6, 15.0, 30.0), (50, 15.0, 30.0)],
)
def test_backoff_grows_with_jitter_and_caps(attempt: int, low: float, high: float) -> None:
    rng = random.Random(7)
    delays = [next_backoff(attempt, rng) for _ in range(200)]
    assert low <= min(delays) and max(delays) <= high
    assert len(set(delays)) > 100  # jittered, not constant


def test_backoff_rejects_negative_attempt() -> None:
    with pytest.raises(ValueError):
        next_backoff(-1, random.Random(0))


IMG_A = np.zeros((48, 64, 3), np.uint8)
IMG_B = np.full((48, 64, 3), 9, np.uint8)


@pytest.mark.parametrize(
    ("reads", "expected_new"),
    [
        ([(None, IMG_A), (None, IMG_A)], [True, False]),  # no PTS, same pixels: duplicate
        ([(None, IMG_A), (None, IMG_B)], [True, True]),  # no PTS, pixels change
        ([(0.1, IMG_A), (0.2, IMG_A)], [True, True]),  # static scene, PTS advances
        ([(0.2, IMG_A), (0.2, IMG_A)], [True, False]),  # frozen PTS and pixels
        ([(5.0, IMG_A), (0.1, IMG_B), (0.2, IMG_B)], [True, True, True]),  # encoder restart
    ],
)
def test_watchdog_tells_new_frames_from_duplicates(
    reads: list[tuple[float | None, np.ndarray]], expected_new: list[bool]
) -> None:
    dog = StallWatchdog(stall_after_s=2.0)
    dog.reset(0.0)
    seen = [dog.observe(0.1 * i, pts, frame_fingerprint(img)) for i, (pts, img) in enumerate(reads)]
    assert seen == expected_new


def test_watchdog_stalls_when_only_duplicates_arrive() -> None:
    dog = StallWatchdog(stall_after_s=2.0)
    dog.reset(100.0)
    assert not dog.stalled(101.9)
    dog.observe(100.5, None, frame_fingerprint(IMG_A))
    for t in np.arange(101.0, 102.5, 0.25):
        dog.observe(float(t), None, frame_fingerprint(IMG_A))
    assert not dog.stalled(102.4)
    assert dog.stalled(102.5)
    dog.reset(103.0)
    assert not dog.stalled(104.0)


def test_health_lifecycle() -> None:
    health = HealthTracker("cam", started_at=1000.0)
    health.connecting()
    assert health.snapshot(1000.5).state is CameraState.CONNECTING
    for i in range(11):
        health.frame(1001.0 + 0.1 * i, replaced_untaken=i % 2 == 1)
    online = health.snapshot(1002.5)
    assert online.state is CameraState.ONLINE
    assert online.input_fps == pytest.approx(10.0)
    assert (online.frames_received, online.frames_dropped) == (11, 5)
    assert online.last_frame_age_s == pytest.approx(0.5)
    assert online.offline_since is None and online.reconnects == 0

    health.failed(1010.0, "rtsp://admin:hunter2@10.0.0.5/live: read failed")
    health.connecting()
    health.failed(1012.0, "cannot open rtsp://admin:hunter2@10.0.0.5/live")
    health.connecting()
    offline = health.snapshot(1013.0)
    assert offline.state is CameraState.OFFLINE
    assert offline.offline_since == pytest.approx(1002.0)  # the last frame
    assert offline.last_error == "cannot open rtsp://admin:***@10.0.0.5/live"
    assert offline.reconnects == 2 and offline.input_fps == 0.0

    health.frame(1014.0)
    assert health.snapshot(1014.0).state is CameraState.ONLINE
    assert health.snapshot(1014.0).offline_since is None


def test_health_never_online_is_offline_since_start() -> None:
    health = HealthTracker("cam", started_at=50.0)
    health.connecting()
    health.failed(52.0, "cannot open")
    assert health.snapshot(53.0).offline_since == 50.0


def frame(index: int) -> Frame:
    return Frame("cam", IMG_A, float(index), float(index), index)


def test_latest_frame_keeps_only_the_newest() -> None:
    slot = LatestFrame()
    assert slot.take() is None
    assert slot.put(frame(0)) is False
    assert slot.put(frame(1)) is True
    assert slot.put(frame(2)) is True
    taken = slot.take()
    assert taken is not None and taken.index == 2
    assert slot.take() is None and slot.dropped == 2


def test_latest_frame_wait_wakes_on_put() -> None:
    slot = LatestFrame()
    threading.Timer(0.05, slot.put, args=(frame(5),)).start()
    got = slot.wait(10.0)
    assert got is not None and got.index == 5
    assert slot.wait(0.01) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("rtsp://admin:hunter2@10.0.0.5:554/h264", "rtsp://admin:***@10.0.0.5:554/h264"),
        ("rtsps://u:p%40ss@cam.local/x?a=1", "rtsps://u:***@cam.local/x?a=1"),
        ("rtsp://10.0.0.5/h264", "rtsp://10.0.0.5/h264"),
        # Cameras take passwords unencoded: each of these cuts a URL parser's host short.
        ("rtsp://admin:pa#ss@10.0.0.5:554/h264", "rtsp://admin:***@10.0.0.5:554/h264"),
        ("rtsp://admin:pa?ss@10.0.0.5/h264?a=1", "rtsp://admin:***@10.0.0.5/h264?a=1"),
        ("rtsp://admin:p@ss@10.0.0.5/h264", "rtsp://admin:***@10.0.0.5/h264"),
        ("rtsp://admin:pa/ss@10.0.0.5/h264", "rtsp://admin:***@10.0.0.5/h264"),
        ("rtsp://admin:a:b/c?d#e@f@[fd00::5]:554/x", "rtsp://admin:***@[fd00::5]:554/x"),
        ("http://[broken:pw@cam/mjpg", "http://[broken:***@cam/mjpg"),
        ("http://cam:8080/x@y", "http://cam:***@y"),  # ambiguous: more hidden, never less
        ("http://viewer@cam/mjpg", "http://viewer@cam/mjpg"),
        ("/dev/video0", "/dev/video0"),
        ("videos/stairs.mp4", "videos/stairs.mp4"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_text_finds_urls_inside_messages() -> None:
    text = "open failed: rtsp://a:b@h/1 and http://c:d/#?@h2:80/m (timeout)"
    assert redact_text(text) == "open failed: rtsp://a:***@h/1 and http://c:***@h2:80/m (timeout)"


def test_config_uses_the_same_redaction() -> None:
    from stairwatch import config

    assert config.redact_url is redact_url


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("rtsp://h/1", SourceKind.RTSP),
        ("RTSPS://h/1", SourceKind.RTSP),
        ("http://h/mjpg", SourceKind.HTTP),
        ("https://h/mjpg", SourceKind.HTTP),
        ("/dev/video0", SourceKind.DEVICE),
        (0, SourceKind.DEVICE),
        ("2", SourceKind.DEVICE),
        ("clips/a.mp4", SourceKind.FILE),
    ],
)
def test_source_kind(source: str | int, kind: SourceKind) -> None:
    assert source_kind(source) is kind


FAST = LiveSourceConfig(
    open_timeout_s=2.0,
    read_timeout_s=2.0,
    stall_after_s=2.0,
    backoff_base_s=0.05,
    backoff_cap_s=0.1,
)


def test_live_source_on_a_file_plays_and_loops(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 25.0, (64, 48))
    for i in range(10):
        writer.write(np.full((48, 64, 3), 20 * i, np.uint8))
    writer.release()
    with LiveSource(str(path), "file-cam", FAST) as source:
        end = time.monotonic() + 20.0
        while source.health().reconnects < 2 and time.monotonic() < end:
            time.sleep(0.02)
        health = source.health()
    assert health.reconnects >= 2  # end of file -> reopen, twice
    assert health.frames_received >= 20
    assert health.last_error is not None and "end of file" in health.last_error


def test_unreachable_source_goes_offline_with_redacted_error(tmp_path: Path) -> None:
    missing = f"rtsp://user:topsecret@127.0.0.1:9/{tmp_path.name}"  # port 9: nothing listens
    with LiveSource(missing, "gone", FAST) as source:
        end = time.monotonic() + 20.0
        while source.health().state is not CameraState.OFFLINE and time.monotonic() < end:
            time.sleep(0.02)
        health = source.health()
    assert health.state is CameraState.OFFLINE
    assert health.last_error is not None
    assert "topsecret" not in health.last_error and "user:***@" in health.last_error


def test_stop_is_idempotent_and_start_twice_fails(tmp_path: Path) -> None:
    source = LiveSource(str(tmp_path / "none.mp4"), "x", FAST)
    source.stop()
    source.start()
    with pytest.raises(Exception, match="already started"):
        source.start()
    source.stop()
    source.stop()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("rtsp://admin:pw@10.0.0.5/Streaming/Channels/101", ("10.0.0.5", 554)),
        ("rtsp://10.0.0.5:8554/live", ("10.0.0.5", 8554)),
        ("rtsps://cam.local/live", ("cam.local", 322)),
        ("http://10.0.0.7/mjpeg", ("10.0.0.7", 80)),
        ("https://[fe80::1]:8443/video", ("fe80::1", 8443)),
        ("rtsp://10.0.0.5:99999/live", None),  # malformed port: the open will say so
        ("rtsp:///live", None),
        ("/videos/cam.mp4", None),
        ("/dev/video0", None),
        (0, None),
    ],
)
def test_endpoint_of(source: str | int, expected: tuple[str, int] | None) -> None:
    from streams.probe import endpoint_of

    found = endpoint_of(source)
    assert (None if found is None else (found.host, found.port)) == expected


def test_probe_tells_a_listening_port_from_a_closed_one() -> None:
    import socket

    from streams.probe import Endpoint, accepts_connections

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = int(server.getsockname()[1])
        assert accepts_connections(Endpoint("127.0.0.1", port), 1.0)
    assert not accepts_connections(Endpoint("127.0.0.1", port), 1.0)


def test_reconnects_when_the_server_port_opens_not_after_the_backoff() -> None:
    """The server is away (connection refused); the backoff says wait 20-40 s, but the reader
    probes the port every 0.1 s and tries again as soon as something listens there."""
    import socket
    from dataclasses import replace

    from tests.delivery_servers import free_port

    port = free_port()
    config = replace(FAST, backoff_base_s=40.0, backoff_cap_s=40.0, probe_interval_s=0.1)
    source = LiveSource(f"rtsp://127.0.0.1:{port}/live", "cam", config)
    with source:
        deadline = time.monotonic() + 10
        while source.health().last_error is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert source.health().last_error is not None  # the first open failed: refused
        with socket.socket() as server:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("127.0.0.1", port))
            server.listen()
            server.settimeout(10)
            accepted = []
            while len(accepted) < 2:  # the probe, then the reader's own connection
                conn, _ = server.accept()
                accepted.append(conn)
            for conn in accepted:
                conn.close()
