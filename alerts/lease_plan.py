"""Which camera leases a node renews, takes and gives back on one pass. Pure: explicit ``now``
(Unix seconds), no database.

Each camera is run by one node. A node keeps its cameras while it renews their leases; a lease
that ran out is free. A node takes free cameras up to its fair share of those it may run
(each camera counts 1/n for each of the n live nodes allowed to run it, rounded up), and any
camera left free for a whole lease (nobody else took it: never leave a camera blind). A node
above its share gives back one camera a pass, and only one it has held for a whole lease, so
cameras move gently and never back and forth.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LeaseView:
    """A lease as last read: its holder, fencing token and expiry (Unix seconds)."""

    holder: str | None
    token: int
    expires_at: float
    taken_at: float

    def free(self, now: float) -> bool:
        return self.holder is None or self.expires_at <= now


@dataclass(frozen=True)
class CameraSlot:
    """A camera and the nodes allowed to run it."""

    camera_id: str
    allowed: frozenset[str]


@dataclass(frozen=True)
class LeasePlan:
    """What to do on this pass, as camera ids (each sorted)."""

    renew: tuple[str, ...] = ()
    take: tuple[str, ...] = ()
    give_back: tuple[str, ...] = ()


def fair_share(me: str, cameras: Sequence[CameraSlot], live: frozenset[str]) -> int:
    """The cameras ``me`` should run: its part of each camera it may run, rounded up."""
    share = 0.0
    for slot in cameras:
        if me in slot.allowed:
            share += 1.0 / max(1, len(slot.allowed & (live | {me})))
    return math.ceil(share - 1e-9)


def plan_leases(
    me: str,
    cameras: Sequence[CameraSlot],
    leases: Mapping[str, LeaseView],
    live: frozenset[str],
    now: float,
    lease_s: float,
) -> LeasePlan:
    """One pass of ``me``: ``leases`` by camera id (absent: never taken); ``live`` the nodes
    whose heartbeat is recent."""
    mine = [s for s in cameras if me in s.allowed]
    held = sorted(
        s.camera_id
        for s in mine
        if (lease := leases.get(s.camera_id)) is not None
        and lease.holder == me
        and not lease.free(now)
    )
    target = fair_share(me, cameras, live)
    free = [s.camera_id for s in mine if _free(leases.get(s.camera_id), now)]
    long_free = [c for c in free if _free_since(leases.get(c), now) <= now - lease_s]
    room = max(0, target - len(held))
    take = sorted(set(free[:room]) | set(long_free))
    give_back: tuple[str, ...] = ()
    if not take and len(held) > target:
        settled = [c for c in held if leases[c].taken_at <= now - lease_s]
        give_back = tuple(settled[-1:])
    renew = tuple(c for c in held if c not in give_back)
    return LeasePlan(renew=renew, take=tuple(take), give_back=give_back)


def _free(lease: LeaseView | None, now: float) -> bool:
    return lease is None or lease.free(now)


def _free_since(lease: LeaseView | None, now: float) -> float:
    """Never taken counts as free from now: nodes starting together share them out."""
    return now if lease is None else lease.expires_at
