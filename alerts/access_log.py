"""Who looked at what: the access log of the dashboard (migration ``0003_access_log``).

Snapshots and clips show residents, so a site must be able to say who saw them and when
(PIPL asks it of anyone processing personal images). The dashboard records sign-ins (and the
failed ones), sign-outs, and every view of a snapshot, a clip or a live picture; what operators
did to events is in each event's own trail (``event_actions``). A view repeated by the same
person within ``repeat_window_s`` (a page refresh, a video seeking by byte ranges, the live
view's reload every 2 s) is one entry. Times are float Unix seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, Float, Index, Integer, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from alerts.models import NAME_LEN, SHORT_LEN, Base
from alerts.store_db import transaction

ADDRESS_LEN = 64
REPEAT_WINDOW_S = 600.0
MAX_REMEMBERED_VIEWS = 10_000  # bounds the memory of recent views (then they log again)


class AccessAction(StrEnum):
    SIGNED_IN = "signed_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_IN_LOCKED = "sign_in_locked"  # refused: too many wrong passwords
    SIGNED_OUT = "signed_out"
    VIEWED_SNAPSHOT = "viewed_snapshot"
    VIEWED_CLIP = "viewed_clip"
    VIEWED_LIVE = "viewed_live"
    VIEWED_TRAINING = "viewed_training"  # an unredacted frame kept to learn from
    PURGED = "purged"  # a deletion request carried out (target: what, and how many rows/files)
    VIEWED_PHOTO = "viewed_photo"  # the photo a patroller resolved an event with
    MODEL_PROMOTED = "model_promoted"  # `stairwatch model promote`: target is the model file
    MODEL_ROLLED_BACK = "model_rolled_back"  # `stairwatch model rollback`


# Logged once per person and target within the repeat window: views, and sign-ins refused while
# a name is locked (a script hammering one name writes one line, not thousands).
ONCE_PER_WINDOW = frozenset(
    {
        AccessAction.VIEWED_SNAPSHOT,
        AccessAction.VIEWED_CLIP,
        AccessAction.VIEWED_LIVE,
        AccessAction.VIEWED_TRAINING,
        AccessAction.VIEWED_PHOTO,
        AccessAction.SIGN_IN_LOCKED,
    }
)


class AccessEntry(BaseModel):
    """One line of the access log. ``actor`` is a user name, ``patrol-link`` for a patroller's
    signed link, or ``-`` when the dashboard has no sign-in; ``target`` an event or camera id."""

    model_config = ConfigDict(frozen=True)

    at: float
    actor: str
    action: AccessAction
    target: str | None = None
    address: str | None = None


class AccessRow(Base):
    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(NAME_LEN))
    action: Mapped[str] = mapped_column(String(SHORT_LEN))
    target: Mapped[str | None] = mapped_column(String(NAME_LEN))
    address: Mapped[str | None] = mapped_column(String(ADDRESS_LEN))

    __table_args__ = (Index("ix_access_log_at", "at"), Index("ix_access_log_actor", "actor"))


def is_repeat(last_at: float | None, now: float, window_s: float) -> bool:
    """A view seen from the same person within ``window_s`` is not logged again."""
    return last_at is not None and 0.0 <= now - last_at < window_s


class AccessLog:
    """Writes and reads the access log. Thread-safe."""

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], float] = time.time,
        repeat_window_s: float = REPEAT_WINDOW_S,
    ) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock
        self._window_s = repeat_window_s
        self._last_views: dict[tuple[str, AccessAction, str | None], float] = {}
        self._lock = threading.Lock()

    def record(
        self,
        actor: str,
        action: AccessAction,
        target: str | None = None,
        address: str | None = None,
    ) -> bool:
        """Add one entry; False when it repeats a recent view (nothing written)."""
        now = self._clock()
        if action in ONCE_PER_WINDOW and not self._first_view((actor, action, target), now):
            return False
        row = AccessRow(
            at=now,
            actor=actor[:NAME_LEN],
            action=action.value,
            target=None if target is None else target[:NAME_LEN],
            address=None if address is None else address[:ADDRESS_LEN],
        )
        with transaction(self._sessions, "access log ") as session:
            session.add(row)
        return True

    def entries(
        self,
        limit: int = 200,
        offset: int = 0,
        actor: str | None = None,
        action: AccessAction | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> list[AccessEntry]:
        """Newest first."""
        query = select(AccessRow).order_by(AccessRow.at.desc(), AccessRow.id.desc())
        if actor is not None:
            query = query.where(AccessRow.actor == actor)
        if action is not None:
            query = query.where(AccessRow.action == action.value)
        if since is not None:
            query = query.where(AccessRow.at >= since)
        if until is not None:
            query = query.where(AccessRow.at < until)
        with transaction(self._sessions, "access log ") as session:
            rows = session.scalars(query.limit(limit).offset(offset)).all()
        return [_to_entry(r) for r in rows]

    def purge(self, before: float) -> int:
        """Delete entries older than ``before``; returns how many."""
        with transaction(self._sessions, "access log ") as session:
            result = session.execute(delete(AccessRow).where(AccessRow.at < before))
        return int(getattr(result, "rowcount", 0))

    def _first_view(self, key: tuple[str, AccessAction, str | None], now: float) -> bool:
        with self._lock:
            if is_repeat(self._last_views.get(key), now, self._window_s):
                return False
            if len(self._last_views) >= MAX_REMEMBERED_VIEWS:
                self._last_views.clear()
            self._last_views[key] = now
            return True


def _to_entry(row: AccessRow) -> AccessEntry:
    return AccessEntry(
        at=row.at,
        actor=row.actor,
        action=AccessAction(row.action),
        target=row.target,
        address=row.address,
    )
