"""What every rule needs to know about its camera besides the frame."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo

from alerts.params import RuleParams
from vision.zones import Zone, ZoneKind


@dataclass(frozen=True)
class RuleContext:
    """A camera's zones and parameters.

    Attributes:
        camera_id: the camera.
        zones: its zones, in configuration order (the order breaks ties between zones).
        params: the camera's parameters.
        zone_params: per-zone parameters by zone name; zones not listed use ``params``.
        tz: the site's time zone, for schedules (None: the machine's local time).
    """

    camera_id: str
    zones: tuple[Zone, ...]
    params: RuleParams
    zone_params: Mapping[str, RuleParams] = field(default_factory=dict)
    tz: tzinfo | None = None

    def for_zone(self, zone: str | None) -> RuleParams:
        """Parameters that hold in ``zone`` (the camera's for None or an unlisted zone)."""
        if zone is None:
            return self.params
        return self.zone_params.get(zone, self.params)

    def zones_of(self, *kinds: ZoneKind) -> tuple[Zone, ...]:
        return tuple(z for z in self.zones if z.kind in kinds)

    def all_params(self) -> tuple[RuleParams, ...]:
        """The camera's parameters and every zone's, for bounds such as the longest clear time."""
        return (self.params, *self.zone_params.values())
