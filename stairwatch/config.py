"""The service configuration: one YAML file validated by pydantic (``extra="forbid"``).

Validators do no I/O; :func:`check_paths` checks files exist, separately.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from alerts.notify_config import NotificationsConfig
from alerts.params import RuleParams, RuleParamsOverride
from alerts.privacy import PeopleRedaction
from alerts.urls import is_loopback
from dashboard.schemas import DashboardUser, check_unique_names
from stairwatch.media.settings import ClipSettings
from streams.av_open import HwAccel
from streams.redact import redact_url
from vision.kinds import ObjectKind
from vision.privacy_masks import FrameMasker, PrivacyMask
from vision.zones import Zone, ZoneKind


class ConfigError(Exception):
    """The configuration is invalid. ``problems`` holds one ``location: message`` line each."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


Point = tuple[float, float]


def _checked_polygon(polygon: list[Point]) -> list[Point]:
    if len(polygon) < 3:
        raise ValueError(f"needs at least 3 points, got {len(polygon)}")
    for x, y in polygon:
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise ValueError(f"point ({x}, {y}) is outside [0, 1]: coordinates are normalized")
    return polygon


class SpotConfig(_Strict):
    """One charging spot of a shed: where one bike stands (normalized polygon)."""

    name: str = Field(min_length=1, max_length=64)
    polygon: list[Point]

    @field_validator("polygon")
    @classmethod
    def _polygon_ok(cls, polygon: list[Point]) -> list[Point]:
        return _checked_polygon(polygon)

    def to_zone(self) -> Zone:
        return Zone(self.name, ZoneKind.SHED, _polygon(self.polygon))


class ZoneConfig(_Strict):
    name: str = Field(min_length=1)
    kind: ZoneKind
    polygon: list[Point]
    rules: RuleParamsOverride | None = None
    spots: list[SpotConfig] = Field(
        default_factory=list, description="a shed's charging spots (shed zones only)"
    )

    @field_validator("polygon")
    @classmethod
    def _polygon_ok(cls, polygon: list[Point]) -> list[Point]:
        return _checked_polygon(polygon)

    @model_validator(mode="after")
    def _spots_in_sheds(self) -> ZoneConfig:
        if self.spots and self.kind is not ZoneKind.SHED:
            raise ValueError(f"spots: only a shed zone has spots, this one is {self.kind.value}")
        names = [s.name for s in self.spots]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"spot names must be unique within a shed: {', '.join(dupes)}")
        return self

    def to_zone(self) -> Zone:
        spots = tuple(s.to_zone() for s in self.spots)
        return Zone(self.name, self.kind, _polygon(self.polygon), spots)


def _polygon(points: list[Point]) -> tuple[tuple[float, float], ...]:
    return tuple((float(x), float(y)) for x, y in points)


class PrivacyMaskConfig(_Strict):
    """An area blacked out before anything is stored, shown or sent (a resident's door)."""

    name: str = Field(min_length=1)
    polygon: list[Point] = Field(description="normalized to [0, 1], like zones")
    detect_through: bool = Field(
        False, description="the detector still sees the area; stored and shown pictures do not"
    )

    @field_validator("polygon")
    @classmethod
    def _polygon_ok(cls, polygon: list[Point]) -> list[Point]:
        return _checked_polygon(polygon)

    def to_mask(self) -> PrivacyMask:
        return PrivacyMask(
            self.name, tuple((float(x), float(y)) for x, y in self.polygon), self.detect_through
        )


def _unique_names(what: str, names: list[str]) -> None:
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"{what} names must be unique within a camera: {', '.join(dupes)}")


class StreamConfig(_Strict):
    """Live sources (RTSP, HTTP, devices): timeouts in seconds."""

    open_timeout_s: float = Field(10.0, gt=0, le=120, description="connect and handshake")
    read_timeout_s: float = Field(10.0, gt=0, le=120, description="no data this long: reconnect")
    stall_after_s: float = Field(
        10.0, gt=0, le=600, description="no new picture this long: reconnect"
    )
    offline_after_s: float = Field(
        30.0, gt=0, le=86400, description="offline this long: a camera_offline event"
    )
    probe_interval_s: float = Field(
        1.0,
        ge=0,
        le=60,
        description="while a camera's server is away, check its port this often and reconnect "
        "as soon as it answers (0: only the reconnect backoff)",
    )
    hwaccel: HwAccel = Field(
        HwAccel.AUTO,
        description="decode on the machine's GPU (cuda) or Intel Quick Sync (qsv); auto: the "
        "first one present, else software; none: always software",
    )


