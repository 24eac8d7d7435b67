"""The fleet's shared state in the store's database: the node registry (heartbeats) and leases
with fencing tokens. Every method is one short transaction with an explicit ``now`` (Unix
seconds); the decisions are in :mod:`alerts.lease_plan`, the thread in the runtime.

A lease changes holder only by a conditional update of a free row (``expires_at <= now``),
which bumps its ``token``; two nodes racing for it both run the update and only one row
changes. A write fenced by a :class:`Fence` checks, inside its own transaction and holding the
lease row (``FOR SHARE`` on PostgreSQL), that the holder and token still match and the lease
has not run out: a node that lost a camera cannot write for it any more.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from alerts.errors import LeaseLost, StoreError
from alerts.fleet_models import LeaseRow, NodeRow
from alerts.lease_plan import LeaseView
from alerts.store_db import transaction

CAMERA_PREFIX = "camera:"
JOB_PREFIX = "job:"


def camera_lease(camera_id: str) -> str:
    """The lease name of a camera."""
    return CAMERA_PREFIX + camera_id


@dataclass(frozen=True)
class Fence:
    """What a write for a camera must still hold: the lease ``name`` by ``holder`` at ``token``."""

    name: str
    holder: str
    token: int


@dataclass(frozen=True)
class NodeInfo:
    """A node as registered: its last heartbeat and start, Unix seconds."""

    id: str
    site: str
    version: str
    started_at: float
    heartbeat_at: float


class FleetStore:
    """Nodes and leases in the store's database. Thread-safe."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # -- nodes --------------------------------------------------------------------------------

    def register(self, node_id: str, site: str, version: str, now: float) -> None:
        """Add the node, or mark it started again (same id: the same node, restarted)."""
        with self._transaction() as session:
            row = session.get(NodeRow, node_id)
            if row is None:
                session.add(NodeRow(id=node_id, site=site, version=version, started_at=now,
                                    heartbeat_at=now))  # fmt: skip
            else:
                row.site, row.version, row.started_at, row.heartbeat_at = site, version, now, now

    def heartbeat(self, node_id: str, now: float) -> None:
        with self._transaction() as session:
            session.execute(update(NodeRow).where(NodeRow.id == node_id).values(heartbeat_at=now))

    def nodes(self) -> list[NodeInfo]:
        """Every registered node, by id."""
        with self._transaction() as session:
            rows = session.scalars(select(NodeRow).order_by(NodeRow.id)).all()
            return [NodeInfo(r.id, r.site, r.version, r.started_at, r.heartbeat_at) for r in rows]

    # -- leases -------------------------------------------------------------------------------

    def leases(self, names: Iterable[str] | None = None) -> dict[str, LeaseView]:
        """Leases by name (all of them when ``names`` is None)."""
        query = select(LeaseRow)
        if names is not None:
            query = query.where(LeaseRow.name.in_(list(names)))
        with self._transaction() as session:
            return {
                r.name: LeaseView(r.holder, r.token, r.expires_at, r.taken_at)
                for r in session.scalars(query).all()
            }

    def ensure(self, names: Iterable[str], now: float) -> None:
        """Create the leases not seen before, free (so a lease nobody takes counts as free
        from its first sighting)."""
        wanted = list(names)
        try:
            with self._transaction() as session:
                query = select(LeaseRow.name).where(LeaseRow.name.in_(wanted))
                known = set(session.scalars(query))
                for name in wanted:
                    if name not in known:
                        session.add(LeaseRow(name=name, holder=None, token=0, expires_at=now,
                                             taken_at=now))  # fmt: skip
        except StoreError as exc:
            if not isinstance(exc.__cause__, IntegrityError):
                raise
            # Another node created one of them meanwhile: the rows are there all the same.

    def take(self, name: str, holder: str, now: float, lease_s: float) -> int | None:
        """Take the lease if it is free; the new fencing token, or None if someone has it."""
        with self._transaction() as session:
            result = session.execute(
                update(LeaseRow)
                .where(LeaseRow.name == name, LeaseRow.expires_at <= now)
                .values(
                    holder=holder,
                    token=LeaseRow.token + 1,
                    expires_at=now + lease_s,
                    taken_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if not getattr(result, "rowcount", 0):
                return None
            return int(session.scalar(select(LeaseRow.token).where(LeaseRow.name == name)) or 0)

    def renew(self, fence: Fence, now: float, lease_s: float) -> bool:
        """Extend a lease still held (not run out); False when it was lost."""
        with self._transaction() as session:
            result = session.execute(
                update(LeaseRow)
                .where(*_held(fence, now))
                .values(expires_at=now + lease_s)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))

    def give_back(self, fence: Fence, now: float) -> None:
        """Free a lease at once (for another node to take)."""
        with self._transaction() as session:
            session.execute(
                update(LeaseRow)
                .where(*_held(fence, None))
                .values(expires_at=now)
                .execution_options(synchronize_session=False)
            )

    def claim_job(self, job: str, holder: str, now: float, hold_s: float) -> bool:
        """Whether ``holder`` runs the fleet-wide job ``job`` now: it holds the job's lease (kept
        for ``hold_s`` more) or took it, free. One node runs each scheduled job (a group's
        digest, the escalations) while it lives; another takes over ``hold_s`` after it died."""
        name = JOB_PREFIX + job
        self.ensure([name], now)
        with self._transaction() as session:
            result = session.execute(
                update(LeaseRow)
                .where(LeaseRow.name == name, LeaseRow.holder == holder, LeaseRow.expires_at > now)
                .values(expires_at=now + hold_s)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0):
                return True
        return self.take(name, holder, now, hold_s) is not None

    def _transaction(self) -> AbstractContextManager[Session]:
        return transaction(self._sessions, "fleet ")


def check_fence(session: Session, fence: Fence, now: float) -> None:
    """Raise :class:`LeaseLost` unless ``fence`` still holds; keeps the lease row locked
    (shared) until ``session`` commits, so the lease cannot change hands mid-write."""
    query = select(LeaseRow.name).where(*_held(fence, now)).with_for_update(read=True)
    if session.scalar(query) is None:
        raise LeaseLost(f"lease {fence.name} (token {fence.token}) is no longer held by "
                        f"{fence.holder}: write refused")  # fmt: skip


def _held(fence: Fence, now: float | None) -> list[ColumnElement[bool]]:
    """The lease row as ``fence`` names it, and (given ``now``) not run out."""
    same = [
        LeaseRow.name == fence.name,
        LeaseRow.holder == fence.holder,
        LeaseRow.token == fence.token,
    ]
    return same if now is None else [*same, LeaseRow.expires_at > now]
