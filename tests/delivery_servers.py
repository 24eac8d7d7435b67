"""Real local servers for the notification tests: PostgreSQL, mosquitto, SMTP (aiosmtpd).

Each fixture skips with the reason when its server is not installed (``.ci/run`` installs the
Debian packages ``postgresql`` and ``mosquitto``; ``aiosmtpd`` and ``psycopg`` come with the
``test`` extra). Everything listens on 127.0.0.1 only, on a free port.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout_s: float = START_TIMEOUT_S) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False


# -- PostgreSQL ---------------------------------------------------------------------------------


def _pg_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


@dataclass
class PostgresServer:
    port: int
    root: Path

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.admin_url(name)


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throw-away PostgreSQL cluster (initdb + pg_ctl), run as the ``postgres`` user when root."""
    initdb, pg_ctl = _pg_tool("initdb"), _pg_tool("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL server binaries absent (apt-get install -y postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[test]')")
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root but there is no 'postgres' user to run the server")
        if shutil.which("runuser") is None:
            pytest.skip("running as root and runuser is absent")
    root = Path(tempfile.mkdtemp(prefix="stairwatch-pg-"))  # not under pytest's 0700 tmp folders
    if os.geteuid() == 0:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data, port = root / "data", free_port()
    try:
        subprocess.run(
            _as_postgres(
                [
                    initdb,
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            _as_postgres(
                [pg_ctl, "-D", str(data), "-l", str(root / "log"), "-o", options, "-w", "start"]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        stderr = getattr(exc, "stderr", b"") or b""
        pytest.skip(f"could not start PostgreSQL: {exc}: {stderr.decode(errors='replace')} {log}")
    try:
        yield PostgresServer(port, root)
    finally:
        subprocess.run(
            _as_postgres([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)


# -- mosquitto ----------------------------------------------------------------------------------


@contextlib.contextmanager
def running_mosquitto(port: int, *options: str) -> Iterator[int]:
    """``mosquitto OPTIONS`` listening on ``port`` until the block ends; skips when absent."""
    binary = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None
    )
    if binary is None:
        pytest.skip("mosquitto is not installed (apt-get install -y mosquitto)")
    process = subprocess.Popen(
        [binary, *options], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        if not wait_for_port(port):
            pytest.skip(f"mosquitto {' '.join(options)} did not start listening in time")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def mosquitto_port() -> Iterator[int]:
    """``mosquitto -p PORT`` (local-only mode: loopback, anonymous)."""
    port = free_port()
    with running_mosquitto(port, "-p", str(port)):
        yield port


@dataclass(frozen=True)
class TlsBroker:
    port: int
    ca_file: str


@pytest.fixture(scope="session")
def mosquitto_tls() -> Iterator[TlsBroker]:
    """mosquitto with one TLS-only listener on 127.0.0.1 (a self-signed certificate)."""
    # Not under pytest's 0700 folders: mosquitto started as root reads them as its own user.
    folder = Path(tempfile.mkdtemp(prefix="stairwatch-mqtt-"))
    try:
        cert, key = self_signed_cert(folder)
        for path in (folder, cert, key):
            path.chmod(0o755 if path.is_dir() else 0o644)
        port = free_port()
        conf = folder / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\ncertfile {cert}\nkeyfile {key}\nallow_anonymous true\n"
        )
        with running_mosquitto(port, "-c", str(conf)):
            yield TlsBroker(port, str(cert))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- SMTP ---------------------------------------------------------------------------------------


@dataclass
class SmtpServer:
    port: int
    messages: list[Any] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    ca_file: str | None = None

    def wait_for(self, count: int, timeout_s: float = 10.0) -> list[Any]:
        deadline = time.monotonic() + timeout_s
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.messages)


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 made with the openssl command; skips when it is absent."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl command absent: cannot make a test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


def start_smtp(tls_folder: Path | None, clear_auth: bool = False) -> tuple[Any, SmtpServer]:
    """An aiosmtpd server; with ``tls_folder`` it offers STARTTLS and requires AUTH over it;
    with ``clear_auth`` (and no ``tls_folder``) it offers AUTH without STARTTLS, as a server
    whose STARTTLS an attacker stripped does."""
    aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller", reason="pip install aiosmtpd")
    from aiosmtpd.smtp import AuthResult, LoginPassword

    server = SmtpServer(free_port())

    class Handler:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
            server.messages.append(envelope)
            return "250 OK"

    def authenticate(
        _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any
    ) -> Any:
        ok = isinstance(data, LoginPassword) and data.password == b"right"
        if ok:
            server.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    options: dict[str, Any] = {}
    if tls_folder is not None:
        cert, key = self_signed_cert(tls_folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        options = {"tls_context": context, "authenticator": authenticate, "auth_require_tls": True}
        server.ca_file = str(cert)
    elif clear_auth:
        options = {"authenticator": authenticate, "auth_require_tls": False}
    controller = aiosmtpd_controller.Controller(
        Handler(), hostname="127.0.0.1", port=server.port, **options
    )
    controller.start()
    return controller, server
