"""The real-footage teach round's pure parts: cameras, the first-week split, and the verdict an
operator who knows the truth gives each alert (``python -m lab.teach_round``)."""

from __future__ import annotations

import pytest

from alerts.events import EventType
from alerts.reviews import FalseAlarmReason, Verdict
from lab.teach_round.cameras import Camera, first_week, group_cameras, source_key
from lab.teach_round.verdicts import (
    Origin,
    SiteEvent,
    clip_events,
    false_alarm_reason,
    nearest_labelled,
)
from stairwatch.evaluation.metrics import ClipResult, PredictedOut, TruthOut
from stairwatch.evaluation.sidecar import SidecarBox
from vision.kinds import ObjectKind

MOT = "data/modes_of_transport/valid/images"


@pytest.mark.parametrize(
    ("source", "camera"),
    [
        (f"{MOT}/IMG-20240615-WA0018_jpg.rf.7df6cdf124ac66016f541ed1b22d68b7.jpg",
         "photo-IMG-20240615-WA0018"),
        ("data/modes_of_transport/test/images/IMG-20240615-WA0018_jpg.rf.00aa.jpg",
         "photo-IMG-20240615-WA0018"),  # another copy of the same photo
        ("data/cctv_people/valid/images/1-11-_jpg.rf.3d4ea87066cbaecb0fb6623df0f855ed.jpg",
         "cctv-1"),
        ("data/cctv_people/valid/images/3-98-_jpg.rf.3d4e.jpg", "cctv-3"),
        ("clips/intel/car-detection.mp4", "intel-car-detection"),
        ("clips/intel/previews/car-detection.gif", "intel-car-detection"),
        (f"{MOT}/WhatsApp Image (2)_jpg.rf.ab12.jpg", "photo-WhatsApp_Image__2_"),
    ],
)  # fmt: skip
def test_a_source_belongs_to_the_camera_that_took_it(source: str, camera: str) -> None:
    assert source_key(source) == camera


@pytest.mark.parametrize(
    ("sources", "cameras"),
    [
        ({"a": ["x/p1_jpg.rf.1.jpg"], "b": ["x/p2_jpg.rf.2.jpg"]},
         [Camera("photo-p1", ("a",)), Camera("photo-p2", ("b",))]),
        ({"cable_p1": ["x/p1_jpg.rf.1.jpg"], "mot_p1": ["y/p1_jpg.rf.9.jpg"]},
         [Camera("photo-p1", ("cable_p1", "mot_p1"))]),
        ({"a": ["x/p1.jpg", "x/p2.jpg"], "b": ["x/p2.jpg", "x/p3.jpg"], "c": ["x/p3.jpg"]},
         [Camera("photo-p1", ("a", "b", "c"))]),  # shared sources chain into one camera
        ({"p": ["data/cctv_people/valid/images/2-1-_jpg.rf.1.jpg"],
          "q": ["data/cctv_people/valid/images/2-7-_jpg.rf.2.jpg"]},
         [Camera("cctv-2", ("p", "q"))]),
    ],
)  # fmt: skip
def test_clips_sharing_a_source_are_one_camera(
    sources: dict[str, list[str]], cameras: list[Camera]
) -> None:
    assert group_cameras(sources) == cameras


def _cameras(sizes: list[int]) -> list[Camera]:
    return [Camera(f"cam{i}", tuple(f"c{i}_{j}" for j in range(n))) for i, n in enumerate(sizes)]


