"""ObjectTracker (per-kind ByteTrack) on hand-built detections at low frame rates."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from vision.bytetrack import ByteTrackConfig
from vision.detections import Detections
from vision.kinds import KIND_NAMES
from vision.tracking import ObjectTracker

Row = tuple[str, tuple[float, float, float, float], float]


def dets(rows: Sequence[Row]) -> Detections:
    n = len(rows)
    return Detections(
        xyxy=np.array([r[1] for r in rows], np.float32).reshape(n, 4),
        confidence=np.array([r[2] for r in rows], np.float32),
        class_id=np.array([KIND_NAMES.index(r[0]) for r in rows], np.int32),
        class_names=KIND_NAMES,
    )


def box(cx: float, cy: float, w: float = 100, h: float = 80) -> tuple[float, float, float, float]:
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def ids_over(
    tracker: ObjectTracker, frames: Sequence[tuple[float, Sequence[Row]]]
) -> list[list[int]]:
    out = []
    for t, rows in frames:
        tracked = tracker.update(dets(rows), t)
        assert tracked.tracker_id is not None
        out.append([int(i) for i in tracked.tracker_id])
    return out


@pytest.mark.parametrize(
    ("step_px", "times"),
    [
        (5.0, [i * 0.5 for i in range(20)]),  # 2 fps, small motion
        (15.0, [i * 0.5 for i in range(20)]),  # walking pace at 2 fps
        (10.0, [0, 0.5, 1.0, 2.5, 3.0, 5.0, 5.5, 6.0, 8.0]),  # uneven timing, skipped frames
    ],
    ids=["slow", "walking", "uneven"],
)
def test_ids_are_kept_across_frames(step_px: float, times: list[float]) -> None:
    speed = step_px * 2  # pixels per second
    frames = [
        (t, [("ebike", box(100 + speed * t, 200), 0.9), ("ebike", box(500 - speed * t, 350), 0.8)])
        for t in times
    ]
    ids = ids_over(ObjectTracker(), frames)
    assert all(frame == ids[0] for frame in ids)
    assert len(set(ids[0])) == 2


def test_kinds_never_mix_when_a_person_walks_past_an_ebike() -> None:
    frames = []
    for i in range(16):
        t = i * 0.5
        person = ("person", box(200 + 20 * i, 210, w=60, h=170), 0.9)
        frames.append((t, [("ebike", box(350, 250, w=180, h=120), 0.85), person]))
    tracker = ObjectTracker()
    seen: dict[int, set[str]] = {}
    for t, rows in frames:
        tracked = tracker.update(dets(rows), t)
        assert tracked.tracker_id is not None
        for tid, label in zip(tracked.tracker_id, tracked.labels, strict=True):
            seen.setdefault(int(tid), set()).add(label)
    assert sorted(seen.values(), key=sorted) == [{"ebike"}, {"person"}]


def test_same_box_of_two_kinds_gets_two_ids() -> None:
    tracked = ObjectTracker().update(
        dets([("ebike", box(300, 300), 0.9), ("bicycle", box(300, 300), 0.9)]), 0.0
    )
    assert tracked.tracker_id is not None and len(set(tracked.tracker_id.tolist())) == 2


@pytest.mark.parametrize(("gap_s", "same_id"), [(3.0, True), (7.5, True), (12.0, False)])
def test_lost_tracks_wait_track_buffer_seconds(gap_s: float, same_id: bool) -> None:
    tracker = ObjectTracker(ByteTrackConfig(track_buffer_s=8.0))
    first = ids_over(
        tracker, [(0.0, [("ebike", box(300, 300), 0.9)]), (0.5, [("ebike", box(300, 300), 0.9)])]
    )
    tracker.update(dets([]), 1.0)
    (after,) = ids_over(tracker, [(0.5 + gap_s, [("ebike", box(302, 301), 0.9)])])
    assert (after == first[-1]) is same_id


def test_low_score_rows_extend_tracks_or_are_dropped() -> None:
    tracker = ObjectTracker()
    tracker.update(dets([("ebike", box(300, 300), 0.9)]), 0.0)
    tracked = tracker.update(
        dets([("ebike", box(303, 300), 0.3), ("ebike", box(100, 100), 0.3)]), 0.5
    )
    assert tracked.tracker_id is not None
    assert tracked.tracker_id.tolist() == [1]
    assert tracked.xyxy[0, 0] == pytest.approx(253)


def test_rows_keep_their_order_and_columns() -> None:
    rows: list[Row] = [
        ("person", box(100, 100), 0.7),
        ("cable", box(400, 100, w=200, h=20), 0.6),
        ("ebike", box(300, 300), 0.9),
    ]
    tracked = ObjectTracker().update(dets(rows), 0.0)
    assert tracked.labels == ["person", "cable", "ebike"]
    np.testing.assert_allclose(tracked.confidence, [0.7, 0.6, 0.9], rtol=1e-6)
    assert tracked.tracker_id is not None and tracked.tracker_id.dtype == np.int64
    assert sorted(tracked.tracker_id.tolist()) == [1, 2, 3]


def test_empty_frames_and_reset() -> None:
    tracker = ObjectTracker()
    assert len(tracker.update(Detections.empty(KIND_NAMES), 0.0)) == 0
    tracker.update(dets([("ebike", box(300, 300), 0.9)]), 0.5)
    tracker.reset()
    tracked = tracker.update(dets([("ebike", box(300, 300), 0.9)]), 1.0)
    assert tracked.tracker_id is not None and tracked.tracker_id.tolist() == [2]


def test_config_is_validated() -> None:
    with pytest.raises(ValueError):
        ByteTrackConfig(low_threshold=0.6, high_threshold=0.5)
    with pytest.raises(ValueError):
        ByteTrackConfig(frame_rate=0)


@pytest.mark.parametrize(
    ("scores", "tracked"),
    [
        ([0.37, 0.34, 0.36, 0.33], [1, 1, 1, 1]),  # hovering at the threshold: one object
        ([0.37, 0.2, 0.16, 0.5], [1, 1, 1, 1]),  # faint for a while, kept
        ([0.37, 0.1, 0.1, 0.1], [1, 0, 0, 0]),  # under track_confidence: lost
        ([0.34, 0.34, 0.34, 0.34], [0, 0, 0, 0]),  # never strong enough to start
    ],
)
def test_low_scores_keep_a_started_track(scores: list[float], tracked: list[int]) -> None:
    tracker = ObjectTracker(ByteTrackConfig.following(0.35, 2.0, low_confidence=0.15))
    counts = [
        len(tracker.update(dets([("ebike", box(200 + 3 * i, 150), s)]), i * 0.5))
        for i, s in enumerate(scores)
    ]
    assert counts == tracked


@pytest.mark.parametrize("confidence", [0.2, 0.35, 0.6])
def test_tracks_follow_the_configured_confidence(confidence: float) -> None:
    """A detection the detector reports (at or above its threshold) starts a track."""
    from vision.bytetrack import ByteTrackConfig

    tracker = ObjectTracker(ByteTrackConfig.following(confidence, frame_rate=2.0))
    dets = Detections(
        xyxy=np.array([[10, 10, 60, 90]], np.float32),
        confidence=np.array([confidence], np.float32),
        class_id=np.array([0], np.int32),
        class_names=KIND_NAMES,
    )
    assert len(tracker.update(dets, 0.0)) == 1
