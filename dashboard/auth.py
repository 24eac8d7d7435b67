"""Who may use the dashboard: users with roles, password hashes and signed session cookies.

- Roles, weakest first: ``viewer`` (sees events, snapshots, clips, cameras), ``operator`` (also
  acknowledges, assigns and resolves), ``admin`` (everything an operator does, and draws zones;
  more to come: cameras).
- Passwords are stored as PBKDF2-HMAC-SHA256 hashes (``stairwatch hash-password`` makes one):
  ``pbkdf2_sha256$<iterations>$<salt>$<hash>``, salt and hash unpadded base64url.
- A signed-in browser holds a cookie ``<payload>.<signature>`` (unpadded base64url): the payload
  is ``<name>|<expiry in Unix seconds>`` and the signature its HMAC-SHA256 under the session
  secret. The role is looked up on every request, so a changed role applies at once and a
  removed user is signed out.
- API clients may send HTTP Basic credentials instead; a verified pair is remembered (as a hash)
  for a while so that PBKDF2 does not run on every request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

PBKDF2_ITERATIONS = 600_000  # OWASP's 2023 advice for PBKDF2-HMAC-SHA256
_SCHEME = "pbkdf2_sha256"
_SALT_BYTES = 16
BASIC_CACHE_S = 300.0
MAX_FAILURES = 5  # wrong passwords for one name ...
FAILURE_WINDOW_S = 300.0  # ... within this many seconds lock that name ...
LOCKOUT_S = 60.0  # ... for this long
_MAX_TRACKED_NAMES = 1000  # beyond this, names without recent failures are forgotten


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        """Whether this role may do what ``needed`` may."""
        order = list(Role)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True)
class User:
    """A signed-in person (or, with no users configured, the anonymous admin: name "")."""

    name: str
    role: Role


@dataclass(frozen=True)
class Account:
    """A configured user: name, role and password hash."""

    name: str
    role: Role
    password_hash: str


def hash_password(password: str, iterations: int = PBKDF2_ITERATIONS) -> str:
    """A storable hash of ``password`` with a fresh random salt."""
    if not password:
        raise ValueError("the password is empty")
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{_SCHEME}${iterations}${_b64(salt)}${_b64(digest)}"


def check_password_hash(encoded: str) -> None:
    """Raise ValueError naming what is wrong unless ``encoded`` is a hash :func:`hash_password`
    could have made (no password needed)."""
    _parse(encoded)


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches ``encoded`` (constant-time comparison)."""
    iterations, salt, expected = _parse(encoded)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return hmac.compare_digest(digest, expected)


def _parse(encoded: str) -> tuple[int, bytes, bytes]:
    parts = encoded.split("$")
    if len(parts) != 4 or parts[0] != _SCHEME:
        raise ValueError(
            f"expected {_SCHEME}$ITERATIONS$SALT$HASH (make one with stairwatch hash-password)"
        )
    try:
        iterations = int(parts[1])
        salt, digest = _unb64(parts[2]), _unb64(parts[3])
    except (ValueError, binascii.Error):
        raise ValueError(
            "the iterations, salt or hash of the password hash are malformed"
        ) from None
    if iterations < 1 or not salt or len(digest) != hashlib.sha256().digest_size:
        raise ValueError("the password hash has no salt, a wrong length or no iterations")
    return iterations, salt, digest


class Authenticator:
    """Checks passwords, issues and verifies session cookies, and slows down guessing.

    Thread-safe (the dashboard's request threads share it). ``clock`` returns Unix seconds.
    """

    def __init__(
        self,
        accounts: Mapping[str, Account],
        secret: bytes,
        session_s: float,
        clock: Callable[[], float] = time.time,
    ):
        if not secret:
            raise ValueError("the session secret is empty")
        if not accounts:
            raise ValueError("an authenticator needs at least one account")
        self._accounts = dict(accounts)
        # Checked for unknown names, so that they cost as much time as a wrong password.
        self._decoy_hash = next(iter(self._accounts.values())).password_hash
        self._secret = secret
        self.session_s = session_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}
        self._basic_ok: dict[bytes, float] = {}

    def user(self, name: str) -> User | None:
        account = self._accounts.get(name)
        return User(account.name, account.role) if account else None

    def locked_out(self, name: str) -> bool:
        """Too many wrong passwords for ``name`` lately: refuse even the right one for now."""
        now = self._clock()
        with self._lock:
            recent = [t for t in self._failures.get(name, []) if now - t < FAILURE_WINDOW_S]
            self._failures[name] = recent
            return len(recent) >= MAX_FAILURES and now - recent[-1] < LOCKOUT_S

    def check(self, name: str, password: str) -> User | None:
        """The user when ``password`` is theirs (and the name is not locked out), else None."""
        if self.locked_out(name):
            return None
        account = self._accounts.get(name)
        encoded = account.password_hash if account else self._decoy_hash
        matches = verify_password(password, encoded)
        if account is None or not matches:
            self._failed(name)
            return None
        with self._lock:
            self._failures.pop(name, None)
        return User(account.name, account.role)

    def check_basic(self, name: str, password: str) -> User | None:
        """:meth:`check`, remembering a success for :data:`BASIC_CACHE_S` seconds."""
        key = hashlib.sha256(f"{name}\0{password}".encode()).digest()
        now = self._clock()
        with self._lock:
            verified_at = self._basic_ok.get(key)
        if verified_at is not None and now - verified_at < BASIC_CACHE_S:
            return self.user(name)
        user = self.check(name, password)
        if user is not None:
            with self._lock:
                self._basic_ok = {
                    k: t for k, t in self._basic_ok.items() if now - t < BASIC_CACHE_S
                }
                self._basic_ok[key] = now
        return user

    def _failed(self, name: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) >= _MAX_TRACKED_NAMES:  # guessed names must not pile up
                self._failures = {
                    n: times
                    for n, times in self._failures.items()
                    if times and now - times[-1] < FAILURE_WINDOW_S
                }
            self._failures.setdefault(name, []).append(now)

    def session_cookie(self, user: User) -> str:
        payload = f"{user.name}|{int(self._clock() + self.session_s)}".encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def session_user(self, cookie: str) -> User | None:
        """The user a genuine, unexpired cookie names (if they still exist), else None."""
        try:
            payload_part, mac_part = cookie.split(".")
            payload, mac = _unb64(payload_part), _unb64(mac_part)
            name, expiry = payload.decode().rsplit("|", 1)
            expires_at = int(expiry)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(mac, self._mac(payload)) or self._clock() >= expires_at:
            return None
        return self.user(name)

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
