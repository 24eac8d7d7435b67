"""The detector-free cable finder for one camera: which zones it watches, with what thresholds,
and its state between frames (see :mod:`vision.cable_finder`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from alerts.params import FlyingWireParams, RuleParams
from streams.frame import Frame
from vision.cable_finder import (
    CableFinderParams,
    CableFinderState,
    WatchedZone,
    find_cables,
    merge_found,
)
from vision.detections import Detections
from vision.zones import Zone, ZoneKind

WATCHED_KINDS = (ZoneKind.CABLE_WATCH, ZoneKind.NO_PARKING)


def finder_params(p: FlyingWireParams) -> CableFinderParams:
    """The finder's thresholds from a camera's or zone's ``flying_wire`` rules."""
    return CableFinderParams(
        max_thickness=p.finder_max_thickness_px,
        min_length=p.finder_min_length,
        min_contrast=p.finder_min_contrast,
        still_s=p.finder_still_s,
        background_s=p.finder_background_s,
        look_every_s=p.finder_every_s,
    )


def watched_zones(
    zones: Sequence[Zone], params: RuleParams, zone_params: Mapping[str, RuleParams]
) -> tuple[WatchedZone, ...]:
    """The ``cable_watch`` and ``no_parking`` zones whose rules turn the finder on."""
    watched = []
    for zone in zones:
        wire = zone_params.get(zone.name, params).flying_wire
        if zone.kind in WATCHED_KINDS and wire.finder:
            watched.append(WatchedZone(zone, finder_params(wire)))
    return tuple(watched)


class CableFinding:
    """Runs the finder on the frames of one camera (nothing when no zone turns it on) and adds
    the cables it finds to the detector's. ``trusted``: the score a detection needs to start a
    track (a weaker detected cable does not hide a found one). Not thread-safe."""

    def __init__(self, watched: Sequence[WatchedZone], trusted: float):
        self.watched = tuple(watched)
        self._trusted = trusted
        self._state = CableFinderState()

    def add_found(self, frame: Frame, kinds: Detections) -> Detections:
        """``kinds`` (detections over our kinds for ``frame``) plus the cables found in it."""
        if not self.watched:
            return kinds
        found, self._state = find_cables(frame.image, frame.steady_ts, self.watched, self._state)
        return merge_found(kinds, found, self._trusted)

    def reset(self) -> None:
        """Forget the zones' backgrounds (they are learnt again from the next frame)."""
        self._state = CableFinderState()
