"""``server.workers``: the dashboard of ``stairwatch run`` in two processes of ``stairwatch
serve --child`` on one socket. Real processes over a real store: while one is stopped
(SIGSTOP: it accepts nothing) the other answers every new connection, which shows each of them
serving; a session made on one is valid on the other and a sign-out on one holds on the
other; a killed one is started again while the other goes on answering."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from alerts.store import EventStore
from dashboard.access import SESSION_COOKIE
from dashboard.auth import MAX_FAILURES, Account, Authenticator, Role, hash_password
from dashboard.signed_out import SignedOut
from dashboard.throttle import Throttled
from stairwatch.config import StorageConfig
from stairwatch.runtime.dashboard_process import DashboardChild, DashboardWorkers
from stairwatch.runtime.run_dir import RunDir

PASSWORD = "a password for the test"


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[tuple[DashboardWorkers, str]]:
    data_dir = tmp_path / "data"
    config = {
        "cameras": [{"id": "cam1", "source": "cam1.mp4"}],
        "storage": {"data_dir": str(data_dir)},
        "server": {
            "users": [
                {"name": "wang", "role": "viewer", "password_hash": hash_password(PASSWORD, 1000)}
            ]
        },  # no session_secret: the parent makes one for the run
    }
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(config))
    EventStore.open(
        StorageConfig(data_dir=data_dir).resolved_database_url(), data_dir / "media"
    ).close()
    run_dir = RunDir.of(data_dir)  # the store made (migrated) first, as `stairwatch run` does
    dashboard = DashboardWorkers(path, "warning", "127.0.0.1", 0, 2, run_dir, None)
    dashboard.start()
    try:
        assert dashboard.wait_ready(60), "the dashboard processes did not start"
        yield dashboard, f"http://127.0.0.1:{dashboard.port}"
    finally:
        dashboard.stop()


@contextmanager
def only(dashboard: DashboardWorkers, child: DashboardChild) -> Iterator[None]:
    """Every other process of ``dashboard`` stopped: ``child`` accepts all new connections
    meanwhile."""
    others = [_pid(c) for c in dashboard.children if c is not child]
    for pid in others:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in others:
            os.kill(pid, signal.SIGCONT)


def _pid(child: DashboardChild) -> int:
    pid = child.pid
    assert pid is not None
    return pid


def _events(base: str, cookie: str | None) -> int:
    """The status of ``GET /api/events`` on a new connection, with the session ``cookie``."""
    cookies = {SESSION_COOKIE: cookie} if cookie else {}
    with httpx.Client(base_url=base, cookies=cookies, timeout=10) as client:
        return client.get("/api/events").status_code


def _sign_in(base: str) -> str:
    with httpx.Client(base_url=base, timeout=10, headers={"Origin": base}) as client:
        answer = client.post("/login", data={"name": "wang", "password": PASSWORD})
        assert answer.status_code == 303, answer.text
        return str(answer.cookies[SESSION_COOKIE])


def _sign_out(base: str, cookie: str) -> None:
    headers = {"Origin": base}
    with httpx.Client(base_url=base, timeout=10, headers=headers) as client:
        client.cookies.set(SESSION_COOKIE, cookie)
        assert client.post("/logout").status_code == 303


def test_two_processes_share_the_port_the_sessions_and_the_sign_outs(
    workers: tuple[DashboardWorkers, str],
) -> None:
    dashboard, base = workers
    first, second = dashboard.children
    assert {c.name for c in dashboard.children} == {"dashboard process 1", "dashboard process 2"}
    with only(dashboard, first):
        assert _events(base, None) == 401
        cookie = _sign_in(base)  # made on the first ...
    with only(dashboard, second):
        assert _events(base, cookie) == 200  # ... valid on the second
        _sign_out(base, cookie)  # signed out on the second ...
        assert _events(base, cookie) == 401
    with only(dashboard, first):
        assert _events(base, cookie) == 401  # ... refused on the first too
        assert _events(base, _sign_in(base)) == 200


def test_a_killed_process_is_started_again_while_the_other_answers(
    workers: tuple[DashboardWorkers, str],
) -> None:
    dashboard, base = workers
    first, second = dashboard.children
    os.kill(_pid(first), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not first.dead and time.monotonic() < deadline:
        assert _events(base, None) == 401  # the second answers meanwhile: nothing refused
        time.sleep(0.1)
    assert first.dead
    first.restart()  # as the service's supervisor does
    assert first.wait_ready(60)
    health = first.health()
    assert (health.alive, health.restarts, health.last_crash) == (True, 1, "was killed by signal 9")
    with only(dashboard, first):
        assert _events(base, None) == 401
    assert second.health().restarts == 0


@pytest.mark.parametrize(
    ("share", "wrong_tries"),
    [
        (1, MAX_FAILURES),  # one process: the whole limit
        (2, MAX_FAILURES // 2),  # two: each its half, together never more than one allowed
        (16, 1),  # never none: one try each
    ],
)
def test_each_process_allows_its_share_of_wrong_passwords(share: int, wrong_tries: int) -> None:
    account = Account("wang", Role.VIEWER, hash_password(PASSWORD, 1000))
    auth = Authenticator({"wang": account}, b"secret", 3600, clock=lambda: 1000.0, share=share)
    tries = 0
    with pytest.raises(Throttled):
        while tries < 100:
            assert auth.check("wang", "wrong", "10.0.0.9") is None
            tries += 1
    assert tries == wrong_tries


def test_a_sign_out_written_by_one_process_is_read_by_another(tmp_path: Path) -> None:
    path = tmp_path / "run" / "signed-out"
    path.parent.mkdir()
    one, other = SignedOut(path), SignedOut(path)
    assert "s1" not in other
    one.add("s1", expires_at=2000.0, now=1000.0)
    assert "s1" in other and "s2" not in other
    other.add("s2", expires_at=2000.0, now=1000.0)
    assert "s2" in one
    assert path.stat().st_mode & 0o777 == 0o600
    assert "s1" not in SignedOut()  # no file: this process's own only


@pytest.mark.parametrize(
    "garbage",
    [b"not a line with a number\n", b"\xff\xfe\x00 1e999999\n", b" \n", b"s9 nan-ish\n"],
)
def test_a_damaged_sign_out_file_is_skipped_and_a_half_written_line_read_when_complete(
    tmp_path: Path, garbage: bytes
) -> None:
    path = tmp_path / "signed-out"
    path.write_bytes(garbage + b"s1 2000.0\ns2 20")  # s2's line still being written
    signed_out = SignedOut(path)
    assert "s1" in signed_out and "s2" not in signed_out
    with path.open("ab") as file:
        file.write(b"00.0\n")
    assert "s2" in signed_out
