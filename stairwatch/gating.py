"""The motion gate the service and ``stairwatch eval`` both put in front of the detector."""

from __future__ import annotations

from stairwatch.config import MotionConfig
from streams.frame import Frame
from vision.motion import MotionGate, MotionParams, MotionReason

_QUIET = (MotionReason.NO_MOTION, MotionReason.FORCED_REFRESH)


def motion_gate(config: MotionConfig) -> MotionGate | None:
    """A fresh gate for one camera, or None when gating is off (every frame is detected)."""
    if not config.enabled:
        return None
    params = MotionParams(
        pixel_threshold=config.pixel_threshold,
        min_motion_ratio=config.min_motion_ratio,
        max_skip_s=config.max_skip_s,
    )
    return MotionGate(params, ignore=config.mask)


def should_detect(gate: MotionGate | None, frame: Frame, has_live_tracks: bool) -> bool:
    """Whether the detector must look at ``frame``; False means the scene is unchanged."""
    if gate is None:
        return True
    return gate.step(frame.image, frame.steady_ts, has_live_tracks).run_detector


def gate_frame(gate: MotionGate | None, frame: Frame, has_live_tracks: bool) -> tuple[bool, bool]:
    """(whether the detector must look at ``frame``, whether it is urgent): urgent unless the
    scene is still (skipped, or only a periodic re-check of static objects). No gate: both."""
    if gate is None:
        return True, True
    decision = gate.step(frame.image, frame.steady_ts, has_live_tracks)
    return decision.run_detector, decision.reason not in _QUIET
