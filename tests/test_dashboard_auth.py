"""Dashboard sign-in and roles: password hashes, session cookies, lockout, what each role may
do through the real app (FastAPI's TestClient), the sign-in page, the configuration that turns
it on, and ``stairwatch hash-password``."""

from __future__ import annotations

import base64
import io
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

import dashboard.auth
from alerts.events import EventType
from alerts.store import EventStore
from alerts.stored import CameraInfo
from dashboard.access import SESSION_COOKIE
from dashboard.app import create_app
from dashboard.auth import (
    ADDRESS_BURST,
    GLOBAL_BURST,
    LOCKOUT_S,
    MAX_CONCURRENT_HASHES,
    MAX_FAILURES,
    Account,
    Authenticator,
    Role,
    User,
    check_password_hash,
    hash_password,
    verify_password,
)
from dashboard.login import safe_next
from dashboard.schemas import DashboardSettings, DashboardUser
from dashboard.throttle import Throttled
from stairwatch.cli import main
from stairwatch.config import ConfigError, parse_settings
from tests.records import parked_record
from tests.web import LOCAL

FAST = 1_000  # PBKDF2 iterations in tests; the real default is 600,000
PASSWORDS = {"vera": "viewer-pass", "otto": "operator-pass", "ada": "admin-pass"}
ROLES = {"vera": Role.VIEWER, "otto": Role.OPERATOR, "ada": Role.ADMIN}
SESSION_SECRET = "a-session-secret-of-some-length"


class Clock:
    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def authenticator(clock: Clock) -> Authenticator:
    accounts = {
        name: Account(name, ROLES[name], hash_password(pw, FAST)) for name, pw in PASSWORDS.items()
    }
    return Authenticator(accounts, b"secret", session_s=3600, clock=clock)


# -- passwords ------------------------------------------------------------------------------


def test_hash_verifies_its_password_only() -> None:
    encoded = hash_password("correct horse", FAST)
    assert encoded.startswith(f"pbkdf2_sha256${FAST}$")
    assert verify_password("correct horse", encoded)
    assert not verify_password("correct horse ", encoded)
    assert hash_password("correct horse", FAST) != encoded  # a fresh salt each time


@pytest.mark.parametrize(
    ("encoded", "problem"),
    [
        ("plain-text-password", "expected pbkdf2_sha256$"),
        ("md5$1$abc$def", "expected pbkdf2_sha256$"),
        ("pbkdf2_sha256$many$c2FsdA$aGFzaA", "malformed"),
        ("pbkdf2_sha256$1000$c2FsdA$aGFzaA", "wrong length"),  # a hash of 4 bytes
        ("pbkdf2_sha256$0$c2FsdA$" + "A" * 43, "no iterations"),
    ],
)
def test_malformed_hashes_are_named(encoded: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("$", r"\$")):
        check_password_hash(encoded)


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [
        (Role.VIEWER, Role.VIEWER, True),
        (Role.VIEWER, Role.OPERATOR, False),
        (Role.OPERATOR, Role.OPERATOR, True),
        (Role.OPERATOR, Role.ADMIN, False),
        (Role.ADMIN, Role.OPERATOR, True),
    ],
)
def test_roles_are_ordered(role: Role, needed: Role, allowed: bool) -> None:
    assert role.allows(needed) is allowed


# -- sessions and guessing -------------------------------------------------------------------


def test_session_cookie_names_its_user_until_it_expires() -> None:
    clock = Clock()
    auth = authenticator(clock)
    cookie = auth.session_cookie(User("otto", Role.OPERATOR))
    assert auth.session_user(cookie) == User("otto", Role.OPERATOR)
    clock.now += 3599
    assert auth.session_user(cookie) is not None
    clock.now += 1
    assert auth.session_user(cookie) is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),  # the signature
        lambda c: (
            base64.urlsafe_b64encode(b"ada|9999999999").decode().rstrip("=") + "." + c.split(".")[1]
        ),  # another user's name under otto's signature
        lambda c: "not-a-cookie",
        lambda c: "",
    ],
    ids=["signature", "payload", "garbage", "empty"],
)
def test_forged_cookies_name_nobody(mangle) -> None:
    auth = authenticator(Clock())
    cookie = auth.session_cookie(User("otto", Role.OPERATOR))
    assert auth.session_user(mangle(cookie)) is None