class MotionConfig(_Strict):
    """Motion gating: the detector skips frames where nothing moved (the scene is kept as is)."""

    enabled: bool = True
    mask: list[list[Point]] = Field(
        default_factory=list, description="polygons whose pixels never count as motion"
    )
    pixel_threshold: int = Field(25, ge=1, le=255, description="grey-level change that counts")
    min_motion_ratio: float = Field(0.002, gt=0, lt=1, description="moving share of the frame")
    max_skip_s: float = Field(10.0, gt=0, le=3600, description="detect at least this often")

    @field_validator("mask")
    @classmethod
    def _mask_ok(cls, mask: list[list[Point]]) -> list[list[Point]]:
        return [_checked_polygon(polygon) for polygon in mask]


class CameraConfig(_Strict):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = ""
    building: str = ""
    floor: str = ""
    source: SecretStr = Field(
        description="rtsp://, rtsps://, http(s):// MJPEG, a file path or a device"
    )
    substream: SecretStr | None = Field(
        None, description="optional low-resolution stream for detection"
    )
    detect_fps: float = Field(2.0, gt=0, le=30)
    nodes: list[str] | None = Field(
        None,
        description="fleet: the nodes allowed to run this camera; None: every node of its site",
    )
    site: str = Field("", description="fleet: the site whose nodes may run it ('': every site)")
    loop: bool = Field(False, description="file sources: start again at the end")
    stream: StreamConfig = StreamConfig()
    motion: MotionConfig = MotionConfig()
    zones: list[ZoneConfig] = Field(default_factory=list)
    rules: RuleParamsOverride | None = None
    privacy_masks: list[PrivacyMaskConfig] = Field(
        default_factory=list, description="areas blacked out in everything stored or shown"
    )

    @field_validator("zones")
    @classmethod
    def _unique_zone_names(cls, zones: list[ZoneConfig]) -> list[ZoneConfig]:
        _unique_names("zone", [z.name for z in zones])
        return zones

    @field_validator("privacy_masks")
    @classmethod
    def _unique_mask_names(cls, masks: list[PrivacyMaskConfig]) -> list[PrivacyMaskConfig]:
        _unique_names("privacy mask", [m.name for m in masks])
        return masks

    def masker(self) -> FrameMasker:
        """The camera's privacy masks, ready to apply to its frames."""
        return FrameMasker([m.to_mask() for m in self.privacy_masks])

    @property
    def display_name(self) -> str:
        return self.name or self.id

    def redacted_source(self) -> str:
        return redact_url(self.source.get_secret_value())


INPUT_STRIDE = 32
"""The largest stride of YOLO-family detectors: a dynamic input's sides are multiples of it."""
MIN_INPUT_SIDE, MAX_INPUT_SIDE = 128, 1280


class ModelConfig(_Strict):
    path: Path = Path("models/stairwatch-default.onnx")
    labels: Path | None = Field(
        None, description="class names, one a line (YOLOX and other exports without metadata)"
    )
    confidence: float = Field(
        0.35, gt=0, lt=1, description="score a detection needs to start tracking an object"
    )
    track_confidence: float = Field(
        0.15,
        gt=0,
        lt=1,
        description="score from which a detection may still extend an object already tracked "
        "(ByteTrack's second association): a bike seen at 0.34 after 0.37 stays the same bike",
    )
    iou: float = Field(0.5, gt=0, lt=1)
    input_size: int = Field(
        320,
        ge=MIN_INPUT_SIDE,
        le=MAX_INPUT_SIDE,
        multiple_of=INPUT_STRIDE,
        description="long side of the model input in pixels for models with a dynamic input "
        "(each camera runs at its own aspect: 640x360 at 320 -> 320x192); ignored (with the "
        "model's own size used) for fixed-size models",
    )
    class_map: dict[ObjectKind, list[str]] = Field(
        default_factory=dict,
        description="our kind -> the model's class names; a kind left out maps to its own name",
    )
    site_clips: Path | None = Field(
        None,
        description="the site's own labelled clips (`stairwatch dataset export` OUT/clips-val): "
        "`stairwatch model promote` measures a new model against the running one on them",
    )

    @model_validator(mode="after")
    def _track_confidence_at_most_confidence(self) -> ModelConfig:
        if self.track_confidence > self.confidence:
            raise ValueError(
                f"track_confidence ({self.track_confidence}) must not exceed "
                f"confidence ({self.confidence})"
            )
        return self

    @property
    def detector_confidence(self) -> float:
        """What the detector must return: everything the tracker may use."""
        return min(self.track_confidence, self.confidence)

    def kind_map(self) -> dict[ObjectKind, tuple[str, ...]]:
        return {kind: tuple(names) for kind, names in self.class_map.items()}


