"""A fleet's health in the store's database, for the control room: each node publishes its
cameras' health and its problems with its heartbeat (one short transaction, never on the
inference path); any process reads them back. Times are Unix seconds.

A camera's row is keyed by the camera alone: the node that runs it now overwrites what the
node before it published. A node's problems are replaced as a whole at each publish.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from alerts.errors import StoreError
from alerts.fleet_models import CameraHealthRow, NodeProblemRow
from alerts.models import NAME_LEN
from alerts.store_db import transaction


@dataclass(frozen=True)
class CameraReport:
    """One camera's health as its node sees it; ``last_frame_age_s`` as of the publish,
    ``last_error`` already scrubbed of credentials."""

    camera_id: str
    name: str
    building: str
    floor: str
    state: str
    fps: float
    last_frame_age_s: float | None
    frames_dropped: int
    reconnects: int
    detections_run: int
    detections_skipped: int
    detector_errors: int
    detections_per_s: float | None
    due_share: float | None
    last_error: str | None


@dataclass(frozen=True)
class ProblemReport:
    """One health problem of a node: ``subject`` (``camera lift-1``) and what is wrong."""

    subject: str
    message: str


@dataclass(frozen=True)
class NodeReport:
    """What a node publishes with its heartbeat: the cameras it runs and its problems."""

    cameras: tuple[CameraReport, ...]
    problems: tuple[ProblemReport, ...]


@dataclass(frozen=True)
class PublishedCamera:
    """A camera's report as stored: by ``node_id`` at ``updated_at``."""

    report: CameraReport
    node_id: str
    updated_at: float


@dataclass(frozen=True)
class PublishedProblem:
    """A node's problem as stored, published at ``updated_at``."""

    node_id: str
    problem: ProblemReport
    updated_at: float


class FleetHealthStore:
    """Published camera health and node problems in the store's database. Thread-safe."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def publish(self, node_id: str, report: NodeReport, now: float) -> None:
        """Store ``report`` as ``node_id``'s at ``now``: its cameras' rows (whoever published
        them before) and its problems (replacing the ones it published before)."""
        try:
            with self._transaction() as session:
                _write_cameras(session, node_id, report.cameras, now)
                session.execute(delete(NodeProblemRow).where(NodeProblemRow.node_id == node_id))
                session.add_all(_problem_rows(node_id, report.problems, now))
        except StoreError as exc:
            if not isinstance(exc.__cause__, IntegrityError):
                raise
            # Another node published the same camera's first row meanwhile: the next pass wins.

    def cameras(self) -> list[PublishedCamera]:
        """Every published camera, by camera id."""
        query = select(CameraHealthRow).order_by(CameraHealthRow.camera_id)
        with self._transaction() as session:
            return [_published(row) for row in session.scalars(query)]

    def problems(self) -> list[PublishedProblem]:
        """Every node's published problems, by node and their order."""
        query = select(NodeProblemRow).order_by(NodeProblemRow.node_id, NodeProblemRow.seq)
        with self._transaction() as session:
            return [
                PublishedProblem(r.node_id, ProblemReport(r.subject, r.message), r.updated_at)
                for r in session.scalars(query)
            ]

    def _transaction(self) -> AbstractContextManager[Session]:
        return transaction(self._sessions, "fleet health ")


_REPORT_COLUMNS = tuple(f for f in CameraReport.__dataclass_fields__ if f != "camera_id")


def _write_cameras(
    session: Session, node_id: str, cameras: Sequence[CameraReport], now: float
) -> None:
    ids = [c.camera_id for c in cameras]
    rows = {
        r.camera_id: r
        for r in session.scalars(select(CameraHealthRow).where(CameraHealthRow.camera_id.in_(ids)))
    }
    for camera in cameras:
        values = {**asdict(camera), "node_id": node_id, "updated_at": now}
        row = rows.get(camera.camera_id)
        if row is None:
            session.add(CameraHealthRow(**values))
            continue
        for column, value in values.items():
            setattr(row, column, value)


def _problem_rows(
    node_id: str, problems: Sequence[ProblemReport], now: float
) -> list[NodeProblemRow]:
    return [
        NodeProblemRow(
            node_id=node_id,
            seq=seq,
            subject=p.subject[:NAME_LEN],
            message=p.message,
            updated_at=now,
        )
        for seq, p in enumerate(problems)
    ]


def _published(row: CameraHealthRow) -> PublishedCamera:
    values = {column: getattr(row, column) for column in _REPORT_COLUMNS}
    return PublishedCamera(CameraReport(camera_id=row.camera_id, **values), row.node_id,
                           row.updated_at)  # fmt: skip
