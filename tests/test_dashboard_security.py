"""Black-box attacks on the dashboard with users configured (issue 14): every route against every
role (HEAD and OPTIONS too), lockout bypasses, actor spoofing, patrol-token tampering, open
redirects, traversal, bad parameters, huge bodies (against uvicorn), Host and Origin checks, XSS
through names and notes, and no secret in any response or log line."""

from __future__ import annotations

import base64
import contextlib
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import text
from starlette.routing import Mount

from alerts.access_log import AccessAction
from alerts.events import EventType
from alerts.links import sign_link
from alerts.store import EventStore
from alerts.stored import CameraInfo
from dashboard.access import SESSION_COOKIE
from dashboard.app import create_app
from dashboard.auth import MAX_FAILURES, Role, hash_password
from dashboard.guard import MAX_BODY_BYTES
from dashboard.schemas import DashboardSettings, DashboardUser
from tests.camera_fakes import Cameras
from tests.records import parked_record
from tests.web import LOCAL, serving

FAST = 1_000  # PBKDF2 iterations in tests
PASSWORDS = {"vera": "viewer-pass", "otto": "operator-pass", "ada": "admin-pass"}
ROLES = {"vera": Role.VIEWER, "otto": Role.OPERATOR, "ada": Role.ADMIN}
SESSION_SECRET = "session-secret-3b9f1c7a5e2d4f60"
LINK_SECRET = "link-secret-a81f3c9e7b2d4065f1e8c3a9b7d52e64"
METRICS_TOKEN = "metrics-token-5c2e8a1f9b3d7e46"
XSS = "<script>alert(1)</script>"
HASHES = {n: hash_password(p, FAST) for n, p in PASSWORDS.items()}
SECRETS = (SESSION_SECRET, LINK_SECRET, METRICS_TOKEN, *HASHES.values(), *PASSWORDS.values())
ATTACKER, NEIGHBOUR = ("10.0.0.66", 4000), ("10.0.0.5", 4000)

# What each route needs. A new route fails test_every_route_is_classified until it is added here.
PUBLIC, LINK = "public", "link"
NEEDS: dict[str, str] = {
    "/openapi.json": PUBLIC,
    "/healthz": PUBLIC,
    "/login": PUBLIC,
    "/logout": PUBLIC,
    "/metrics": Role.VIEWER,
    "/api/health": Role.VIEWER,
    "/api/events": Role.VIEWER,
    "/api/events/stream": Role.VIEWER,
    "/api/events/{event_id}": Role.VIEWER,
    "/api/events/{event_id}/actions": Role.VIEWER,
    "/api/events/{event_id}/deliveries": Role.VIEWER,
    "/api/events/{event_id}/snapshot.jpg": Role.VIEWER,
    "/api/events/{event_id}/clip.mp4": Role.VIEWER,
    "/api/events/{event_id}/photo.jpg": Role.VIEWER,
    "/api/events/{event_id}/training/{index}.jpg": Role.ADMIN,
    "/api/events/{event_id}/acknowledge": Role.OPERATOR,
    "/api/events/{event_id}/assign": Role.OPERATOR,
    "/api/events/{event_id}/resolve": Role.OPERATOR,
    "/api/events/{event_id}/review": Role.OPERATOR,
    "/api/reviews/summary": Role.VIEWER,
    "/api/cameras": Role.VIEWER,
    "/api/stats": Role.VIEWER,
    "/api/stats.csv": Role.VIEWER,
    "/stats": Role.VIEWER,
    "/api/nodes": Role.VIEWER,
    "/api/cameras/{camera_id}/latest.jpg": Role.VIEWER,
    "/": Role.VIEWER,
    "/partials/events": Role.VIEWER,
    "/partials/cameras": Role.VIEWER,
    "/live": Role.VIEWER,
    "/audit": Role.ADMIN,
    "/api/access-log": Role.ADMIN,
    "/api/access-log.csv": Role.ADMIN,
    "/cameras/{camera_id}/zones": Role.ADMIN,
    "/admin/purge": Role.ADMIN,
    "/api/sheds": Role.VIEWER,
    "/public/sheds": PUBLIC,
    "/p/{token}": LINK,
    "/p/{token}/snapshot.jpg": LINK,
    "/p/{token}/clip.mp4": LINK,
    "/p/{token}/photo.jpg": LINK,
    "/p/{token}/on-my-way": LINK,
    "/p/{token}/acknowledge": LINK,
    "/p/{token}/resolve": LINK,
}
STREAMS = frozenset({"/api/events/stream"})  # endless bodies: their head and first line
FAKE_MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64