class MediaStorage(StrEnum):
    FILES = "files"
    DATABASE = "database"


class StorageConfig(_Strict):
    data_dir: Path = Path("data")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default SQLite under data_dir"
    )
    retention_days: float = Field(30.0, gt=0)
    recorder_queue: int = Field(
        256, ge=1, le=100_000, description="event changes waiting for the store, at most"
    )
    max_media_gb: float = Field(10.0, gt=0)
    access_log_days: float = Field(
        180.0, gt=0, description="keep the dashboard's access log (sign-ins, views) this long"
    )
    training_days: float = Field(
        30.0,
        gt=0,
        description="keep each event's unredacted frames (training material) this long after "
        "its alert",
    )

    media: MediaStorage = Field(
        MediaStorage.FILES,
        description="files: snapshots and clips in data_dir only; database: also in the "
        "database next to their event, so every node of a fleet can show and send them",
    )

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'stairwatch.db'}"


class DashboardProcess(StrEnum):
    """Where ``stairwatch run`` serves the dashboard: ``own``, a supervised child process over
    the same store (its requests never wait on the pipeline's threads); ``inline``, threads of
    the service's own process."""

    OWN = "own"
    INLINE = "inline"


class ServerConfig(_Strict):
    """The dashboard's address and who may sign in to it."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    users: list[DashboardUser] = Field(
        default_factory=list, description="who may sign in; none: no sign-in (loopback only)"
    )
    session_secret: SecretStr | None = Field(
        None, min_length=16, description="signs sign-in cookies; None: new at each start"
    )
    session_hours: float = Field(12.0, gt=0, le=24 * 30)
    allow_anonymous: bool = Field(
        False, description="no users on a non-loopback host: anyone reaching the port may act"
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names the dashboard answers besides localhost, 127.0.0.1, ::1 and "
        "notifications.public_url's host (others get 400: DNS rebinding)",
    )
    secure_cookies: bool | None = Field(
        None, description="mark the sign-in cookie Secure; None: when public_url is https"
    )
    metrics_token: SecretStr | None = Field(
        None, min_length=16, description="lets Authorization: Bearer <token> read /metrics"
    )
    process: DashboardProcess = Field(
        DashboardProcess.OWN,
        description="own: `stairwatch run` serves the dashboard from a child process; inline: "
        "from its own threads",
    )
    workers: int = Field(
        2,
        ge=1,
        le=16,
        description="with process: own, this many dashboard processes share the port (each "
        "answers requests on its own interpreter lock); sign-in limits are divided among them",
    )

    @field_validator("users")
    @classmethod
    def _unique_users(cls, users: list[DashboardUser]) -> list[DashboardUser]:
        check_unique_names(users)
        return users

    @model_validator(mode="after")
    def _sign_in_beyond_this_machine(self) -> ServerConfig:
        if not self.users and not self.allow_anonymous and not is_loopback(self.host):
            raise ValueError(
                f"host {self.host} serves the dashboard beyond this machine with no sign-in: "
                "add users (password_hash from `stairwatch hash-password`) or set "
                "allow_anonymous: true"
            )
        return self


MAX_AUTO_WORKERS = 4


class InferenceConfig(_Strict):
    """Frames of all cameras, batched on one onnxruntime session by ``workers`` threads."""

    batch_size: int = Field(4, ge=1, le=64, description="frames per detector call")
    max_wait_ms: float = Field(50.0, ge=0, le=1000, description="wait this long to fill a batch")
    workers: int | None = Field(
        None,
        ge=1,
        le=64,
        description=f"detector calls at once; None: one per CPU core (at most {MAX_AUTO_WORKERS}, "
        "at most one per camera)",
    )
    threads: int | None = Field(
        None, ge=1, le=256, description="onnxruntime threads per call; None: cores / workers"
    )
    stall_after_s: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="an online camera whose frames have gone through no detection for this "
        "long is a health problem",
    )

    def worker_count(self, cores: int, cameras: int | None = None) -> int:
        """Detector calls running at once on a machine with ``cores`` usable CPU cores; by
        default no more than ``cameras`` (a camera's frames are detected one at a time)."""
        auto = min(cores, MAX_AUTO_WORKERS, cameras or MAX_AUTO_WORKERS)
        return self.workers or max(1, auto)

    def threads_per_call(self, cores: int, cameras: int | None = None) -> int:
        """onnxruntime intra-op threads of each call: the cores each worker may use."""
        return self.threads or max(1, cores // self.worker_count(cores, cameras))


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity, which containers narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class PrivacyConfig(_Strict):
    """What evidence pictures hide before they are stored and sent (see alerts/privacy.py)."""

    redact_people: PeopleRedaction = Field(
        PeopleRedaction.OFF, description="pixelate people in snapshots: off, head or body"
    )

    @field_validator("redact_people", mode="before")
    @classmethod
    def _yaml_off(cls, value: object) -> object:
        # YAML reads a bare `off` as false (and `on` as true, which says neither head nor body).
        return "off" if value is False else value


class NodeConfig(_Strict):
    """This process as one node of a fleet sharing ``storage.database_url`` (PostgreSQL).

    Absent: a single box running every camera, as before. Times in seconds."""

    id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.-]+$")
    site: str = Field("", max_length=200, description="the site (compound) this node serves")
    lease_s: float = Field(
        15.0,
        ge=1,
        le=300,
        description="a camera's lease lasts this long; a dead node's cameras move after it",
    )
    offline_after_s: float = Field(
        30.0, gt=0, le=86400, description="a node not heard from this long: a node_offline event"
    )

    @property
    def renew_every_s(self) -> float:
        """How often leases are renewed and free cameras looked for: a third of a lease."""
        return self.lease_s / 3.0


class Settings(_Strict):
    """The whole configuration file."""

    cameras: list[CameraConfig] = Field(min_length=1)
    model: ModelConfig = ModelConfig()
    rules: RuleParams = RuleParams()
    storage: StorageConfig = StorageConfig()
    server: ServerConfig = ServerConfig()
    inference: InferenceConfig = InferenceConfig()
    notifications: NotificationsConfig = NotificationsConfig()
    clips: ClipSettings = ClipSettings()
    privacy: PrivacyConfig = PrivacyConfig()
    node: NodeConfig | None = None

    @model_validator(mode="after")
    def _unique_camera_ids(self) -> Settings:
        ids = [c.id for c in self.cameras]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"camera ids must be unique: {', '.join(dupes)}")
        return self

    @model_validator(mode="after")
    def _link_secret_is_its_own(self) -> Settings:
        link, session = self.notifications.link_secret, self.server.session_secret
        if link is not None and session is not None and link == session:
            raise ValueError(
                "notifications.link_secret must not be server.session_secret: give each its "
                "own (`stairwatch gen-secret`)"
            )
        return self

    @model_validator(mode="after")
    def _responses_name_cameras_and_zones(self) -> Settings:
        cameras = {c.id: c for c in self.cameras}
        for index, response in enumerate(self.notifications.responses):
            where = f"notifications.responses[{index}] ({response.name})"
            unknown = [c for c in response.cameras if c not in cameras]
            if unknown:
                raise ValueError(f"{where} names unknown cameras: {', '.join(unknown)}")
            zones = {z.name for c in response.cameras for z in cameras[c].zones}
            missing = [z for z in response.zones or [] if z not in zones]
            if missing:
                raise ValueError(f"{where} names zones its cameras lack: {', '.join(missing)}")
        return self

    def rules_for(self, camera: CameraConfig, zone: ZoneConfig | None = None) -> RuleParams:
        """Global rules, then the camera's overrides, then the zone's."""
        params = self.rules.merged(camera.rules)
        return params.merged(zone.rules) if zone is not None else params


