"""Training material (issue 15, item 2): each event keeps a few unredacted frames, admins alone
may fetch them, and retention removes them after ``storage.training_days`` (the event stays)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alerts.access_log import AccessAction
from alerts.errors import TrainingFrameMissing
from alerts.media import MAX_TRAINING_FRAMES
from alerts.store import EventStore
from stairwatch.config import StorageConfig
from stairwatch.media.retention_job import run_retention
from tests.test_dashboard_security import add_event, basic, make_app
from tests.web import LOCAL

DAY = 86_400.0


def frame_bytes(n: int) -> bytes:
    return b"\xff\xd8\xff" + bytes([n]) * 16 + b"\xff\xd9"


@pytest.mark.parametrize(
    ("offered", "kept"),
    [
        (1, 1),
        (MAX_TRAINING_FRAMES, MAX_TRAINING_FRAMES),
        (MAX_TRAINING_FRAMES + 3, MAX_TRAINING_FRAMES),
    ],
)
def test_a_few_frames_per_event(store: EventStore, offered: int, kept: int) -> None:
    event_id = add_event(store)  # keeps one frame already
    results = [store.record_training_frame(event_id, frame_bytes(n)) for n in range(offered - 1)]
    assert results.count(True) == kept - 1
    assert store.get(event_id).training_frames == kept
    for index in range(1, kept - 1):
        assert store.training_frame_path(event_id, index).read_bytes() == frame_bytes(index - 1)
    if offered > 1:  # the last kept frame is the latest picture (the snapshot's), even past it
        assert store.training_frame_path(event_id, kept - 1).read_bytes() == frame_bytes(
            offered - 2
        )
    with pytest.raises(TrainingFrameMissing):
        store.training_frame_path(event_id, kept)


def test_retention_removes_old_frames_but_keeps_the_event(store: EventStore) -> None:
    old, new = add_event(store), add_event(store)
    folder = store.training_frame_path(old, 0).parent
    storage = StorageConfig(data_dir=Path("unused"), training_days=2, retention_days=30)
    assert run_retention(store, storage, clock=lambda: time.time() + 1.5 * DAY) is not None
    assert store.get(old).training_frames == 1  # not yet 2 days old
    run_retention(store, storage, clock=lambda: time.time() + 2.5 * DAY)
    assert [store.get(i).training_frames for i in (old, new)] == [0, 0]
    assert not folder.exists()
    assert store.snapshot_path(old).is_file()


def test_deleting_an_event_deletes_its_frames(store: EventStore) -> None:
    event_id = add_event(store)
    folder = store.training_frame_path(event_id, 0).parent
    assert store.delete_events([event_id]) == 1
    assert not folder.exists()


@pytest.mark.parametrize(("who", "code"), [("vera", 403), ("otto", 403), ("ada", 200)])
def test_admins_alone_fetch_frames_and_it_is_logged(store: EventStore, who: str, code: int) -> None:
    event_id = add_event(store)
    with TestClient(make_app(store), base_url=LOCAL) as client:
        response = client.get(f"/api/events/{event_id}/training/0.jpg", headers=basic(who))
        assert response.status_code == code
        assert (
            client.get(f"/api/events/{event_id}/training/1.jpg", headers=basic("ada")).status_code
            == 404
        )
        assert (
            client.get(f"/api/events/{event_id}/training/99.jpg", headers=basic("ada")).status_code
            == 422
        )
    viewed = [e for e in store.access.entries() if e.action is AccessAction.VIEWED_TRAINING]
    assert [(e.actor, e.target) for e in viewed] == ([(who, event_id)] if code == 200 else [])
