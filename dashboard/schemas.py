"""The dashboard's settings, what it asks the runtime about cameras, and its request bodies."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from alerts.reviews import ReviewInput
from dashboard.auth import Role, check_password_hash
from dashboard.i18n import Lang

_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@]+@")


def scrub_credentials(text: str) -> str:
    """``rtsp://user:pw@host/x`` -> ``rtsp://***@host/x`` anywhere in ``text``."""
    return _URL_USERINFO.sub(r"\1***@", text)


class CameraState(StrEnum):
    CONNECTING = "connecting"
    ONLINE = "online"
    OFFLINE = "offline"


class CameraStatus(BaseModel):
    """How one camera's stream is doing. Never carries the source URL; errors are scrubbed."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    building: str = ""
    floor: str = ""
    state: CameraState
    fps: float = Field(0.0, ge=0, description="frames analysed per second, recent average")
    last_frame_age_s: float | None = Field(None, ge=0, description="seconds since the last frame")
    frames_dropped: int = Field(0, ge=0)
    reconnects: int = Field(0, ge=0)
    detections_run: int = Field(0, ge=0, description="frames the detector looked at")
    detections_skipped: int = Field(0, ge=0, description="frames skipped: nothing moved")
    detector_errors: int = Field(0, ge=0)
    detections_per_s: float | None = Field(
        None, ge=0, description="detections run per second, over the last minute"
    )
    due_share: float | None = Field(
        None, ge=0, le=1, description="share of the due detections that ran, last minute"
    )
    last_error: str | None = None
    node: str | None = Field(None, description="a fleet: the node running it (None: one box)")
    site: str | None = Field(None, description="a fleet: that node's site")
    node_online: bool | None = Field(
        None, description="a fleet: whether that node (and its report) is current; None: one box"
    )

    @field_validator("last_error")
    @classmethod
    def _no_credentials(cls, value: str | None) -> str | None:
        return None if value is None else scrub_credentials(value)


class CameraStatusProvider(Protocol):
    """Implemented by the runtime; called from the dashboard's request threads."""

    def camera_statuses(self) -> list[CameraStatus]: ...


class HealthProblemOut(BaseModel):
    subject: str
    message: str
    node: str | None = Field(None, description="a fleet's control room: the node that has it")


class ServiceHealth(BaseModel):
    """``GET /api/health``: ``degraded`` while anything is wrong, and what."""

    status: str
    problems: list[HealthProblemOut]
    thread_restarts: dict[str, int]
    recorder_queued: int
    recorder_dropped: int


class ServiceHealthProvider(Protocol):
    """Implemented by the runtime; called from the dashboard's request threads."""

    def service_health(self) -> ServiceHealth: ...


class CameraPictureProvider(Protocol):
    """Implemented by the runtime; called from the dashboard's request threads."""

    def latest_picture(self, camera_id: str) -> bytes | None:
        """The camera's newest picture as a JPEG, or None when it has none (yet)."""
        ...


class ZoneOutline(BaseModel):
    """A configured zone as the zone page draws it: polygon normalized to [0, 1]."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: str
    polygon: list[tuple[float, float]]


class MaskOutline(BaseModel):
    """A configured privacy mask as the zone page draws it: polygon normalized to [0, 1]."""

    model_config = ConfigDict(frozen=True)

    name: str
    polygon: list[tuple[float, float]]
    detect_through: bool = False


class CameraZonesProvider(Protocol):
    """Implemented by the runtime; called from the dashboard's request threads."""

    def camera_zones(self, camera_id: str) -> list[ZoneOutline] | None:
        """The camera's configured zones, or None when there is no such camera."""
        ...

    def camera_privacy_masks(self, camera_id: str) -> list[MaskOutline]:
        """The camera's configured privacy masks (none for an unknown camera)."""
        ...