def format_location(loc: tuple[int | str, ...]) -> str:
    """``("cameras", 2, "zones", 0, "polygon")`` -> ``cameras[2].zones[0].polygon``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def validation_problems(error: ValidationError) -> list[str]:
    """One ``location: message`` line per pydantic error, with the offending value when short."""
    lines = []
    for err in error.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required field is missing"
        value = err.get("input")
        if (
            err["type"] not in ("missing",)
            and isinstance(value, str | int | float)
            and len(str(value)) < 60
        ):
            msg = f"{msg} (got {_shown(loc, value)})"
        lines.append(f"{format_location(loc)}: {msg}")
    return lines


_SECRET_KEYS = frozenset(
    # url: may carry a token; headers, body, payload: a device's password (on-site responses)
    {"password", "password_hash", "secret", "session_secret", "link_secret", "url", "headers"}
    | {"body", "payload", "metrics_token"}
)
_URL_KEYS = frozenset({"source", "substream", "public_url"})  # may carry credentials


def _shown(loc: tuple[int | str, ...], value: str | int | float) -> str:
    """The offending value as an error message may show it: never a secret."""
    key = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if key in _SECRET_KEYS or "headers" in loc:
        return "a value not shown: it is secret"
    if key in _URL_KEYS:
        return repr(redact_url(str(value)))
    return repr(value)


def parse_settings(data: Any, source: str) -> Settings:
    """Validate already-loaded YAML data; raises :class:`ConfigError`."""
    if not isinstance(data, dict):
        raise ConfigError(source, ["(top level): expected a mapping of sections"])
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, validation_problems(exc)) from None


def load_settings(path: Path) -> Settings:
    """Read and validate a YAML file; raises :class:`ConfigError` naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read: {exc.strerror}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), [f"not valid YAML: {exc}"]) from None
    settings = parse_settings(data, str(path))
    return resolve_relative_paths(settings, path.parent)


