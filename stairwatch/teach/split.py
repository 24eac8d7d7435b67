"""Train / validation split by camera and time, so near-duplicate frames never straddle it.

Per camera, events are grouped into *runs*: a new run starts when the camera had no event for
``gap_s`` seconds. Frames of one run (a bike parked all afternoon, raised again and again) are
near-duplicates; whole runs go to one side, the latest ``val_share`` of each camera's runs to
validation (what a model will meet next), so a model is measured on later footage than it
learnt from. Pure functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from stairwatch.teach.errors import ExportError


class Split(StrEnum):
    TRAIN = "train"
    VAL = "val"


@dataclass(frozen=True)
class Timed:
    """An event to place: its id, camera and alert time (Unix seconds)."""

    event_id: str
    camera_id: str
    alert_ts: float


def runs(events: Sequence[Timed], gap_s: float) -> list[list[Timed]]:
    """One camera's events (any order) grouped into runs, oldest first."""
    ordered = sorted(events, key=lambda e: (e.alert_ts, e.event_id))
    grouped: list[list[Timed]] = []
    for event in ordered:
        if grouped and event.alert_ts - grouped[-1][-1].alert_ts < gap_s:
            grouped[-1].append(event)
        else:
            grouped.append([event])
    return grouped


def split_events(events: Sequence[Timed], gap_s: float, val_share: float) -> dict[str, Split]:
    """Event id -> side. A camera with one run trains only; of a camera with more, the latest
    ``val_share`` of its runs (rounded, at least one, never all) validate.

    Raises :class:`ExportError` when either side would be empty."""
    if gap_s <= 0 or not 0 < val_share < 1:
        raise ExportError(f"need gap_s > 0 and 0 < val_share < 1, got {gap_s}, {val_share}")
    sides: dict[str, Split] = {}
    for camera in sorted({e.camera_id for e in events}):
        camera_runs = runs([e for e in events if e.camera_id == camera], gap_s)
        n_val = min(max(1, round(val_share * len(camera_runs))), len(camera_runs) - 1)
        for index, run in enumerate(camera_runs):
            side = Split.VAL if index >= len(camera_runs) - n_val else Split.TRAIN
            sides.update((e.event_id, side) for e in run)
    for side in Split:
        if side not in sides.values():
            raise ExportError(
                f"no reviewed event for the {side.value} side: {len(sides)} events make too few "
                f"runs (events of one camera more than {gap_s / 60:g} minutes apart; "
                "review more events, or give a smaller --gap-minutes)"
            )
    return sides
