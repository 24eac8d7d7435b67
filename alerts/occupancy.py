"""How full the sheds are, over time (migration ``0008``): one row per shed per sample.

The rules say which charging spots are taken on every frame (:mod:`alerts.rules.shed_spots`);
storing every frame would be thousands of rows an hour for nothing, so a shed is sampled when
its spots change and otherwise every ``every_s`` (:func:`due_samples`, pure, decided on the
inference thread without I/O); the recorder thread writes the samples (:class:`OccupancyLog`).
Times are float Unix seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, Engine, Float, Index, Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from alerts.models import NAME_LEN, Base
from alerts.rules.shed_spots import ShedOccupancy
from alerts.store_db import transaction
from vision.kinds import ObjectKind

SAMPLE_EVERY_S = 60.0
MAX_HISTORY_ROWS = 20_000  # a week of one shed sampled every minute is about 10 000


class ShedSampleRow(Base):
    __tablename__ = "shed_samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Float)
    camera_id: Mapped[str] = mapped_column(String(NAME_LEN))
    camera_name: Mapped[str] = mapped_column(String(NAME_LEN))
    building: Mapped[str] = mapped_column(String(NAME_LEN))
    shed: Mapped[str] = mapped_column(String(NAME_LEN))
    total: Mapped[int] = mapped_column(Integer)
    free: Mapped[int] = mapped_column(Integer)
    ebikes: Mapped[int] = mapped_column(Integer)
    spots: Mapped[dict[str, str | None]] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_shed_samples_at", "at"),
        Index("ix_shed_samples_camera_id", "camera_id"),
    )


class SpotNow(BaseModel):
    """One spot: ``occupant`` ``ebike``, ``bicycle`` or None (free)."""

    model_config = ConfigDict(frozen=True)

    name: str
    occupant: ObjectKind | None


class ShedSample(BaseModel):
    """One shed at one moment, as stored."""

    model_config = ConfigDict(frozen=True)

    at: float
    camera_id: str
    camera_name: str
    building: str
    shed: str
    total: int
    free: int
    ebikes: int
    spots: tuple[SpotNow, ...]


@dataclass(frozen=True)
class ShedPlace:
    """Where a camera's sheds are, as the samples name them."""

    camera_id: str
    camera_name: str
    building: str


def due_samples(
    last: Mapping[str, tuple[float, ShedOccupancy]],
    sheds: Sequence[ShedOccupancy],
    now: float,
    every_s: float = SAMPLE_EVERY_S,
) -> list[ShedOccupancy]:
    """The sheds to sample at ``now`` given the ``last`` sample of each (shed name -> (time,
    occupancy)): a shed never sampled, changed since, or last sampled ``every_s`` ago."""
    due = []
    for shed in sheds:
        previous = last.get(shed.shed)
        if previous is None or previous[1] != shed or now - previous[0] >= every_s:
            due.append(shed)
    return due


class OccupancyLog:
    """Writes and reads the shed samples. Thread-safe (one session per call)."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock

    def record(self, place: ShedPlace, sheds: Sequence[ShedOccupancy], at: float) -> None:
        rows = [
            ShedSampleRow(
                at=at,
                camera_id=place.camera_id[:NAME_LEN],
                camera_name=place.camera_name[:NAME_LEN],
                building=place.building[:NAME_LEN],
                shed=shed.shed[:NAME_LEN],
                total=shed.total,
                free=shed.free,
                ebikes=sum(s.occupant is ObjectKind.EBIKE for s in shed.spots),
                spots={s.name: s.occupant.value if s.occupant else None for s in shed.spots},
            )
            for shed in sheds
        ]
        with transaction(self._sessions, "shed samples ") as session:
            session.add_all(rows)

    def current(self) -> list[ShedSample]:
        """The latest sample of every shed, by camera and shed name."""
        latest = (
            select(
                ShedSampleRow.camera_id,
                ShedSampleRow.shed,
                func.max(ShedSampleRow.id).label("last_id"),
            )
            .group_by(ShedSampleRow.camera_id, ShedSampleRow.shed)
            .subquery()
        )
        query = (
            select(ShedSampleRow)
            .join(latest, ShedSampleRow.id == latest.c.last_id)
            .order_by(ShedSampleRow.camera_id, ShedSampleRow.shed)
        )
        with transaction(self._sessions, "shed samples ") as session:
            return [_sample(r) for r in session.scalars(query).all()]

    def history(self, since: float, until: float | None = None) -> list[ShedSample]:
        """Samples from ``since`` to ``until`` (now), oldest first; at most the newest
        :data:`MAX_HISTORY_ROWS`."""
        end = self._clock() if until is None else until
        query = (
            select(ShedSampleRow)
            .where(ShedSampleRow.at >= since, ShedSampleRow.at < end)
            .order_by(ShedSampleRow.at.desc(), ShedSampleRow.id.desc())
            .limit(MAX_HISTORY_ROWS)
        )
        with transaction(self._sessions, "shed samples ") as session:
            rows = session.scalars(query).all()
        return [_sample(r) for r in reversed(rows)]

    def purge(self, before: float) -> int:
        """Delete samples older than ``before``; returns how many."""
        with transaction(self._sessions, "shed samples ") as session:
            result = session.execute(delete(ShedSampleRow).where(ShedSampleRow.at < before))
        return int(getattr(result, "rowcount", 0))


def _sample(row: ShedSampleRow) -> ShedSample:
    return ShedSample(
        at=row.at,
        camera_id=row.camera_id,
        camera_name=row.camera_name,
        building=row.building,
        shed=row.shed,
        total=row.total,
        free=row.free,
        ebikes=row.ebikes,
        spots=tuple(SpotNow(name=k, occupant=v) for k, v in row.spots.items()),
    )
