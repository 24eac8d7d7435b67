"""The ground truth beside each clip: ``NAME.mp4`` (any video) with ``NAME.json``.

A sidecar names the zones and rule overrides the clip is watched with, the true events
(``"events": []`` marks a negative clip) and, optionally, per-frame boxes for frame-level metrics
(and ``empty_frames``: times of frames known to hold no object, so detections there count too).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from alerts.events import EventType
from alerts.params import RuleParams, RuleParamsOverride
from stairwatch.config import ZoneConfig, validation_problems
from stairwatch.evaluation.errors import EvaluationError, SidecarError
from stairwatch.evaluation.matching import EVALUATED_TYPES, TruthEvent
from vision.kinds import ObjectKind, check_normalized_xyxy
from vision.zones import Zone

VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".ts", ".gif")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SidecarCamera(_Strict):
    """Informational: what kind of place the clip shows, and which camera filmed it (``id``,
    for results per camera)."""

    kind: str = ""
    id: str = ""


class SidecarEvent(_Strict):
    """One true event: its condition holds from ``start_s`` to ``end_s`` (s from clip start)."""

    type: EventType
    zone: str | None = None
    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)

    @field_validator("type")
    @classmethod
    def _scored_type(cls, value: EventType) -> EventType:
        if value not in EVALUATED_TYPES:
            allowed = ", ".join(t.value for t in EVALUATED_TYPES)
            raise ValueError(f"must be one of {allowed}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> SidecarEvent:
        if self.end_s < self.start_s:
            raise ValueError(f"end_s ({self.end_s}) is before start_s ({self.start_s})")
        return self

    def to_truth(self) -> TruthEvent:
        return TruthEvent(self.type, self.zone, self.start_s, self.end_s)


class SidecarBox(_Strict):
    """A true object box at ``t`` seconds; ``xyxy`` normalized to [0, 1] (x right, y down)."""

    t: float = Field(ge=0)
    label: ObjectKind
    xyxy: tuple[float, float, float, float]

    _normalized = field_validator("xyxy")(check_normalized_xyxy)


class Sidecar(_Strict):
    """The whole ``NAME.json``."""

    camera: SidecarCamera = SidecarCamera()
    zones: list[ZoneConfig] = Field(default_factory=list)
    rules: RuleParamsOverride | None = None
    events: list[SidecarEvent]
    boxes: list[SidecarBox] = Field(default_factory=list)
    empty_frames: list[float] = Field(
        default_factory=list,
        description="times (s) of frames checked to hold no object of any kind: every "
        "detection there is a false positive in the frame metrics",
    )

    @model_validator(mode="after")
    def _zones_consistent(self) -> Sidecar:
        names = [z.name for z in self.zones]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"zone names must be unique: {', '.join(dupes)}")
        return self

    def zone_problems(self) -> list[str]:
        """Events naming a zone the sidecar does not define (``events[i].zone: ...`` lines)."""
        names = {z.name for z in self.zones}
        return [
            f"events[{i}].zone: no zone named {e.zone!r}"
            f" (zones: {', '.join(sorted(names)) or 'none'})"
            for i, e in enumerate(self.events)
            if e.zone is not None and e.zone not in names
        ]

    @field_validator("empty_frames")
    @classmethod
    def _times(cls, times: list[float]) -> list[float]:
        bad = [t for t in times if t < 0]
        if bad:
            raise ValueError(f"{bad[0]} is negative: times are seconds from the clip's start")
        return times

    def labelled_frames(self) -> dict[float, list[SidecarBox]]:
        """Every labelled frame's time -> its boxes (none for an empty frame), in time order."""
        frames: dict[float, list[SidecarBox]] = {t: [] for t in self.empty_frames}
        for box in self.boxes:
            frames.setdefault(box.t, []).append(box)
        return dict(sorted(frames.items()))

    def truth(self) -> list[TruthEvent]:
        return [e.to_truth() for e in self.events]

    def to_zones(self) -> list[Zone]:
        return [z.to_zone() for z in self.zones]

    def params(self, global_params: RuleParams) -> RuleParams:
        """Global rules with the sidecar's overrides."""
        return global_params.merged(self.rules)

    def zone_params(self, global_params: RuleParams) -> dict[str, RuleParams]:
        """Zone name -> global < sidecar < zone rules, for zones that override anything."""
        clip = self.params(global_params)
        return {z.name: clip.merged(z.rules) for z in self.zones if z.rules is not None}


@dataclass(frozen=True)
class LabeledClip:
    """A video with its sidecar. ``name`` is the video's file name (``stairwell_parked.mp4``)."""

    video: Path
    sidecar_path: Path
    sidecar: Sidecar

    @property
    def name(self) -> str:
        return self.video.name


def load_sidecar(path: Path) -> Sidecar:
    """Read and validate one sidecar; raises :class:`SidecarError` naming the file and fields."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SidecarError(str(path), [f"cannot read: {exc.strerror}"]) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SidecarError(str(path), [f"not valid JSON: {exc}"]) from None
    if not isinstance(data, dict):
        raise SidecarError(str(path), ["(top level): expected an object"])
    try:
        sidecar = Sidecar.model_validate(data)
    except ValidationError as exc:
        raise SidecarError(str(path), validation_problems(exc)) from None
    problems = sidecar.zone_problems()
    if problems:
        raise SidecarError(str(path), problems)
    return sidecar


def find_clips(clips_dir: Path) -> list[LabeledClip]:
    """Every video in ``clips_dir`` (not recursive) that has a ``.json`` sidecar, by name.

    Raises :class:`SidecarError` for an invalid sidecar and :class:`EvaluationError` when the
    directory is missing or holds no labelled clip. JSON files without a video are ignored.
    """
    if not clips_dir.is_dir():
        raise EvaluationError(f"{clips_dir}: not a directory")
    clips = []
    for video in sorted(clips_dir.iterdir()):
        sidecar_path = video.with_suffix(".json")
        if video.suffix.lower() in VIDEO_SUFFIXES and video.is_file() and sidecar_path.is_file():
            clips.append(LabeledClip(video, sidecar_path, load_sidecar(sidecar_path)))
    if not clips:
        raise EvaluationError(
            f"{clips_dir}: no clip with a sidecar (expected NAME.mp4 beside NAME.json; "
            f"video suffixes: {' '.join(VIDEO_SUFFIXES)})"
        )
    return clips