def resolve_relative_paths(settings: Settings, base: Path) -> Settings:
    """Relative model, labels and data paths are taken from the config file's folder."""

    def fix(p: Path | None) -> Path | None:
        return p if p is None or p.is_absolute() else base / p

    model = settings.model.model_copy(
        update={
            "path": fix(settings.model.path),
            "labels": fix(settings.model.labels),
            "site_clips": fix(settings.model.site_clips),
        }
    )
    storage = settings.storage.model_copy(update={"data_dir": fix(settings.storage.data_dir)})
    cameras = [_resolve_file_source(c, base) for c in settings.cameras]
    return settings.model_copy(update={"model": model, "storage": storage, "cameras": cameras})


def _resolve_file_source(camera: CameraConfig, base: Path) -> CameraConfig:
    source = camera.source.get_secret_value()
    if not _is_file_source(source) or Path(source).is_absolute():
        return camera
    return camera.model_copy(update={"source": SecretStr(str(base / source))})


def _is_file_source(source: str) -> bool:
    """A path to a video file, not a URL (rtsp://, http://) or a device (0, /dev/video0)."""
    return "://" not in source and not source.isdigit() and not source.startswith("/dev/")


def check_paths(settings: Settings) -> list[str]:
    """Problems with files the configuration names (I/O kept out of the validators)."""
    problems = []
    if not settings.model.path.is_file():
        problems.append(f"model.path: file does not exist (got '{settings.model.path}')")
    if settings.model.labels is not None and not settings.model.labels.is_file():
        problems.append(f"model.labels: file does not exist (got '{settings.model.labels}')")
    for i, cam in enumerate(settings.cameras):
        src = cam.source.get_secret_value()
        if _is_file_source(src) and not Path(src).is_file():
            problems.append(f"cameras[{i}].source: file does not exist (got '{src}')")
    return problems


def load_checked_settings(path: Path) -> tuple[Settings | None, list[str]]:
    """Load, validate and check the files a configuration names.

    Returns the settings (None when invalid) and every problem as ``FILE: location: message``.
    """
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        return None, [f"{exc.source}: {problem}" for problem in exc.problems]
    problems = [f"{path}: {problem}" for problem in check_paths(settings)]
    return (None if problems else settings), problems