def test_a_cookie_of_a_removed_user_names_nobody() -> None:
    clock = Clock()
    cookie = authenticator(clock).session_cookie(User("otto", Role.OPERATOR))
    others = {"vera": Account("vera", Role.VIEWER, hash_password("x" * 8, FAST))}
    assert Authenticator(others, b"secret", 3600, clock).session_user(cookie) is None


HERE, THERE = "10.0.0.5", "10.0.0.66"


def test_wrong_passwords_lock_the_name_from_that_address_only() -> None:
    clock = Clock()
    auth = authenticator(clock)
    for _ in range(MAX_FAILURES):
        assert auth.check("otto", "guess", THERE) is None
        clock.now += 7  # slower than the per-address rate: only the lockout speaks
    with pytest.raises(Throttled, match="too many wrong passwords"):
        auth.check("otto", PASSWORDS["otto"], THERE)  # even the right one, for now
    assert auth.check("otto", PASSWORDS["otto"], HERE) == User("otto", Role.OPERATOR)
    assert auth.check("vera", PASSWORDS["vera"], THERE) == User("vera", Role.VIEWER)
    clock.now += LOCKOUT_S
    assert auth.check("otto", PASSWORDS["otto"], THERE) == User("otto", Role.OPERATOR)


def locked_for(auth: Authenticator, name: str, address: str) -> float:
    try:
        auth.check(name, "guess", address)
    except Throttled as refused:
        return refused.retry_after_s
    return 0.0


def test_each_further_failure_doubles_the_lockout() -> None:
    clock = Clock()
    auth = authenticator(clock)
    for _ in range(MAX_FAILURES):
        clock.now += 7  # slower than the per-address rate: only the lockout speaks
        auth.check("otto", "guess", THERE)
    waits = []
    for _ in range(3):
        waits.append(locked_for(auth, "otto", THERE))
        clock.now += waits[-1]
        assert auth.check("otto", "guess", THERE) is None  # the lock is over: one more try
    assert waits == [LOCKOUT_S, LOCKOUT_S * 2, LOCKOUT_S * 4]


def test_one_address_is_limited_before_any_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    hashed = []
    real = dashboard.auth.verify_password
    monkeypatch.setattr(
        "dashboard.auth.verify_password", lambda p, e: hashed.append(p) or real(p, e)
    )
    clock = Clock()
    auth = authenticator(clock)
    refusals = 0
    for i in range(ADDRESS_BURST + 20):  # fresh names: no lockout, only the address limit
        try:
            auth.check(f"guess-{i}", "x", THERE)
        except Throttled as refused:
            refusals += 1
            assert "this address" in refused.reason
    assert len(hashed) == ADDRESS_BURST and refusals == 20
    assert auth.check("vera", PASSWORDS["vera"], HERE) is not None  # others still sign in


def test_all_addresses_together_are_limited() -> None:
    auth = authenticator(Clock())
    outcomes = []
    for i in range(GLOBAL_BURST + 5):
        try:
            outcomes.append(auth.check(f"guess-{i}", "x", f"10.1.0.{i}"))
        except Throttled as refused:
            outcomes.append(refused.reason)
    assert outcomes[:GLOBAL_BURST] == [None] * GLOBAL_BURST
    assert outcomes[GLOBAL_BURST:] == ["too many sign-ins"] * 5


