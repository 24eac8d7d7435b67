"""Rule parameters: validated defaults, overridable per camera and per zone."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from alerts.notify_config import Window
from vision.kinds import ObjectKind


class Anchor(StrEnum):
    """Which point(s) of a box decide whether an object is in a zone."""

    BOTTOM_CENTER = "bottom_center"  # where it stands on the floor
    CENTER = "center"
    BOX = "box"  # any point of a 3x3 grid over the box (long thin objects: cables)


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PresenceParams(_Params):
    """How objects are followed across frames and in and out of zones, for every rule."""

    enter_frames: int = Field(2, ge=1, description="consecutive frames inside before it is in")
    leave_frames: int = Field(3, ge=1, description="consecutive frames outside before it is out")
    leave_margin: float = Field(
        0.1, ge=0, description="box heights beyond the zone edge before a frame counts as outside"
    )
    match_iou: float = Field(
        0.3,
        gt=0,
        le=1,
        description="a detection continues an object whose last box it overlaps this much",
    )
    match_distance: float = Field(
        0.5, gt=0, description="... or whose box centre lies within this many box heights of it"
    )
    refind_distance: float = Field(
        1.0,
        ge=0,
        description="an object lost in a zone and found there again within clear_after_s, its "
        "anchor this many box widths away (or its box overlapping), is the same stay",
    )


class EventParams(_Params):
    """When a running event is worth re-reporting with a better snapshot."""

    better_evidence_ratio: float = Field(
        1.25,
        gt=1,
        description="UPDATED when confidence x box area beats the best so far by this factor",
    )
    min_update_interval_s: float = Field(
        5.0, ge=0, description="at most one evidence UPDATED per this"
    )


class EbikeParkedParams(_Params):
    dwell_s: float = Field(
        60.0, gt=0, description="seconds at rest in a no_parking zone before alerting"
    )
    remind_after_s: float | None = Field(
        None, gt=0, description="remind every this many seconds while still there and unresolved"
    )
    clear_after_s: float = Field(10.0, gt=0, description="gone this long means it left")
    max_speed: float = Field(
        0.15, gt=0, description="at rest: its box moves under this many box heights per second"
    )
    rest_window_s: float = Field(3.0, gt=0, description="the speed is measured over this window")
    wheeled_speed_ratio: float = Field(
        0.5,
        ge=0,
        le=1,
        description="with a person on it, moving above this x max_speed is wheeling",
    )
    anchor: Anchor = Anchor.BOTTOM_CENTER


class EbikeInElevatorParams(_Params):
    min_s: float = Field(1.0, ge=0, description="seconds in an elevator zone before the alert")
    clear_after_s: float = Field(5.0, gt=0)
    anchor: Anchor = Anchor.BOTTOM_CENTER


class FlyingWireParams(_Params):
    persist_s: float = Field(10.0, gt=0, description="seconds a cable must stay before alerting")
    clear_after_s: float = Field(10.0, gt=0)
    anchor: Anchor = Anchor.BOX
    geometry_check: bool = Field(
        True, description="also require a thin, long structure in the image inside the cable box"
    )
    min_geometry_score: float = Field(0.5, ge=0, le=1)
    reach_margin: float = Field(
        0.15, ge=0, description="a cable this close to an e-bike box (its heights) reaches it"
    )
    finder: bool = Field(
        True,
        description="also look for cables without the detector: thin long lines that appear "
        "over the zone's background (vision.cable_finder)",
    )
    finder_min_length: float = Field(
        0.2,
        gt=0,
        le=1,
        description="shortest cable the finder reports, of the frame's shorter side",
    )
    finder_max_thickness_px: int = Field(
        10, ge=1, le=30, description="thickest cable the finder reports, pixels at 640 px wide"
    )
    finder_min_contrast: int = Field(
        20, ge=1, le=255, description="grey levels a new line must stand out by"
    )
    finder_still_s: float = Field(
        2.5, ge=0, description="seconds a new line must stay in place before it counts"
    )
    finder_background_s: float = Field(
        600.0, gt=0, description="time constant of the zone's background, seconds"
    )
    finder_every_s: float = Field(
        1.0,
        ge=0,
        description="look for cables at most this often (seconds; 0: every frame); a flying "
        "wire hangs for hours and a look costs about what the detector does on the frame",
    )


class CameraTamperedParams(_Params):
    after_s: float = Field(
        10.0, gt=0, description="seconds blocked, blurred or moved before alerting"
    )
    clear_after_s: float = Field(3.0, gt=0, description="seconds normal again before it ends")
    learn_s: float = Field(120.0, gt=0, description="the reference view is learned over this")
    measure_every_s: float = Field(
        1.0,
        ge=0,
        description="look at the view at most this often (seconds; 0: every frame); "
        "tampering lasts far longer than a second and the measure costs CPU",
    )
    adapt_s: float = Field(600.0, gt=0, description="time constant of the reference's slow update")
    blocked_std: float = Field(6.0, ge=0, description="grey std under this: view blocked")
    blocked_uniform_fraction: float = Field(
        0.95, gt=0, le=1, description="this share of pixels near the median grey: view blocked"
    )
    blur_ratio: float = Field(
        0.3, gt=0, lt=1, description="sharpness under this x the reference's: blurred"
    )
    moved_correlation: float = Field(
        0.5, ge=-1, lt=1, description="thumbnail correlation with the reference under this: moved"
    )


class ShedIntrusionParams(_Params):
    """A person in a ``shed`` zone while it is closed. The schedule is per shed (the shed
    zone's own ``rules``), in the site's time zone; windows may wrap midnight."""

    closed_hours: tuple[Window, ...] = Field(
        (), description='local "HH:MM-HH:MM" windows the shed is closed (none: never closed)'
    )
    min_s: float = Field(20.0, gt=0, description="seconds in the closed shed before alerting")
    clear_after_s: float = Field(10.0, gt=0, description="gone this long means they left")
    refind_s: float = Field(
        3.0,
        ge=0,
        description="a person lost at most this long and found again nearby is the same person; "
        "later, it is someone new (people come and go by the same door)",
    )
    anchor: Anchor = Anchor.BOTTOM_CENTER


class ExitBlockedParams(_Params):
    """An object at rest in an ``exit`` zone (a fire exit, an aisle)."""

    dwell_s: float = Field(120.0, gt=0, description="seconds at rest in an exit before alerting")
    kinds: tuple[ObjectKind, ...] = Field(
        (ObjectKind.EBIKE, ObjectKind.BICYCLE),
        min_length=1,
        description="what blocks an exit: every object kind the detector reports but people "
        "(who move on) and cables (which do not block)",
    )
    clear_after_s: float = Field(10.0, gt=0, description="gone this long means it was moved")
    max_speed: float = Field(
        0.15, gt=0, description="at rest: its box moves under this many box heights per second"
    )
    rest_window_s: float = Field(3.0, gt=0, description="the speed is measured over this window")
    anchor: Anchor = Anchor.BOTTOM_CENTER


class ShedSpotsParams(_Params):
    """Which charging spots of a shed are taken: a vehicle at rest with its anchor in the spot."""

    clear_after_s: float = Field(
        30.0, gt=0, description="a vehicle unseen this long (hidden by people) has left its spot"
    )
    max_speed: float = Field(0.15, gt=0, description="at rest: under this many box heights/s")
    rest_window_s: float = Field(3.0, gt=0, description="the speed is measured over this window")
    anchor: Anchor = Anchor.BOTTOM_CENTER


class SmokeFireParams(_Params):
    """smoke_fire: flame or smoke at a charging place (``shed`` zones), raised at once."""

    clear_after_s: float = Field(
        15.0, gt=0, description="seconds without flame or smoke before the event ends"
    )
    window_s: float = Field(
        2.6, gt=0, description="flicker, growth and rise are judged over this many seconds"
    )
    min_flicker: float = Field(
        0.3, gt=0, le=1, description="mean 1 - IoU of a flame's consecutive masks (lamps: ~0)"
    )
    smoke_check: bool = Field(True, description="also look for growing, rising smoke")
    check_fps: float = Field(
        6.0,
        gt=0,
        le=30,
        description="frames a second the check sees on a camera with a shed zone; those above "
        "detect_fps skip the detector (the last person boxes are used)",
    )
    rise: float = Field(
        0.25,
        ge=0,
        le=1,
        description="the zone is watched this far above it (frame heights): flames and smoke rise",
    )


class RuleParams(_Params):
    """Every rule's parameters. Missing sections take their defaults."""

    ebike_parked: EbikeParkedParams = EbikeParkedParams()
    ebike_in_elevator: EbikeInElevatorParams = EbikeInElevatorParams()
    flying_wire: FlyingWireParams = FlyingWireParams()
    camera_tampered: CameraTamperedParams = CameraTamperedParams()
    shed_intrusion: ShedIntrusionParams = ShedIntrusionParams()
    exit_blocked: ExitBlockedParams = ExitBlockedParams()
    shed_spots: ShedSpotsParams = ShedSpotsParams()
    smoke_fire: SmokeFireParams = SmokeFireParams()
    presence: PresenceParams = PresenceParams()
    events: EventParams = EventParams()

    def merged(self, override: RuleParamsOverride | None) -> RuleParams:
        """These parameters with ``override``'s explicitly set fields laid over them."""
        if override is None:
            return self
        data = self.model_dump()
        for section, values in override.model_dump(exclude_unset=True).items():
            data[section].update(values)
        return RuleParams.model_validate(data)


class _Override(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EbikeParkedOverride(_Override):
    dwell_s: float | None = Field(None, gt=0)
    remind_after_s: float | None = Field(None, gt=0)
    clear_after_s: float | None = Field(None, gt=0)
    max_speed: float | None = Field(None, gt=0)
    rest_window_s: float | None = Field(None, gt=0)
    wheeled_speed_ratio: float | None = Field(None, ge=0, le=1)
    anchor: Anchor | None = None


class EbikeInElevatorOverride(_Override):
    min_s: float | None = Field(None, ge=0)
    clear_after_s: float | None = Field(None, gt=0)
    anchor: Anchor | None = None


class FlyingWireOverride(_Override):
    persist_s: float | None = Field(None, gt=0)
    clear_after_s: float | None = Field(None, gt=0)
    anchor: Anchor | None = None
    geometry_check: bool | None = None
    min_geometry_score: float | None = Field(None, ge=0, le=1)
    reach_margin: float | None = Field(None, ge=0)
    finder: bool | None = None
    finder_min_length: float | None = Field(None, gt=0, le=1)
    finder_max_thickness_px: int | None = Field(None, ge=1, le=30)
    finder_min_contrast: int | None = Field(None, ge=1, le=255)
    finder_still_s: float | None = Field(None, ge=0)
    finder_background_s: float | None = Field(None, gt=0)
    finder_every_s: float | None = Field(None, ge=0)


class CameraTamperedOverride(_Override):
    after_s: float | None = Field(None, gt=0)
    clear_after_s: float | None = Field(None, gt=0)
    learn_s: float | None = Field(None, gt=0)
    measure_every_s: float | None = Field(None, ge=0)
    adapt_s: float | None = Field(None, gt=0)
    blocked_std: float | None = Field(None, ge=0)
    blocked_uniform_fraction: float | None = Field(None, gt=0, le=1)
    blur_ratio: float | None = Field(None, gt=0, lt=1)
    moved_correlation: float | None = Field(None, ge=-1, lt=1)


class ShedIntrusionOverride(_Override):
    closed_hours: tuple[Window, ...] | None = None
    min_s: float | None = Field(None, gt=0)
    clear_after_s: float | None = Field(None, gt=0)
    refind_s: float | None = Field(None, ge=0)
    anchor: Anchor | None = None


class ExitBlockedOverride(_Override):
    dwell_s: float | None = Field(None, gt=0)
    kinds: tuple[ObjectKind, ...] | None = Field(None, min_length=1)
    clear_after_s: float | None = Field(None, gt=0)
    max_speed: float | None = Field(None, gt=0)
    rest_window_s: float | None = Field(None, gt=0)
    anchor: Anchor | None = None


class ShedSpotsOverride(_Override):
    clear_after_s: float | None = Field(None, gt=0)
    max_speed: float | None = Field(None, gt=0)
    rest_window_s: float | None = Field(None, gt=0)
    anchor: Anchor | None = None


class PresenceOverride(_Override):
    enter_frames: int | None = Field(None, ge=1)
    leave_frames: int | None = Field(None, ge=1)
    leave_margin: float | None = Field(None, ge=0)
    match_iou: float | None = Field(None, gt=0, le=1)
    match_distance: float | None = Field(None, gt=0)
    refind_distance: float | None = Field(None, ge=0)


class EventOverride(_Override):
    better_evidence_ratio: float | None = Field(None, gt=1)
    min_update_interval_s: float | None = Field(None, ge=0)


class SmokeFireOverride(_Override):
    clear_after_s: float | None = Field(None, gt=0)
    window_s: float | None = Field(None, gt=0)
    min_flicker: float | None = Field(None, gt=0, le=1)
    smoke_check: bool | None = None
    rise: float | None = Field(None, ge=0, le=1)


class RuleParamsOverride(_Override):
    """Per-camera or per-zone overrides: only the fields given replace the defaults."""

    ebike_parked: EbikeParkedOverride | None = None
    ebike_in_elevator: EbikeInElevatorOverride | None = None
    flying_wire: FlyingWireOverride | None = None
    camera_tampered: CameraTamperedOverride | None = None
    shed_intrusion: ShedIntrusionOverride | None = None
    exit_blocked: ExitBlockedOverride | None = None
    shed_spots: ShedSpotsOverride | None = None
    smoke_fire: SmokeFireOverride | None = None
    presence: PresenceOverride | None = None
    events: EventOverride | None = None
