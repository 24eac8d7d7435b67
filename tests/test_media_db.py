"""Event media in the database (``storage.media: database``): what one node stored, another
node (its own media folder) shows and attaches; without it, only the node that wrote it can."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from alerts.errors import ClipMissing, SnapshotMissing
from alerts.fleet_models import EventMediaRow
from alerts.store import EventStore
from alerts.stored import CameraInfo
from tests.delivery_servers import PostgresServer, postgres_server  # noqa: F401
from tests.test_store import jpeg, record

MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(64)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fleet.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.new_database()


@pytest.mark.parametrize("in_database", [True, False])
def test_another_node_shows_the_snapshot_and_clip(
    database_url: str, tmp_path: Path, in_database: bool
) -> None:
    with (
        EventStore.open(database_url, tmp_path / "a", media_in_database=in_database) as a,
        EventStore.open(database_url, tmp_path / "b", media_in_database=in_database) as b,
    ):
        stored = a.record_raised(record(), CameraInfo("cam-3f", "x"), jpeg(100))
        a.record_update(stored.id, record(), jpeg(200))  # a better snapshot replaces it
        a.record_clip(stored.id, MP4)
        if not in_database:
            with pytest.raises(SnapshotMissing):
                b.snapshot_path(stored.id)
            with pytest.raises(ClipMissing):
                b.clip_path(stored.id)
            return
        assert b.snapshot_path(stored.id).read_bytes() == jpeg(200)
        assert b.clip_path(stored.id).read_bytes() == MP4
        b.snapshot_path(stored.id).unlink()
        b.fetch_media(stored.snapshot_path)  # an attachment, by its relative path
        assert (tmp_path / "b" / stored.snapshot_path).read_bytes() == jpeg(200)
        assert b.delete_events([stored.id]) == 1  # retention: the bytes go with the event
        with a.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(EventMediaRow)).scalar() == 0