def test_verifications_run_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    running, most = 0, 0
    lock = threading.Lock()
    real = dashboard.auth.verify_password

    def counted(password: str, encoded: str) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            return real(password, encoded) and not time.sleep(0.02)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr("dashboard.auth.verify_password", counted)
    auth = authenticator(Clock())
    threads = [
        threading.Thread(target=auth.check, args=("otto", "guess", f"10.2.0.{i}")) for i in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most == MAX_CONCURRENT_HASHES


def test_unknown_names_cost_a_verification_like_known_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hashed = []
    real = dashboard.auth.verify_password
    monkeypatch.setattr(
        "dashboard.auth.verify_password", lambda p, e: hashed.append(e) or real(p, e)
    )
    auth = authenticator(Clock())
    assert auth.check("mallory", "anything", THERE) is None
    assert auth.check("otto", "anything", THERE) is None
    assert len(hashed) == 2 and hashed[0].startswith(f"pbkdf2_sha256${FAST}$")


def test_failure_tables_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dashboard.throttle.MAX_TRACKED", 10)
    clock = Clock()
    auth = authenticator(clock)
    for i in range(30):
        auth.check(f"guess-{i}", "x", f"10.3.0.{i}")
        clock.now += 1
    assert auth._failures.tracked() <= 10


def test_a_cookie_is_dead_after_sign_out_and_after_a_password_change() -> None:
    clock = Clock()
    auth = authenticator(clock)
    otto = User("otto", Role.OPERATOR)
    kept, ended = auth.session_cookie(otto), auth.session_cookie(otto)
    assert auth.sign_out(ended) == otto
    assert auth.session_user(ended) is None
    assert auth.session_user(kept) == otto  # another device's session goes on
    accounts = {
        "otto": Account("otto", Role.OPERATOR, hash_password("a new password", FAST)),
    }
    assert Authenticator(accounts, b"secret", 3600, clock).session_user(kept) is None


# -- the app with users ----------------------------------------------------------------------


@pytest.fixture
def event_id(store: EventStore) -> str:
    record = parked_record("k1", "cam-3f", "stair", 1_700_000_000.0, EventType.EBIKE_PARKED)
    info = CameraInfo("cam-3f", "3F stairs", "3号楼", "3F")
    return store.record_raised(record, info, b"\xff\xd8\xff\xd9").id


def users() -> tuple[DashboardUser, ...]:
    return tuple(
        DashboardUser(name=n, role=ROLES[n], password_hash=SecretStr(hash_password(p, FAST)))
        for n, p in PASSWORDS.items()
    )


@pytest.fixture
def client(store: EventStore, event_id: str) -> Iterator[TestClient]:
    settings = DashboardSettings(
        default_lang="en", users=users(), session_secret=SecretStr(SESSION_SECRET)
    )
    with TestClient(create_app(store, settings=settings), base_url=LOCAL) as c:
        yield c


def basic(name: str) -> dict[str, str]:
    token = base64.b64encode(f"{name}:{PASSWORDS[name]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def sign_in(client: TestClient, name: str, password: str | None = None) -> None:
    response = client.post(
        "/login",
        data={"name": name, "password": password or PASSWORDS[name], "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@pytest.mark.parametrize(
    ("method", "path", "who", "status"),
    [
        ("GET", "/healthz", None, 200),  # liveness probes need no account
        ("GET", "/api/events", None, 401),
        ("GET", "/api/events", "vera", 200),
        ("GET", "/api/events/{id}", "vera", 200),
        ("GET", "/api/events/{id}/actions", None, 401),
        ("GET", "/api/events/{id}/snapshot.jpg", None, 401),
        ("GET", "/api/events/{id}/snapshot.jpg", "vera", 200),
        ("GET", "/api/cameras", None, 401),
        ("GET", "/partials/events", None, 401),
        ("GET", "/partials/events", "vera", 401),  # HTTP Basic opens machine routes only
        ("POST", "/api/events/{id}/acknowledge", None, 401),
        ("POST", "/api/events/{id}/acknowledge", "vera", 403),
        ("POST", "/api/events/{id}/acknowledge", "otto", 200),
        ("POST", "/api/events/{id}/resolve", "ada", 200),
        ("POST", "/api/events/{id}/assign", "vera", 403),
    ],
)
def test_what_each_role_may_do(
    client: TestClient, event_id: str, method: str, path: str, who: str | None, status: int
) -> None:
    headers = basic(who) if who else {}
    body = {"assignee": "otto"} if path.endswith("assign") else {}
    url = path.format(id=event_id)
    response = client.request(method, url, headers=headers, json=body if method == "POST" else None)
    assert response.status_code == status, response.text


def test_pages_send_strangers_to_the_sign_in_page(client: TestClient) -> None:
    response = client.get("/?status=open", headers={"Accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2F%3Fstatus%3Dopen"
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert 'name="password"' in page.text and 'value="/?status=open"' in page.text


@pytest.mark.parametrize(("lang", "text"), [("en", "Sign in"), ("zh-CN", "登录")])
def test_sign_in_page_speaks_both_languages(client: TestClient, lang: str, text: str) -> None:
    assert text in client.get(f"/login?lang={lang}").text


def test_wrong_password_shows_why_and_sets_no_cookie(client: TestClient) -> None:
    response = client.post("/login", data={"name": "otto", "password": "nope", "next": "/"})
    assert response.status_code == 401
    assert "Wrong user name or password." in response.text
    assert SESSION_COOKIE not in response.cookies


def test_too_many_wrong_passwords_are_refused(client: TestClient) -> None:
    for _ in range(MAX_FAILURES):
        client.post("/login", data={"name": "otto", "password": "nope"})
    response = client.post("/login", data={"name": "otto", "password": PASSWORDS["otto"]})
    assert response.status_code == 429
    assert "try again in a minute" in response.text


def test_signed_in_operator_acts_as_themselves(client: TestClient, event_id: str) -> None:
    response = client.post(
        "/login",
        data={"name": "otto", "password": PASSWORDS["otto"], "next": "/?status=open"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/?status=open"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert 'data-user="otto"' in page.text and "operator" in page.text
    assert 'data-action="resolve"' in page.text
    acked = client.post(f"/api/events/{event_id}/acknowledge", json={"actor": "mallory"})
    assert acked.status_code == 200
    assert acked.json()["acknowledged_by"] == "otto"  # the body cannot speak for someone else


def test_viewer_sees_no_action_buttons(client: TestClient) -> None:
    sign_in(client, "vera")
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "viewer" in page.text
    assert "data-action=" not in page.text


def test_sign_out_ends_the_session(client: TestClient) -> None:
    sign_in(client, "otto")
    assert client.get("/api/events").status_code == 200
    response = client.post("/logout", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/api/events").status_code == 401


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/?status=open", "/?status=open"),
        ("/partials/events", "/partials/events"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
    ],
)
def test_after_sign_in_only_this_site(target: str, expected: str) -> None:
    assert safe_next(target) == expected


# -- without users ---------------------------------------------------------------------------


def test_without_users_actions_name_their_actor(store: EventStore, event_id: str) -> None:
    with TestClient(create_app(store), base_url=LOCAL) as client:
        assert client.get("/login").status_code == 404  # no sign-in at all
        url = f"/api/events/{event_id}/acknowledge"
        missing = client.post(url, json={})
        assert missing.status_code == 422 and "actor is required" in missing.text
        acked = client.post(url, json={"actor": "alice"})
        assert acked.json()["acknowledged_by"] == "alice"


# -- configuration and the command -----------------------------------------------------------


def settings_with(server: dict) -> None:
    parse_settings({"cameras": [{"id": "a", "source": "x.mp4"}], "server": server}, "site.yaml")


@pytest.mark.parametrize(
    ("server", "problem"),
    [
        ({"host": "0.0.0.0"}, "server: host 0.0.0.0 serves the dashboard beyond this machine"),
        ({"host": "cctv.example"}, "add users (password_hash from `stairwatch hash-password`)"),
        (
            {"users": [{"name": "a", "password_hash": "hunter2"}]},
            "server.users[0].password_hash: expected pbkdf2_sha256$ITERATIONS$SALT$HASH",
        ),
        ({"users": [{"name": "a b", "password_hash": "x"}]}, "server.users[0].name"),
        ({"users": [{"name": "a", "role": "boss", "password_hash": "x"}]}, "server.users[0].role"),
        ({"session_secret": "short"}, "server.session_secret"),
        ({"metrics_token": "short"}, "server.metrics_token"),
    ],
)
def test_config_names_sign_in_problems(server: dict, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_with(server)
    text = str(raised.value)
    assert problem in text
    assert "hunter2" not in text and "'short'" not in text  # secrets are never echoed


@pytest.mark.parametrize(
    "server",
    [
        {},
        {"host": "127.0.0.1"},
        {"host": "::1"},
        {"host": "localhost"},
        {"host": "0.0.0.0", "allow_anonymous": True},
        {"allowed_hosts": ["cctv.estate.lan"], "metrics_token": "m" * 20, "secure_cookies": True},
        {"host": "0.0.0.0", "users": [{"name": "otto", "password_hash": "HASH"}]},
    ],
)
def test_config_accepts_safe_setups(server: dict) -> None:
    encoded = hash_password("operator-pass", FAST)
    users = [{**u, "password_hash": encoded} for u in server.get("users", [])]
    settings_with({**server, **({"users": users} if users else {})})


def test_duplicate_user_names_are_refused() -> None:
    encoded = hash_password("x" * 8, FAST)
    user = {"name": "otto", "password_hash": encoded}
    with pytest.raises(ConfigError, match="user names must be unique: otto"):
        settings_with({"users": [user, dict(user)]})


def test_hash_password_command(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse\n"))
    assert main(["hash-password", "--stdin"]) == 0
    encoded = capsys.readouterr().out.strip()
    assert verify_password("correct horse", encoded)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["hash-password", "--stdin"]) == 2
    assert "at least 8 characters" in capsys.readouterr().err
