"""The dashboard's shed panel: each shed's spots as of its latest sample."""

from __future__ import annotations

from dataclasses import dataclass

from alerts.store import EventStore
from dashboard.i18n import Texts

STALE_AFTER_S = 300.0  # samples come at least every minute while the camera runs


@dataclass(frozen=True)
class ShedPanelRow:
    """One shed on the panel; ``key`` (``camera/shed``) names its series in ``/api/sheds``."""

    key: str
    name: str
    free: int
    total: int
    spots: tuple[tuple[str, str, str], ...]  # (name, css class, occupant text)
    stale: bool


def panel_rows(store: EventStore, texts: Texts, now: float) -> list[ShedPanelRow]:
    """Every shed's latest sample, by camera and shed name."""
    rows = []
    for s in store.sheds.current():
        spots = tuple(
            (
                spot.name,
                spot.occupant.value if spot.occupant else "free",
                texts(f"spot_{spot.occupant.value}" if spot.occupant else "spot_free"),
            )
            for spot in s.spots
        )
        rows.append(
            ShedPanelRow(
                key=f"{s.camera_id}/{s.shed}",
                name=f"{s.camera_name} · {s.shed}",
                free=s.free,
                total=s.total,
                spots=spots,
                stale=now - s.at > STALE_AFTER_S,
            )
        )
    return rows
