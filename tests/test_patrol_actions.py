"""The patroller's actions from the phone page (issue 19): "on my way" reaches the control room,
and resolving takes a photo that is checked (type, size, really an image), kept as evidence,
served to those who may see the event, and counted and removed with the event."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import SecretStr

from alerts.errors import PhotoRejected, PhotoTooLarge
from alerts.events import EventStatus, EventType
from alerts.photos import MAX_PHOTO_BYTES, MAX_PHOTO_SIDE, checked_photo, sniff_photo
from alerts.retention import MediaItem, RetentionLimits, plan_retention
from alerts.store import EventStore
from alerts.stored import ActionKind, CameraInfo
from dashboard.app import create_app
from dashboard.auth import Role, hash_password
from dashboard.guard import MAX_BODY_BYTES, RequestGuard
from dashboard.patrol import PATROL_UPLOADS, PHOTO_FORM_BYTES
from dashboard.schemas import DashboardSettings, DashboardUser
from tests.test_patroller import SECRET, T0, TZ, add_event, link
from tests.web import LOCAL

FAST = 1_000  # PBKDF2 iterations in tests


def picture(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    """A real image in ``fmt`` (JPEG, PNG, WEBP, GIF) with some structure in it."""
    pixels = np.zeros((size[1], size[0], 3), np.uint8)
    pixels[:, : size[0] // 2] = (200, 40, 40)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format=fmt)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels but holds almost no data (a 'bomb')."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture
def event_id(store: EventStore) -> str:
    stairs = CameraInfo("cam-3f", "3F 楼梯间", "3号楼", "3F")
    return add_event(store, stairs, T0, EventType.EBIKE_PARKED)


@pytest.fixture
def client(store: EventStore, event_id: str):
    settings = DashboardSettings(timezone=TZ, link_secret=SECRET)
    with TestClient(create_app(store, settings=settings), base_url=LOCAL) as c:
        yield c


def resolve_with(
    client: TestClient, event_id: str, photo: bytes | None, filename: str = "p.jpg", **headers: str
) -> httpx.Response:
    files = {"photo": (filename, photo or b"", "application/octet-stream")}
    return client.post(
        f"{link(event_id)}/resolve?lang=en",
        data={"name": "Wang Wei", "note": "moved the bike out"},
        files=files,
        headers=headers,
        follow_redirects=False,
    )


# -- "on my way" -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "label"),
    [("en", "On the way"), ("zh-CN", "赶往现场")],
)
def test_on_my_way_is_stamped_and_shown_in_the_control_room(
    client: TestClient, store: EventStore, event_id: str, lang: str, label: str
) -> None:
    response = client.post(
        f"{link(event_id)}/on-my-way", data={"name": " Li  Na "}, follow_redirects=False
    )
    assert response.status_code == 303
    event = store.get(event_id)
    assert event.on_way_by == "patroller:Li Na" and event.on_way_at is not None
    assert event.status is EventStatus.ACKNOWLEDGED  # seen: it is not escalated
    trail = [(a.action, a.actor) for a in store.actions(event_id)]
    assert trail[-2:] == [
        (ActionKind.ACKNOWLEDGED, "patroller:Li Na"),
        (ActionKind.ON_THE_WAY, "patroller:Li Na"),
    ]
    card = client.get(f"/?lang={lang}").text
    assert label in card and "patroller:Li Na" in card
    api = client.get(f"/api/events/{event_id}").json()
    assert api["on_way_by"] == "patroller:Li Na"
    page = client.get(response.headers["location"]).text
    assert "patroller:Li Na" in page


def test_on_my_way_keeps_an_acknowledgement_and_is_refused_once_resolved(
    client: TestClient, store: EventStore, event_id: str
) -> None:
    store.acknowledge(event_id, "control room")
    first = client.post(f"{link(event_id)}/on-my-way", data={"name": "A"}, follow_redirects=False)
    assert first.status_code == 303
    assert store.get(event_id).acknowledged_by == "control room"
    store.resolve(event_id, "control room")
    late = client.post(f"{link(event_id)}/on-my-way", data={"name": "B"}, follow_redirects=False)
    assert late.status_code == 409
    assert store.get(event_id).on_way_by == "patroller:A"


def test_on_my_way_needs_a_name(client: TestClient, store: EventStore, event_id: str) -> None:
    response = client.post(f"{link(event_id)}/on-my-way?lang=en", data={"name": "  "})
    assert response.status_code == 422 and "Please enter your name" in response.text
    assert store.get(event_id).on_way_by is None


# -- resolving with a photo ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_photo_is_accepted_kept_and_served(
    client: TestClient, store: EventStore, event_id: str, fmt: str
) -> None:
    response = resolve_with(client, event_id, picture(fmt))
    assert response.status_code == 303, response.text
    event = store.get(event_id)
    assert event.status is EventStatus.RESOLVED and event.photo_path is not None
    assert event.photo_path.startswith("photos/") and event.photo_path.endswith(".jpg")
    for url in (f"{link(event_id)}/photo.jpg", f"/api/events/{event_id}/photo.jpg"):
        served = client.get(url)
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        assert served.headers["cache-control"] == "no-store"
        assert Image.open(io.BytesIO(served.content)).format == "JPEG"  # re-encoded
    assert "Resolution photo" in client.get("/?lang=en").text
    assert f"{link(event_id)}/photo.jpg" in client.get(f"{link(event_id)}?lang=en").text
    logged = [(e.action.value, e.target) for e in store.access.entries()]
    assert ("viewed_photo", event_id) in logged


def test_resolving_without_a_photo_still_works(
    client: TestClient, store: EventStore, event_id: str
) -> None:
    assert resolve_with(client, event_id, None, filename="").status_code == 303
    event = store.get(event_id)
    assert event.status is EventStatus.RESOLVED and event.photo_path is None
    assert client.get(f"/api/events/{event_id}/photo.jpg").status_code == 404
    assert client.get(f"{link(event_id)}/photo.jpg").status_code == 404


TOO_BIG = picture("JPEG") + b"\x00" * MAX_PHOTO_BYTES  # fits the form limit, not the photo's


@pytest.mark.parametrize(
    ("photo", "status", "text"),
    [
        (picture("GIF"), 422, "JPEG, PNG or WebP"),
        (b"just some text, named like a picture", 422, "JPEG, PNG or WebP"),
        (picture("JPEG")[:60], 422, "JPEG, PNG or WebP"),  # right magic, cut short
        (b"RIFF\x10\x00\x00\x00WEBPVP8 garbage", 422, "JPEG, PNG or WebP"),
        (png_header_only(7_000, 7_000), 422, "too large"),  # 49 MP claimed
        (png_header_only(20_000, 20_000), 422, "too large"),  # beyond PIL's own bomb limit
        (TOO_BIG, 422, "too large"),
        (b"\xff\xd8\xff" + b"\x00" * PHOTO_FORM_BYTES, 413, "larger than"),  # the guard's limit
    ],
    ids=["gif", "text", "truncated", "fake-webp", "bomb", "huge-bomb", "5MiB+", "over-form"],
)
def test_bad_photos_are_refused_and_nothing_changes(
    client: TestClient,
    store: EventStore,
    event_id: str,
    tmp_path: Path,
    photo: bytes,
    status: int,
    text: str,
) -> None:
    response = resolve_with(client, event_id, photo)
    assert response.status_code == status and text in response.text
    event = store.get(event_id)
    assert event.status is EventStatus.OPEN and event.photo_path is None
    assert not (tmp_path / "media" / "photos").exists()


def test_only_the_resolve_route_takes_a_large_body(client: TestClient, event_id: str) -> None:
    big = {"name": "x", "note": "y" * (100 * 1024)}
    for action in ("acknowledge", "on-my-way"):
        response = client.post(f"{link(event_id)}/{action}", data=big)
        assert response.status_code == 413
    assert client.post("/login", data=big).status_code == 413


@pytest.mark.parametrize(
    ("path", "root_path", "limit"),
    [
        ("/p/tok/resolve", "", PHOTO_FORM_BYTES),
        ("/stairwatch/p/tok/resolve", "/stairwatch", PHOTO_FORM_BYTES),  # behind a mount
        ("/p/tok/acknowledge", "", MAX_BODY_BYTES),
        ("/p/tok/on-my-way", "", MAX_BODY_BYTES),
        ("/p/tok/resolve/more", "", MAX_BODY_BYTES),
        ("/x/p/tok/resolve", "", MAX_BODY_BYTES),
        ("/api/events/e1/resolve", "", MAX_BODY_BYTES),
        ("/login", "", MAX_BODY_BYTES),
    ],
)
def test_the_guard_raises_the_body_limit_for_the_resolve_path_only(
    path: str, root_path: str, limit: int
) -> None:
    async def app(*_args: object) -> None:
        raise AssertionError("not called")

    guard = RequestGuard(app, frozenset({"localhost"}), larger_bodies=PATROL_UPLOADS)
    assert guard.body_limit({"path": path, "root_path": root_path}) == limit


def test_a_cross_site_upload_is_refused(
    client: TestClient, store: EventStore, event_id: str
) -> None:
    response = resolve_with(client, event_id, picture("JPEG"), **{"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert store.get(event_id).status is EventStatus.OPEN


def test_photos_are_re_encoded_small_and_without_exif() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make; a real phone adds GPS here
    wide = Image.fromarray(np.full((60, 3000, 3), 90, np.uint8))
    out = io.BytesIO()
    wide.save(out, format="JPEG", exif=exif.tobytes())
    stored = Image.open(io.BytesIO(checked_photo(out.getvalue())))
    assert stored.format == "JPEG" and max(stored.size) == MAX_PHOTO_SIDE
    assert not stored.getexif()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\xff\xd8\xff\xe0rest", "JPEG"),
        (b"\x89PNG\r\n\x1a\nrest", "PNG"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "WEBP"),
        (b"GIF89a", None),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
        (b"", None),
    ],
)
def test_sniffing(data: bytes, kind: str | None) -> None:
    assert sniff_photo(data) == kind


@pytest.mark.parametrize(
    ("data", "error"),
    [(b"", PhotoRejected), (b"\xff\xd8\xff" + b"\x00" * MAX_PHOTO_BYTES, PhotoTooLarge)],
)
def test_checked_photo_errors(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        checked_photo(data)


# -- who may see it, and retention -----------------------------------------------------------


def test_the_photo_is_served_to_signed_in_viewers_only(store: EventStore, event_id: str) -> None:
    store.resolve_with_photo(event_id, "patroller:W", None, checked_photo(picture("PNG")))
    vera = DashboardUser(
        name="vera", role=Role.VIEWER, password_hash=SecretStr(hash_password("viewer-pw", FAST))
    )
    settings = DashboardSettings(users=(vera,), session_secret="s" * 32)
    basic = base64.b64encode(b"vera:viewer-pw").decode()
    with TestClient(create_app(store, settings=settings), base_url=LOCAL) as client:
        url = f"/api/events/{event_id}/photo.jpg"
        assert client.get(url).status_code == 401
        assert client.get(url, headers={"Authorization": f"Basic {basic}"}).status_code == 200


def test_deleting_an_event_removes_its_photo(store: EventStore, event_id: str) -> None:
    store.resolve_with_photo(event_id, "patroller:W", None, checked_photo(picture("JPEG")))
    path = store.photo_path(event_id)
    (media,) = store.media_index()
    assert media.photo_path == store.get(event_id).photo_path
    assert store.delete_events([event_id]) == 1
    assert not path.exists()


@pytest.mark.parametrize(
    ("photo_bytes", "cap", "deleted"),
    [
        (0, 150, ()),  # 100 + 40: under the cap
        (30, 150, ("old",)),  # the photo tips it over: the older ended event goes
        (30, 170, ()),
    ],
)
def test_retention_counts_photos(photo_bytes: int, cap: int, deleted: tuple[str, ...]) -> None:
    items = [
        MediaItem("old", 10.0, 20.0, 40, 0, photo_bytes),
        MediaItem("new", 30.0, None, 100, 0),
    ]
    plan = plan_retention(items, 100.0, RetentionLimits(max_age_s=1e9, max_media_bytes=cap))
    assert plan.delete_events == deleted
    assert plan.media_bytes_before == 140 + photo_bytes