def users() -> tuple[DashboardUser, ...]:
    return tuple(
        DashboardUser(name=n, role=ROLES[n], password_hash=SecretStr(HASHES[n])) for n in PASSWORDS
    )


def make_app(store: EventStore, **overrides: Any) -> FastAPI:
    settings = DashboardSettings(
        default_lang="en",
        users=users(),
        session_secret=SecretStr(SESSION_SECRET),
        link_secret=SecretStr(LINK_SECRET),
        metrics_token=SecretStr(METRICS_TOKEN),
        **overrides,
    )
    cameras = Cameras()
    return create_app(
        store,
        cameras,
        settings,
        metrics=lambda: b"stairwatch_camera_online{camera='cam-lift'} 0\n",
        pictures=cameras,
        zones=cameras,
        service=cameras,
    )


def add_event(store: EventStore, name: str = "3F stairs") -> str:
    record = parked_record(
        f"k-{time.time()}", "cam-3f", "landing", time.time(), EventType.EBIKE_PARKED
    )
    info = CameraInfo("cam-3f", name, "3号楼", "3F")
    event_id = store.record_raised(record, info, b"\xff\xd8\xff\xd9").id
    store.record_clip(event_id, FAKE_MP4)
    store.record_training_frame(event_id, b"\xff\xd8\xff\xd9")
    return event_id


