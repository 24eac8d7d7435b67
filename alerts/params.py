"""Rule parameters: validated defaults, overridable per camera and per zone."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EbikeParkedParams(_Params):
    dwell_s: float = Field(60.0, gt=0, description="seconds at rest in a no_parking zone before alerting")
    remind_after_s: float | None = Field(
        None, gt=0, description="remind every this many seconds while still there and unresolved"
    )
    clear_after_s: float = Field(10.0, gt=0, description="gone this long means it left")
    max_speed: float = Field(
        0.15, gt=0, description="at rest: anchor moves under this many box heights per second"
    )


class EbikeInElevatorParams(_Params):
    min_s: float = Field(1.0, ge=0, description="seconds in an elevator zone before the alert")
    clear_after_s: float = Field(5.0, gt=0)


class FlyingWireParams(_Params):
    persist_s: float = Field(10.0, gt=0, description="seconds a cable must stay before alerting")
    clear_after_s: float = Field(10.0, gt=0)


class CameraTamperedParams(_Params):
    after_s: float = Field(10.0, gt=0, description="seconds blocked, blurred or moved before alerting")


class RuleParams(_Params):
    """Every rule's parameters. Missing sections take their defaults."""

    ebike_parked: EbikeParkedParams = EbikeParkedParams()
    ebike_in_elevator: EbikeInElevatorParams = EbikeInElevatorParams()
    flying_wire: FlyingWireParams = FlyingWireParams()
    camera_tampered: CameraTamperedParams = CameraTamperedParams()

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


class EbikeInElevatorOverride(_Override):
    min_s: float | None = Field(None, ge=0)
    clear_after_s: float | None = Field(None, gt=0)


class FlyingWireOverride(_Override):
    persist_s: float | None = Field(None, gt=0)
    clear_after_s: float | None = Field(None, gt=0)


class CameraTamperedOverride(_Override):
    after_s: float | None = Field(None, gt=0)


class RuleParamsOverride(_Override):
    """Per-camera or per-zone overrides: only the fields given replace the defaults."""

    ebike_parked: EbikeParkedOverride | None = None
    ebike_in_elevator: EbikeInElevatorOverride | None = None
    flying_wire: FlyingWireOverride | None = None
    camera_tampered: CameraTamperedOverride | None = None
