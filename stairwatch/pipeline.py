"""One camera's per-frame logic: model classes -> our kinds -> tracks -> rules -> event changes.

The service and ``stairwatch eval`` both run exactly this code; only the frame source, the
clock and the event sink differ. Tracking and rules run on the frames' steady clock
(:attr:`Frame.steady_ts`: monotonic for live cameras), so a wall clock stepped back by NTP changes
nothing; the event changes handed out carry wall-clock times, for display and storage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo

from alerts.engine import CameraRuleEngine
from alerts.events import EventChange
from alerts.observation import Observation
from alerts.params import RuleParams
from alerts.rules.shed_spots import ShedOccupancy
from stairwatch.cable_finding import CableFinding, watched_zones
from streams.frame import Frame
from vision.bytetrack import ByteTrackConfig
from vision.detections import Detections
from vision.kinds import KIND_NAMES, KindMapper
from vision.tracking import ObjectTracker
from vision.zones import Zone


@dataclass(frozen=True, eq=False)
class PipelineStep:
    """What one frame produced.

    Attributes:
        observation: the tracked detections over our kinds the rules saw.
        changes: event changes raised by the rules on this frame.
        detected: False when the detector did not look at this frame (motion gate: unchanged scene).
        sheds: the occupancy of the camera's sheds with spots as of this frame (none without).
    """

    observation: Observation
    changes: list[EventChange]
    detected: bool
    sheds: tuple[ShedOccupancy, ...] = ()


class CameraPipeline:
    """Tracking and rules for one camera. Not thread-safe: one caller at a time. ``tz``: the
    site's time zone, for the rules' schedules (None: the machine's local time)."""

    def __init__(
        self,
        camera_id: str,
        zones: Sequence[Zone],
        params: RuleParams,
        kind_mapper: KindMapper,
        zone_params: Mapping[str, RuleParams] | None = None,
        tracking: ByteTrackConfig | None = None,
        tz: tzinfo | None = None,
    ):
        self.camera_id = camera_id
        self.zones = tuple(zones)
        self._kind_mapper = kind_mapper
        self._tracking = tracking
        self._rules = (params, dict(zone_params or {}))
        self._tz = tz
        self._tracker = ObjectTracker(tracking)
        self._engine = CameraRuleEngine(camera_id, zones, params, zone_params, tz)
        trusted = (tracking or ByteTrackConfig()).new_track_threshold
        self._cables = CableFinding(watched_zones(self.zones, params, self._rules[1]), trusted)
        self._last_model_detections: Detections | None = None
        self._tracked_last_frame = False
        self._last_tracked = Detections.empty(KIND_NAMES)
        self._wall_offset_s = 0.0

    def process(self, frame: Frame, detections: Detections | None) -> PipelineStep:
        """Advance on one frame.

        Args:
            frame: the frame (its ``steady_ts`` is the clock of every rule).
            detections: the detector's output for this frame in the model's classes, or None when
                the detector was skipped because nothing moved: the scene is then taken as
                unchanged (the last detections again), never as empty.
        """
        detected = detections is not None
        if detections is None:
            detections = self._last_model_detections or Detections.empty(
                self._kind_mapper.model_class_names
            )
        self._last_model_detections = detections
        # The finder sees every frame (and looks once a `finder_every_s`): a cable that
        # settles must be timed even when the motion gate skips the detector.
        kinds = self._cables.add_found(frame, self._kind_mapper(detections))
        tracked = self._tracker.update(kinds, frame.steady_ts)
        self._last_tracked = tracked
        self._tracked_last_frame = len(tracked) > 0
        self._wall_offset_s = frame.wall_offset_s
        observation = self._observation(frame, tracked)
        changes = self._engine.step(observation)
        return PipelineStep(
            observation, self._on_wall_clock(changes), detected, self._engine.occupancy
        )

    def check_fire(self, frame: Frame) -> PipelineStep:
        """Advance only the fire check on a frame between full ones (no detector, no tracking):
        it sees the last full frame's tracked objects (its person boxes shield jackets)."""
        observation = self._observation(frame, self._last_tracked)
        self._wall_offset_s = frame.wall_offset_s
        changes = self._engine.step_fire(observation)
        return PipelineStep(observation, self._on_wall_clock(changes), detected=False)

    def _observation(self, frame: Frame, tracked: Detections) -> Observation:
        return Observation(
            camera_id=self.camera_id,
            timestamp=frame.steady_ts,
            width=frame.width,
            height=frame.height,
            detections=tracked,
            image=frame.image,
            wall_ts=frame.timestamp,
        )

    def finish(self, timestamp: float) -> list[EventChange]:
        """End every open event at ``timestamp`` (on the frames' steady clock): end of a clip,
        or shutdown."""
        return self._on_wall_clock(self._engine.flush(timestamp))

    def reset(self) -> list[EventChange]:
        """Start afresh after a step failed: end every open event at the last good frame, then
        forget the tracks and the rules' state (the camera's view is learned again)."""
        last = self._engine.state.last_ts
        changes = [] if last is None else self.finish(last)
        params, zone_params = self._rules
        self._tracker = ObjectTracker(self._tracking)
        self._engine = CameraRuleEngine(self.camera_id, self.zones, params, zone_params, self._tz)
        self._cables.reset()
        self._last_model_detections = None
        self._tracked_last_frame = False
        self._last_tracked = Detections.empty(KIND_NAMES)
        return changes

    def _on_wall_clock(self, changes: list[EventChange]) -> list[EventChange]:
        return [change.shifted(self._wall_offset_s) for change in changes]

    @property
    def has_live_tracks(self) -> bool:
        """Whether an object of ours was tracked on the last frame (keeps motion gating open).

        Low-score boxes that extend no track do not count: they are not objects yet."""
        return self._tracked_last_frame


__all__ = ["KIND_NAMES", "CameraPipeline", "PipelineStep"]
