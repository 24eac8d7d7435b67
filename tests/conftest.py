"""Shared fixtures. ``shared_dir``: third-party data beside the repository (may be absent);
``store``: an empty event store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.store import EventStore

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("STAIRWATCH_SHARED") or REPO_ROOT.parent / "shared")
"""``../shared``, or ``$STAIRWATCH_SHARED`` (a git worktree kept elsewhere)."""


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared``; tests using it skip cleanly when it is absent."""
    if not SHARED_DIR.is_dir():
        pytest.skip("../shared is absent (third-party test data is not shipped)")
    return SHARED_DIR


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EventStore]:
    """An empty SQLite event store with its media folder under ``tmp_path``."""
    s = EventStore.open(f"sqlite:///{tmp_path / 'events.db'}", tmp_path / "media")
    yield s
    s.close()