def basic(name: str, password: str | None = None) -> dict[str, str]:
    token = base64.b64encode(f"{name}:{password or PASSWORDS[name]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def cookie_of(client: TestClient, name: str) -> str:
    response = client.post(
        "/login", data={"name": name, "password": PASSWORDS[name]}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return response.cookies[SESSION_COOKIE]


def no_secret_in(*texts: str) -> None:
    for shown in texts:
        for secret in SECRETS:
            assert secret not in shown


@pytest.fixture
def site(store: EventStore) -> Iterator[tuple[TestClient, str]]:
    event_id = add_event(store)
    with TestClient(make_app(store), base_url=LOCAL) as client:
        yield client, event_id


# -- every route, every role -----------------------------------------------------------------


def flat_routes(routes: list[Any]) -> Iterator[Any]:
    """The app's routes, routers included (FastAPI may keep included routers as one entry)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from flat_routes(included.routes)
        elif not isinstance(route, Mount):
            yield route


def test_every_route_is_classified(store: EventStore) -> None:
    paths = {r.path for r in flat_routes(make_app(store).routes)}
    assert paths == set(NEEDS)


def request_for(path: str, event_id: str, token: str) -> str:
    return path.format(event_id=event_id, camera_id="cam-3f", token=token, index=0)


def body_for(path: str) -> dict[str, Any]:
    if path.startswith("/p/"):
        return {"data": {"name": "patroller wu", "note": "moved it"}}
    if path == "/login":
        return {"data": {"name": "vera", "password": PASSWORDS["vera"]}}
    if path.endswith("review"):
        return {"json": {"verdict": "confirmed"}}
    if path == "/admin/purge":  # without confirm=yes: only counts
        return {"data": {"selector": "camera", "value": "cam-3f"}}
    return {"json": {"assignee": "otto"} if path.endswith("assign") else {}}


WHO = [None, "vera", "otto", "ada"]


def call(client: TestClient, method: str, url: str, path: str, **kwargs: Any) -> httpx.Response:
    """The response; of a stream (:data:`STREAMS`), its status, headers and first chunk."""
    if path not in STREAMS:
        return client.request(method, url, **kwargs)
    with client.stream(method, url, **kwargs) as response:
        first = next(response.iter_bytes(), b"")
    return httpx.Response(response.status_code, headers=response.headers, content=first)


@pytest.mark.parametrize("who", WHO)
def test_role_matrix(store: EventStore, who: str | None, caplog: pytest.LogCaptureFixture) -> None:
    """Each route x each method it has, plus HEAD and OPTIONS x each role: refused exactly when
    the role is too weak, never a 5xx, never a secret."""
    caplog.set_level(logging.DEBUG)
    event_id = add_event(store)
    token = sign_link(event_id, time.time() + 3600, LINK_SECRET)
    with TestClient(make_app(store), base_url=LOCAL) as client:
        cookies = {SESSION_COOKIE: cookie_of(client, who)} if who else {}
        client.cookies.clear()
        for route in flat_routes(client.app.routes):  # type: ignore[attr-defined]
            for method in sorted(set(route.methods) | {"HEAD", "OPTIONS"}):
                url = request_for(route.path, event_id, token)
                extra = body_for(route.path) if method == "POST" else {}
                response = call(
                    client,
                    method,
                    url,
                    route.path,
                    cookies=cookies,
                    follow_redirects=False,
                    **extra,
                )
                client.cookies.clear()  # only the role under test speaks
                if route.path == "/logout" and method == "POST" and who:
                    cookies = {SESSION_COOKIE: cookie_of(client, who)}  # that one is revoked
                    client.cookies.clear()
                label = f"{who} {method} {url}: {response.status_code} {response.text[:200]}"
                assert response.status_code < 500, label
                no_secret_in(response.text, str(response.headers))
                if method not in route.methods:
                    assert response.status_code == 405, label
                    continue
                needed = NEEDS[route.path]
                refused = response.status_code in (401, 403)
                if needed in (PUBLIC, LINK):
                    assert not refused, label
                elif who is None:
                    assert response.status_code == 401, label
                else:
                    assert refused is not ROLES[who].allows(Role(needed)), label
    no_secret_in(caplog.text)


# -- guessing ---------------------------------------------------------------------------------


def test_an_attacker_cannot_lock_the_admin_out_of_another_address(store: EventStore) -> None:
    app = make_app(store)
    with TestClient(app, base_url=LOCAL, client=ATTACKER) as attacker:
        statuses = [
            attacker.post(
                "/login",
                data={"name": "ada", "password": f"guess-{i}"},
                headers={"X-Forwarded-For": f"10.9.9.{i}"},  # spoofed: not trusted
            ).status_code
            for i in range(MAX_FAILURES + 3)
        ]
        assert statuses[:MAX_FAILURES] == [401] * MAX_FAILURES
        assert set(statuses[MAX_FAILURES:]) == {429}
        basic_try = attacker.get("/api/events", headers=basic("ada", "guess"))
        assert basic_try.status_code == 429 and "Retry-After" in basic_try.headers
        right = attacker.post("/login", data={"name": "ada", "password": PASSWORDS["ada"]})
        assert right.status_code == 429  # locked for this address, even the right password
    with TestClient(app, base_url=LOCAL, client=NEIGHBOUR) as admin:
        assert admin.get("/api/events", headers=basic("ada")).status_code == 200
        assert cookie_of(admin, "ada")


def test_basic_failures_are_logged_and_throttled_like_form_sign_ins(store: EventStore) -> None:
    with TestClient(make_app(store), base_url=LOCAL, client=ATTACKER) as client:
        statuses = [
            client.get("/api/events", headers=basic("otto", f"guess-{i}")).status_code
            for i in range(MAX_FAILURES + 1)
        ]
    assert statuses == [401] * MAX_FAILURES + [429]
    actions = [e.action for e in store.access.entries(100, actor="otto")]
    assert actions.count(AccessAction.SIGN_IN_FAILED) == MAX_FAILURES
    assert AccessAction.SIGN_IN_LOCKED in actions
    assert {e.address for e in store.access.entries(100, actor="otto")} == {ATTACKER[0]}


def test_a_name_spraying_address_is_stopped_before_hashing(store: EventStore) -> None:
    with TestClient(make_app(store), base_url=LOCAL, client=ATTACKER) as client:
        statuses = [
            client.post("/login", data={"name": f"user{i}", "password": "x"}).status_code
            for i in range(30)
        ]
    assert statuses.count(401) == 10 and statuses[-1] == 429


# -- sessions, cookies, actors ----------------------------------------------------------------


def test_a_cookie_replayed_after_sign_out_is_refused(site: tuple[TestClient, str]) -> None:
    client, _ = site
    cookie = cookie_of(client, "otto")
    client.cookies.clear()
    assert client.get("/api/events", cookies={SESSION_COOKIE: cookie}).status_code == 200
    signed_out = client.post("/logout", cookies={SESSION_COOKIE: cookie}, follow_redirects=False)
    assert signed_out.status_code == 303
    client.cookies.clear()
    assert client.get("/api/events", cookies={SESSION_COOKIE: cookie}).status_code == 401


def test_a_cookie_from_before_a_password_change_is_refused(store: EventStore) -> None:
    with TestClient(make_app(store), base_url=LOCAL) as client:
        cookie = cookie_of(client, "otto")
    changed = tuple(
        u.model_copy(update={"password_hash": SecretStr(hash_password("new-pass", FAST))})
        if u.name == "otto"
        else u
        for u in users()
    )
    settings = DashboardSettings(users=changed, session_secret=SecretStr(SESSION_SECRET))
    with TestClient(create_app(store, settings=settings), base_url=LOCAL) as client:
        assert client.get("/api/events", cookies={SESSION_COOKIE: cookie}).status_code == 401


@pytest.mark.parametrize(
    ("overrides", "secure"),
    [
        ({}, False),
        ({"public_url": "https://cctv.example.org"}, True),
        ({"public_url": "http://cctv.example.org"}, False),
        ({"secure_cookies": True}, True),
        ({"public_url": "https://cctv.example.org", "secure_cookies": False}, False),
    ],
)
def test_secure_cookie_follows_public_url_not_the_proxy(
    store: EventStore, overrides: dict[str, Any], secure: bool
) -> None:
    with TestClient(make_app(store, **overrides), base_url=LOCAL) as client:
        response = client.post(
            "/login", data={"name": "otto", "password": PASSWORDS["otto"]}, follow_redirects=False
        )
    assert ("secure" in response.headers["set-cookie"].lower()) is secure


def test_the_body_cannot_name_another_actor(site: tuple[TestClient, str]) -> None:
    client, event_id = site
    acked = client.post(
        f"/api/events/{event_id}/acknowledge", json={"actor": "ada"}, headers=basic("otto")
    )
    assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "otto"
    forged = base64.urlsafe_b64encode(b"ada|9999999999|x|y").decode().rstrip("=") + ".AAAA"
    client.cookies.clear()
    spoof = client.post(
        f"/api/events/{event_id}/resolve", json={}, cookies={SESSION_COOKIE: forged}
    )
    assert spoof.status_code == 401


def test_basic_credentials_do_not_open_pages(site: tuple[TestClient, str]) -> None:
    client, _ = site
    page = client.get("/", headers={**basic("ada"), "Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert client.get("/partials/events", headers=basic("ada")).status_code == 401
    assert client.get("/api/events", headers=basic("ada")).status_code == 200


# -- patrol links -----------------------------------------------------------------------------


def tampered(token: str) -> list[str]:
    payload, mac = token.split(".")
    other = base64.urlsafe_b64encode(b"other-event.9999999999").decode().rstrip("=")
    # The first character: the last one of unpadded base64 also holds padding bits, and "A" and
    # "B" there can decode to the same MAC (a flaky test, once in about 64 runs).
    flipped = ("A" if mac[0] != "A" else "B") + mac[1:]
    return [f"{payload}.{flipped}", f"{other}.{mac}", payload, "x" * 600, f"{token}.extra", ""]


def test_tampered_patrol_tokens_open_nothing(site: tuple[TestClient, str]) -> None:
    client, event_id = site
    token = sign_link(event_id, time.time() + 3600, LINK_SECRET)
    assert client.get(f"/p/{token}").status_code == 200
    for bad in tampered(token):
        for suffix in ("", "/snapshot.jpg", "/clip.mp4"):
            response = client.get(f"/p/{bad}{suffix}")
            assert response.status_code in (403, 404), (bad, suffix)
        acted = client.post(f"/p/{bad}/resolve", data={"name": "mallory"})
        assert acted.status_code in (403, 404, 405)
    expired = sign_link(event_id, time.time() - 1, LINK_SECRET)
    assert client.get(f"/p/{expired}").status_code == 410
    assert client.get(f"/api/events/{event_id}", headers=basic("vera")).json()["status"] == "open"


# -- redirects, traversal, parameters ---------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/%0d%0aSet-Cookie:x=1",
    ],
)
def test_sign_in_never_redirects_off_site(site: tuple[TestClient, str], target: str) -> None:
    client, _ = site
    response = client.post(
        "/login",
        data={"name": "vera", "password": PASSWORDS["vera"], "next": target},
        follow_redirects=False,
    )
    location = response.headers["location"]
    assert response.status_code == 303
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert "\t" not in location and "\n" not in location


@pytest.mark.parametrize(
    "path",
    [
        "/api/events/..%2F..%2Fetc%2Fpasswd/snapshot.jpg",
        "/api/events/%2e%2e/clip.mp4",
        "/api/events/../../../../etc/passwd",
        "/api/cameras/..%2F..%2Fetc/latest.jpg",
        "/static/..%2F..%2Fapp.py",
        "/static/../app.py",
        "/p/..%2F..%2Fetc%2Fpasswd/snapshot.jpg",
    ],
)
def test_no_traversal_out_of_the_media(site: tuple[TestClient, str], path: str) -> None:
    client, _ = site
    response = client.get(path, headers=basic("ada"))
    assert response.status_code in (403, 404, 422), response.text
    assert "root:" not in response.text and "create_app" not in response.text


@pytest.mark.parametrize(
    "query",
    [
        "/api/events?offset=99999999999999999999",
        "/api/events?since=1e999",
        "/api/events?since=nan",
        "/api/events?since=-inf",
        "/api/events?limit=abc",
        "/api/access-log?day=9999-12-31",
        "/api/access-log?day=0000-01-01",
        "/api/access-log.csv?day=9999-12-31",
        "/api/access-log?limit=99999999999999999999",
    ],
)
def test_bad_parameters_are_422(site: tuple[TestClient, str], query: str) -> None:
    client, _ = site
    assert client.get(query, headers=basic("ada")).status_code == 422


# -- Host, Origin, bodies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("evil.example", 400),
        ("localhost.evil.example", 400),
        ("", 400),
        ("localhost:8000", 200),
        ("127.0.0.1:8000", 200),
        ("[::1]:8000", 200),
        ("cctv.example.org", 200),  # public_url's host
        ("CCTV.Estate.lan:443", 200),  # allowed_hosts
    ],
)
def test_only_known_host_names_are_served(store: EventStore, host: str, status: int) -> None:
    app = make_app(
        store, public_url="https://cctv.example.org/", allowed_hosts=("cctv.estate.lan",)
    )
    with TestClient(app, base_url=LOCAL) as client:
        for path in ("/healthz", "/api/events", "/login"):
            response = client.get(path, headers={"Host": host, **basic("vera")})
            assert response.status_code == status, (path, host)


def test_without_users_a_rebound_page_cannot_act(store: EventStore) -> None:
    event_id = add_event(store)
    with TestClient(create_app(store), base_url=LOCAL) as client:
        url = f"/api/events/{event_id}/resolve"
        rebound = client.post(url, json={"actor": "x"}, headers={"Host": "evil.example:8000"})
        assert rebound.status_code == 400
        cross = client.post(
            url, json={"actor": "x"}, headers={"Origin": "http://evil.example:8000"}
        )
        assert cross.status_code == 403
        assert client.get(f"/api/events/{event_id}").json()["status"] == "open"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "https://evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Origin": "null", "Sec-Fetch-Site": "same-origin"}, 200),  # no-referrer form post
        ({"Origin": "http://localhost", "Sec-Fetch-Site": "cross-site"}, 403),
        ({"Origin": "http://localhost.evil.example"}, 403),
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Sec-Fetch-Site": "same-site"}, 403),
        ({"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}, 200),
        ({}, 200),  # not a browser (curl, scripts)
    ],
)
def test_state_changes_need_the_same_origin(
    site: tuple[TestClient, str], headers: dict[str, str], status: int
) -> None:
    client, event_id = site
    url = f"/api/events/{event_id}/acknowledge"
    assert client.post(url, json={}, headers={**basic("otto"), **headers}).status_code == status
    login = client.post(
        "/login",
        data={"name": "otto", "password": PASSWORDS["otto"]},
        headers=headers,
        follow_redirects=False,
    )
    assert login.status_code == (303 if status == 200 else 403)


def raw_exchange(base: str, head: str, chunks: Iterator[bytes]) -> tuple[str, int]:
    """Send ``head`` then ``chunks`` until the server answers; (status line, bytes sent)."""
    host, port = base.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode())
        sock.settimeout(0.05)
        answer = b""
        for chunk in chunks:
            with contextlib.suppress(TimeoutError):
                answer = sock.recv(4096)
            if answer:
                break
            try:
                sock.sendall(chunk)
            except OSError:  # the server closed: it answered and stopped reading
                break
            sent += len(chunk)
        sock.settimeout(10)
        while b"\r\n" not in answer:
            more = sock.recv(4096)
            if not more:
                break
            answer += more
    return answer.split(b"\r\n", 1)[0].decode(), sent


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_huge_body_without_an_account_is_refused_unread(store: EventStore, chunked: bool) -> None:
    megabyte = b"[" + b"1," * (512 * 1024 - 1) + b"1"
    framing = (
        "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {200 * 1024 * 1024}\r\n"
    )
    head = (
        "POST /api/events/x/acknowledge HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\n{framing}\r\n"
    )

    def body() -> Iterator[bytes]:
        for _ in range(200):
            yield (f"{len(megabyte):x}\r\n".encode() + megabyte + b"\r\n") if chunked else megabyte

    with serving(make_app(store)) as base:
        status, sent = raw_exchange(base, head, body())
    assert status.split()[1] in ("401", "413"), status
    assert sent < 20 * 1024 * 1024  # answered long before the 200 MB were read


def test_bodies_up_to_the_limit_are_parsed(site: tuple[TestClient, str]) -> None:
    client, event_id = site
    url = f"/api/events/{event_id}/acknowledge"
    too_big = client.post(url, content=b" " * (MAX_BODY_BYTES + 1), headers=basic("otto"))
    assert too_big.status_code == 413
    note = {"note": "ok"}
    assert client.post(url, json=note, headers=basic("otto")).status_code == 200


# -- what strangers learn ---------------------------------------------------------------------


def test_health_and_metrics_tell_strangers_nothing(site: tuple[TestClient, str]) -> None:
    client, _ = site
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/metrics").status_code == 401
    bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    assert client.get("/metrics", headers=bearer).status_code == 200
    assert "cam-lift" in client.get("/metrics", headers=basic("vera")).text
    assert client.get("/healthz", headers=bearer).json()["cameras"] == 2
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_a_failing_store_shows_no_driver_text(
    site: tuple[TestClient, str], store: EventStore, caplog: pytest.LogCaptureFixture
) -> None:
    client, _ = site
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE events"))
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json() == {"status": "error"}
    listed = client.get("/api/events", headers=basic("vera"))
    assert listed.status_code == 503
    assert "events" not in listed.json()["detail"] and "sqlite" not in listed.text.lower()
    assert "no such table" in caplog.text  # the operator still learns why


def test_media_is_never_cached(site: tuple[TestClient, str]) -> None:
    client, event_id = site
    token = sign_link(event_id, time.time() + 3600, LINK_SECRET)
    for url in (
        f"/api/events/{event_id}/snapshot.jpg",
        f"/api/events/{event_id}/clip.mp4",
        "/api/cameras/cam-3f/latest.jpg",
        f"/p/{token}/snapshot.jpg",
        f"/p/{token}/clip.mp4",
    ):
        response = client.get(url, headers=basic("vera"))
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "no-store", url


def test_names_and_notes_are_escaped(store: EventStore) -> None:
    event_id = add_event(store, name=XSS)
    with TestClient(make_app(store), base_url=LOCAL) as client:
        client.post("/login", data={"name": XSS, "password": "x"})  # lands in the access log
        acked = client.post(
            f"/api/events/{event_id}/acknowledge", json={"note": XSS}, headers=basic("otto")
        )
        assert acked.status_code == 200
        token = sign_link(event_id, time.time() + 3600, LINK_SECRET)
        client.post(f"/p/{token}/resolve", data={"name": XSS, "note": XSS})
        cookie = {SESSION_COOKIE: cookie_of(client, "ada")}
        pages = ["/", "/partials/events", "/audit", f"/p/{token}", "/login?next=" + XSS]
        for page in pages:
            html = client.get(page, cookies=cookie).text
            assert XSS not in html, page
        assert "&lt;script&gt;" in client.get("/partials/events", cookies=cookie).text


def test_config_secrets_never_leave(
    store: EventStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    event_id = add_event(store)
    with TestClient(make_app(store), base_url=LOCAL) as client:
        cookie = {SESSION_COOKIE: cookie_of(client, "ada")}
        shown = [
            client.get(path, cookies=cookie)
            for path in ("/", "/openapi.json", "/api/access-log.csv", f"/api/events/{event_id}")
        ]
        shown.append(client.get("/api/events", headers=basic("ada", SESSION_SECRET)))
    no_secret_in(*(r.text + str(r.headers) for r in shown), caplog.text)
