"""Who may use the dashboard: users with roles, password hashes and signed session cookies.

- Roles, weakest first: ``viewer`` (sees events, snapshots, clips, cameras), ``operator`` (also
  acknowledges, assigns and resolves), ``admin`` (everything an operator does, and draws zones;
  more to come: cameras).
- Passwords are stored as PBKDF2-HMAC-SHA256 hashes (``stairwatch hash-password`` makes one):
  ``pbkdf2_sha256$<iterations>$<salt>$<hash>``, salt and hash unpadded base64url.
- A signed-in browser holds a cookie ``<payload>.<signature>`` (unpadded base64url): the payload
  is ``<name>|<expiry in Unix seconds>|<password generation>|<session id>`` and the signature
  its HMAC-SHA256 under the session secret. The role is looked up on every request, so a changed
  role applies at once and a removed user is signed out; the generation is a keyed hash of the
  user's password hash, so a changed password ends every session; signing out revokes the
  session id (kept in memory until the cookie would have expired).
- API clients may send HTTP Basic credentials instead; a verified pair is remembered (as a hash)
  for a while so that PBKDF2 does not run on every request.
- Guessing is slowed before any hashing: wrong passwords are counted per (name, client address)
  and lock that pair with a doubling back-off, so one address cannot lock a name out for others;
  each address and all addresses together may start only so many verifications, and only
  :data:`MAX_CONCURRENT_HASHES` run at once, so PBKDF2 cannot take the detector's cores. An
  unknown name costs the same verification as a known one, under the same bounds.
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

from dashboard.signed_out import SignedOut
from dashboard.throttle import FailureBackoff, Throttled, TokenBuckets, part_of

PBKDF2_ITERATIONS = 600_000  # OWASP's 2023 advice for PBKDF2-HMAC-SHA256
_SCHEME = "pbkdf2_sha256"
_SALT_BYTES = 16
BASIC_CACHE_S = 300.0
MAX_FAILURES = 5  # wrong passwords for one name from one address ...
FAILURE_WINDOW_S = 300.0  # ... within this many seconds lock that pair ...
LOCKOUT_S = 60.0  # ... for this long, doubling with each further failure ...
MAX_LOCKOUT_S = 3600.0  # ... up to this
ADDRESS_BURST, ADDRESS_RATE = 10, 1 / 6  # verifications one address may start: 10, then 10/min
GLOBAL_BURST, GLOBAL_RATE = 20, 2.0  # ... and all addresses together: 20, then 2/s
MAX_CONCURRENT_HASHES = 1  # PBKDF2 runs at once: the detector keeps the other cores
HASH_WAIT_S = 5.0  # a verification waits this long for its turn, else is refused (429)


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

    Thread-safe (the dashboard's request threads share it). ``clock`` returns Unix seconds;
    ``address`` arguments are the client's address (None: unknown, counted as one address).
    """

    def __init__(
        self,
        accounts: Mapping[str, Account],
        secret: bytes,
        session_s: float,
        clock: Callable[[], float] = time.time,
        share: int = 1,
        signed_out: SignedOut | None = None,
    ):
        """``share``: one of this many processes serving the same port, each enforcing its
        share of the sign-in limits (rounded down: together never more than one process
        allowed); ``signed_out``: the signed-out sessions (shared between those processes)."""
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
        self._hashing = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)
        failures = int(part_of(MAX_FAILURES, share))
        self._failures = FailureBackoff(failures, FAILURE_WINDOW_S, LOCKOUT_S, MAX_LOCKOUT_S)
        self._per_address = TokenBuckets.part(ADDRESS_BURST, ADDRESS_RATE, share)
        self._everyone = TokenBuckets.part(GLOBAL_BURST, GLOBAL_RATE, share)
        self._basic_ok: dict[bytes, float] = {}
        self._revoked = signed_out if signed_out is not None else SignedOut()

    def user(self, name: str) -> User | None:
        account = self._accounts.get(name)
        return User(account.name, account.role) if account else None

    def check(self, name: str, password: str, address: str | None) -> User | None:
        """The user when ``password`` is theirs, else None. Raises :class:`Throttled` (before
        any hashing) when this name and address, this address or everyone tried too often."""
        self._admit(name, address)
        account = self._accounts.get(name)
        encoded = account.password_hash if account else self._decoy_hash
        if not self._hashing.acquire(timeout=HASH_WAIT_S):
            raise Throttled("too many sign-ins at once", HASH_WAIT_S)
        try:
            matches = verify_password(password, encoded)
        finally:
            self._hashing.release()
        with self._lock:
            if account is None or not matches:
                self._failures.failed((name, address), self._clock())
                return None
            self._failures.succeeded((name, address))
        return User(account.name, account.role)

    def _admit(self, name: str, address: str | None) -> None:
        now = self._clock()
        with self._lock:
            wait = self._failures.locked_for((name, address), now)
            if wait > 0:
                raise Throttled("too many wrong passwords", wait)
            wait = self._per_address.take(address, now)
            if wait > 0:
                raise Throttled("too many sign-ins from this address", wait)
            wait = self._everyone.take(None, now)
            if wait > 0:
                raise Throttled("too many sign-ins", wait)

    def check_basic(self, name: str, password: str, address: str | None) -> User | None:
        """:meth:`check`, remembering a success for :data:`BASIC_CACHE_S` seconds (a
        remembered pair is neither hashed nor throttled again)."""
        key = hashlib.sha256(f"{name}\0{password}".encode()).digest()
        now = self._clock()
        with self._lock:
            verified_at = self._basic_ok.get(key)
        if verified_at is not None and now - verified_at < BASIC_CACHE_S:
            return self.user(name)
        user = self.check(name, password, address)
        if user is not None:
            with self._lock:
                self._basic_ok = {
                    k: t for k, t in self._basic_ok.items() if now - t < BASIC_CACHE_S
                }
                self._basic_ok[key] = now
        return user

    def session_cookie(self, user: User) -> str:
        expiry = int(self._clock() + self.session_s)
        session_id = _b64(secrets.token_bytes(12))
        payload = f"{user.name}|{expiry}|{self._generation(user.name)}|{session_id}".encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def session_user(self, cookie: str) -> User | None:
        """The user a genuine, unexpired, not signed-out cookie names, if they still exist and
        their password is the one they signed in with; else None."""
        session = self._session(cookie)
        if session is None:
            return None
        name, expires_at, generation, session_id = session
        now = self._clock()
        revoked = session_id in self._revoked
        if now >= expires_at or revoked or generation != self._generation(name):
            return None
        return self.user(name)

    def sign_out(self, cookie: str) -> User | None:
        """Revoke the session ``cookie`` holds; returns whose it was (None: not a valid one)."""
        user = self.session_user(cookie)
        session = self._session(cookie)
        if user is None or session is None:
            return None
        self._revoked.add(session[3], session[1], self._clock())
        return user

    def _session(self, cookie: str) -> tuple[str, int, str, str] | None:
        try:
            payload_part, mac_part = cookie.split(".")
            payload, mac = _unb64(payload_part), _unb64(mac_part)
            name, expiry, generation, session_id = payload.decode().split("|")
            expires_at = int(expiry)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        return name, expires_at, generation, session_id

    def _generation(self, name: str) -> str:
        """A keyed digest of the user's password hash: changes when the password does."""
        account = self._accounts.get(name)
        if account is None:
            return ""
        return _b64(self._mac(b"generation|" + account.password_hash.encode())[:9])

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
