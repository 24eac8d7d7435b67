"""Slowing down password guessing: token buckets and per-key failure back-off.

Pure bookkeeping on an explicit clock (seconds); the caller holds the lock. Every table is
bounded: entries that no longer restrict anything are forgotten first, so guessed names and
spoofed addresses cannot pile up.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

MAX_TRACKED = 10_000  # keys per table; beyond this, the stalest are forgotten


class Throttled(Exception):
    """Too many tries: refused without checking the password; ``retry_after_s`` tells when."""

    def __init__(self, reason: str, retry_after_s: float):
        super().__init__(f"{reason}; try again in {retry_after_s:.0f} s")
        self.reason = reason
        self.retry_after_s = retry_after_s


def part_of(limit: float, processes: int) -> float:
    """One process's part of ``limit`` shared by ``processes`` serving the same port, rounded
    down (together never more than one process allowed) but at least 1."""
    return max(1.0, limit // processes)


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class TokenBuckets:
    """One token bucket per key: ``burst`` tries at once, then one every ``1 / rate`` seconds."""

    burst: float
    rate: float  # tokens per second
    _buckets: dict[Hashable, _Bucket] = field(default_factory=dict)

    @classmethod
    def part(cls, burst: float, rate: float, processes: int) -> TokenBuckets:
        """One process's part of ``burst`` and ``rate`` shared by ``processes``."""
        return cls(part_of(burst, processes), rate / processes)

    def take(self, key: Hashable, now: float) -> float:
        """Take one token for ``key``; 0.0 when taken, else the seconds until one is there."""
        bucket = self._buckets.get(key)
        if bucket is None:
            self._make_room(now)
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

    def _make_room(self, now: float) -> None:
        if len(self._buckets) < MAX_TRACKED:
            return
        full_after = self.burst / self.rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.at < full_after}
        while len(self._buckets) >= MAX_TRACKED:  # all busy: forget the stalest
            del self._buckets[min(self._buckets, key=lambda k: self._buckets[k].at)]


@dataclass
class _Failures:
    count: int
    last: float


@dataclass
class FailureBackoff:
    """Wrong tries per key: after ``free`` of them within ``window_s`` the key is locked for
    ``lock_s``, doubling with each further failure up to ``max_lock_s``; a success clears it."""

    free: int
    window_s: float
    lock_s: float
    max_lock_s: float
    _failures: dict[Hashable, _Failures] = field(default_factory=dict)

    def locked_for(self, key: Hashable, now: float) -> float:
        """Seconds until ``key`` may try again (0.0: now)."""
        entry = self._failures.get(key)
        if entry is None or entry.count < self.free:
            return 0.0
        return max(0.0, entry.last + self._lock(entry.count) - now)

    def failed(self, key: Hashable, now: float) -> None:
        entry = self._failures.get(key)
        if entry is not None and now - entry.last >= self._forget_after(entry.count):
            entry = None
        if entry is None:
            self._make_room(now)
            entry = self._failures[key] = _Failures(0, now)
        entry.count += 1
        entry.last = now

    def succeeded(self, key: Hashable) -> None:
        self._failures.pop(key, None)

    def tracked(self) -> int:
        return len(self._failures)

    def _lock(self, count: int) -> float:
        return min(self.max_lock_s, self.lock_s * 2 ** min(count - self.free, 32))

    def _forget_after(self, count: int) -> float:
        return max(self.window_s, self._lock(count)) if count >= self.free else self.window_s

    def _make_room(self, now: float) -> None:
        if len(self._failures) < MAX_TRACKED:
            return
        self._failures = {
            k: e for k, e in self._failures.items() if now - e.last < self._forget_after(e.count)
        }
        while len(self._failures) >= MAX_TRACKED:
            del self._failures[min(self._failures, key=lambda k: self._failures[k].last)]