class DashboardUser(BaseModel):
    """Someone who may sign in to the dashboard."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[^\s:|]+$")
    role: Role = Role.OPERATOR
    password_hash: SecretStr = Field(description="from stairwatch hash-password")

    @field_validator("password_hash")
    @classmethod
    def _a_hash(cls, value: SecretStr) -> SecretStr:
        check_password_hash(value.get_secret_value())
        return value


class DashboardSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    default_lang: Lang = "zh-CN"
    refresh_s: float = Field(
        15.0,
        ge=1,
        le=300,
        description="how often the page polls for events while its live feed is down",
    )
    feed_keepalive_s: float = Field(
        15.0, ge=1, le=120, description="a comment on an idle live feed this often (proxies)"
    )
    page_size: int = Field(50, ge=1, le=500, description="events shown on the page")
    timezone: str | None = Field(
        None, description="IANA zone for times on the page, e.g. Asia/Shanghai; None: the server's"
    )
    link_secret: SecretStr | None = Field(
        None,
        min_length=1,
        exclude=True,
        description="verifies the signed /p/{token} links to one alert; None: no such pages",
    )
    users: tuple[DashboardUser, ...] = Field(
        (), description="who may sign in; none: no login, everyone may act (loopback only)"
    )
    session_secret: SecretStr | None = Field(
        None,
        min_length=16,
        exclude=True,
        description="signs session cookies; None: a new random one at each start",
    )
    session_hours: float = Field(12.0, gt=0, le=24 * 30, description="a sign-in lasts this long")
    public_url: str | None = Field(
        None,
        description="the dashboard's URL as people reach it (its host is allowed; https: "
        "Secure cookies)",
    )
    allowed_hosts: tuple[str, ...] = Field(
        (), description="more Host header names to serve, beside localhost and public_url's"
    )
    secure_cookies: bool | None = Field(
        None,
        description="mark the session cookie Secure; None: when public_url or the request is https",
    )
    metrics_token: SecretStr | None = Field(
        None,
        min_length=16,
        exclude=True,
        description="opens /metrics and health details to Authorization: Bearer <token>",
    )
    processes: int = Field(
        1, ge=1, description="dashboard processes on the same port: each enforces its share "
        "of the sign-in and public-page limits",
    )  # fmt: skip
    signed_out_path: Path | None = Field(
        None, description="a file the processes share sign-outs through (None: in memory)"
    )

    @field_validator("users")
    @classmethod
    def _unique_names(cls, users: tuple[DashboardUser, ...]) -> tuple[DashboardUser, ...]:
        check_unique_names(users)
        return users


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def host_of(url: str) -> str | None:
    """The lower-case host name of an absolute URL (IPv6 without brackets), else None."""
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def served_hosts(settings: DashboardSettings) -> frozenset[str]:
    """Host header names the dashboard answers: loopback, public_url's and the configured."""
    public = host_of(settings.public_url) if settings.public_url else None
    names = {h.strip().strip("[]").lower() for h in settings.allowed_hosts}
    return LOOPBACK_HOSTS | names | ({public} if public else set())


def secure_cookies(settings: DashboardSettings, request_scheme: str) -> bool:
    """Whether the session cookie is marked Secure: as configured, else when the dashboard is
    reached over https (public_url says so even when a proxy does not)."""
    if settings.secure_cookies is not None:
        return settings.secure_cookies
    public_https = (settings.public_url or "").lower().startswith("https://")
    return public_https or request_scheme == "https"


def check_unique_names(users: Sequence[DashboardUser]) -> None:
    names = [u.name for u in users]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"user names must be unique: {', '.join(twice)}")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ActorNote(_Body):
    """Body of acknowledge and resolve. ``actor`` is needed only without login: a signed-in
    user always acts as themselves."""

    actor: str | None = Field(None, min_length=1, max_length=200)
    note: str | None = Field(None, max_length=2000)


class Assignment(_Body):
    """Body of assign (``actor`` as in :class:`ActorNote`)."""

    actor: str | None = Field(None, min_length=1, max_length=200)
    assignee: str = Field(min_length=1, max_length=200)


class ReviewBody(ReviewInput):
    """Body of review (``actor`` as in :class:`ActorNote`)."""

    actor: str | None = Field(None, min_length=1, max_length=200)

    def verdict_only(self) -> ReviewInput:
        return ReviewInput.model_validate(self.model_dump(exclude={"actor"}))


class Health(BaseModel):
    """What ``/healthz`` tells a signed-in user or the metrics token (strangers: status only)."""

    status: str
    events_open: int
    cameras: int


class PublicHealth(BaseModel):
    status: str
