"""The ground-truth sidecar of a reviewed event's clip, as ``stairwatch eval`` reads it.

An event's clip runs from ``clips.pre_s`` before its alert to ``clips.post_s`` after it: too
short for the rules' waiting times (an e-bike must rest 60 s before ``ebike_parked``). The
sidecar shortens them to fit, so evaluating the clip measures whether a model sees what the
operator saw, with the camera's zones and every other rule as configured. Pure functions.
"""

from __future__ import annotations

from alerts.params import RuleParamsOverride
from alerts.reviews import Verdict
from alerts.stored import StoredEvent
from stairwatch.config import CameraConfig, ZoneConfig
from stairwatch.evaluation.sidecar import Sidecar, SidecarCamera, SidecarEvent
from stairwatch.media.settings import ClipSettings

WAIT_SHARE_OF_PRE_ROLL = 0.4
"""Waiting times (dwell, persistence, time in the elevator) at most this share of the clip's
seconds before the alert, so the rule can fire inside the clip."""

WAIT_FIELDS = (
    ("ebike_parked", "dwell_s"),
    ("flying_wire", "persist_s"),
    ("ebike_in_elevator", "min_s"),
)


def shortened(rules: RuleParamsOverride | None, cap_s: float) -> RuleParamsOverride:
    """``rules`` with every waiting time capped at ``cap_s`` seconds (set where unset)."""
    data = {} if rules is None else rules.model_dump(exclude_none=True)
    for section, field in WAIT_FIELDS:
        values = data.setdefault(section, {})
        values[field] = min(values.get(field, cap_s), cap_s)
    return RuleParamsOverride.model_validate(data)


def event_sidecar(event: StoredEvent, camera: CameraConfig, clips: ClipSettings) -> Sidecar:
    """The truth of one reviewed event's clip: a confirmed event holds through the whole clip
    (type and zone as raised), a false alarm makes a negative clip (``"events": []``)."""
    cap = max(0.5, WAIT_SHARE_OF_PRE_ROLL * clips.pre_s)
    zones = [
        ZoneConfig(
            name=z.name,
            kind=z.kind,
            polygon=z.polygon,
            rules=None if z.rules is None else shortened(z.rules, cap),
        )
        for z in camera.zones
    ]
    events = []
    if event.review is not None and event.review.verdict is Verdict.CONFIRMED:
        events.append(
            SidecarEvent(
                type=event.type, zone=event.zone, start_s=0.0, end_s=clips.pre_s + clips.post_s
            )
        )
    return Sidecar(
        camera=SidecarCamera(kind="site", id=camera.id),
        zones=zones,
        rules=shortened(camera.rules, cap),
        events=events,
    )