@pytest.mark.parametrize(
    ("sizes", "share", "seed"),
    [([1] * 10, 0.4, 0), ([1] * 10, 0.4, 1), ([3, 1, 1, 5, 2, 1, 1], 0.4, 0),
     ([20, 1, 1, 1], 0.3, 0), ([2] * 50, 0.25, 7)],
)  # fmt: skip
def test_the_first_week_holds_whole_cameras_and_just_reaches_its_share(
    sizes: list[int], share: float, seed: int
) -> None:
    cameras = _cameras(sizes)
    chosen = first_week(cameras, share, seed)
    clips = sum(len(c.clips) for c in chosen)
    assert clips >= share * sum(sizes)
    assert any(clips - len(c.clips) < share * sum(sizes) for c in chosen)  # the last one taken
    assert set(chosen) <= set(cameras) and len(chosen) < len(cameras)
    assert first_week(cameras, share, seed) == chosen  # the same split every time


def test_the_seed_picks_other_cameras() -> None:
    cameras = _cameras([1] * 20)
    assert first_week(cameras, 0.4, 0) != first_week(cameras, 0.4, 1)


@pytest.mark.parametrize(
    ("sizes", "share", "message"),
    [([1, 1], 0.0, "share"), ([1, 1], 1.0, "share"), ([1, 1], -0.1, "share"),
     ([1], 0.5, "no camera left"), ([5, 5], 0.6, "no camera left")],
)  # fmt: skip
def test_a_split_without_two_sides_is_refused(sizes: list[int], share: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        first_week(_cameras(sizes), share, 0)


def box(t: float, kind: ObjectKind, x: float = 0.1) -> SidecarBox:
    return SidecarBox(t=t, label=kind, xyxy=(x, 0.1, x + 0.2, 0.5))


EBIKE, PERSON, BICYCLE, CABLE = (ObjectKind.EBIKE, ObjectKind.PERSON, ObjectKind.BICYCLE,
                                 ObjectKind.CABLE)  # fmt: skip
PARKED, WIRE = EventType.EBIKE_PARKED, EventType.FLYING_WIRE


def alert(type_: EventType, at: float, matched: bool) -> PredictedOut:
    return PredictedOut(type=type_.value, zone="z", alert_s=at, confidence=0.5,
                        matched=matched, latency_s=None)  # fmt: skip


def truth(type_: EventType, start: float, end: float, matched: bool) -> TruthOut:
    return TruthOut(type=type_.value, zone="z", start_s=start, end_s=end, matched=matched)


def row(predicted: list[PredictedOut], truths: list[TruthOut]) -> ClipResult:
    return ClipResult(clip="c.mp4", duration_s=18.0, frames=36, tp=0, fp=0, fn=0,
                      predicted=predicted, truth=truths)  # fmt: skip


@pytest.mark.parametrize(
    ("predicted", "truths", "frames", "expected"),
    [
        # a matched alert: confirmed, with every true box of the nearest labelled frame
        ([alert(PARKED, 11.0, True)], [truth(PARKED, 0, 18, True)],
         {1.0: [box(1, EBIKE)], 10.0: [box(10, EBIKE), box(10, PERSON, 0.5)]},
         [(Origin.ALERT, 10.0, Verdict.CONFIRMED, None, 2)]),
        # an unmatched alert where a person stands: a false alarm, the person kept
        ([alert(PARKED, 5.0, False)], [], {1.0: [box(1, PERSON)]},
         [(Origin.ALERT, 1.0, Verdict.FALSE_ALARM, FalseAlarmReason.PERSON, 1)]),
        # ... where nothing is labelled: a false alarm without boxes at the alert's own time
        ([alert(WIRE, 6.5, False)], [], {},
         [(Origin.ALERT, 6.5, Verdict.FALSE_ALARM, FalseAlarmReason.CABLE_LOOKALIKE, 0)]),
        ([alert(PARKED, 2.0, False)], [], {1.0: [box(1, BICYCLE)]},
         [(Origin.ALERT, 1.0, Verdict.FALSE_ALARM, FalseAlarmReason.BICYCLE, 1)]),
        # an unmatched alert whose frame shows the alerted kind (a second alert): unreviewed
        ([alert(PARKED, 9.0, True), alert(PARKED, 15.0, False)], [truth(PARKED, 0, 18, True)],
         {1.0: [box(1, EBIKE)]},
         [(Origin.ALERT, 1.0, Verdict.CONFIRMED, None, 1), (Origin.ALERT, 1.0, None, None, 0)]),
        # a missed event: drawn on the labelled frame showing its kind nearest its middle
        ([], [truth(WIRE, 2, 12, False)],
         {1.0: [box(1, PERSON)], 4.0: [box(4, CABLE), box(4, PERSON)], 12.0: [box(12, PERSON)]},
         [(Origin.MISSED, 4.0, Verdict.CONFIRMED, None, 2)]),
        # ... with no frame showing its kind: nothing to draw
        ([], [truth(PARKED, 0, 18, False)], {1.0: [box(1, PERSON)]}, []),
        # a found event and a clean negative give nothing more
        ([], [truth(PARKED, 0, 18, True)], {1.0: [box(1, EBIKE)]}, []),
    ],
)  # fmt: skip
def test_each_alert_gets_the_verdict_the_truth_gives_it(
    predicted: list[PredictedOut],
    truths: list[TruthOut],
    frames: dict[float, list[SidecarBox]],
    expected: list[tuple[Origin, float, Verdict | None, FalseAlarmReason | None, int]],
) -> None:
    events = clip_events(row(predicted, truths), frames)
    got = [(e.origin, e.at_s, e.review and e.review.verdict, e.review and e.review.reason,
            len(e.review.boxes) if e.review else 0) for e in events]  # fmt: skip
    assert got == expected
    assert all(e.clip == "c.mp4" and e.zone == "z" for e in events)


@pytest.mark.parametrize(
    ("times", "t", "nearest"),
    [([], 3.0, None), ([1.0], 9.0, 1.0), ([1.0, 4.0], 2.5, 1.0), ([1.0, 4.0], 3.0, 4.0)],
)
def test_the_nearest_labelled_frame_prefers_the_earlier_on_a_tie(
    times: list[float], t: float, nearest: float | None
) -> None:
    assert nearest_labelled({x: [] for x in times}, t) == nearest


@pytest.mark.parametrize(
    ("event_type", "kinds", "reason"),
    [(PARKED, {BICYCLE, PERSON}, FalseAlarmReason.BICYCLE),
     (WIRE, {BICYCLE}, FalseAlarmReason.CABLE_LOOKALIKE),
     (WIRE, {PERSON}, FalseAlarmReason.PERSON),
     (EventType.EBIKE_IN_ELEVATOR, set(), FalseAlarmReason.OBJECT_OR_SHADOW)],
)  # fmt: skip
def test_a_false_alarm_names_what_was_there(
    event_type: EventType, kinds: set[ObjectKind], reason: FalseAlarmReason
) -> None:
    assert false_alarm_reason(event_type, kinds) is reason


@pytest.mark.parametrize(
    ("clip", "at_s", "camera", "hours"),
    [("a.mp4", 3.0, "cam1", 0), ("b.mp4", 0.5, "cam1", 1), ("c", 7.0, "cam2", 0)],
)
def test_a_cameras_clips_play_an_hour_apart_in_the_first_week(
    clip: str, at_s: float, camera: str, hours: int
) -> None:
    from lab.teach_round.site_store import FIRST_DAY, place

    cameras = [Camera("cam1", ("a", "b")), Camera("cam2", ("c",))]
    event = SiteEvent(clip, PARKED, "z", at_s, Origin.ALERT, None)
    placed = place(event, cameras)
    assert (placed.camera_id, placed.alert_ts) == (camera, FIRST_DAY + hours * 3600 + at_s)


def test_a_clip_of_no_first_week_camera_cannot_be_placed() -> None:
    from lab.teach_round.site_store import place

    with pytest.raises(ValueError, match="no camera"):
        place(SiteEvent("z.mp4", PARKED, None, 1.0, Origin.ALERT, None), [Camera("c", ("a",))])
