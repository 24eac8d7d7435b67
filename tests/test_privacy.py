"""Privacy: which regions of a snapshot are pixelated for the people in it, the mosaic itself,
and the service's sink storing pixelated snapshots when the configuration asks for it."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from alerts.events import Box, ChangeKind, EventChange, EventType
from alerts.observation import Observation
from alerts.privacy import PeopleRedaction, redaction_boxes
from alerts.snapshot import render_snapshot
from alerts.store import EventStore
from stairwatch.config import ConfigError, parse_settings
from stairwatch.pipeline import PipelineStep
from stairwatch.runtime.recorder import write_at_once
from stairwatch.runtime.sink import StoreSink
from streams.frame import Frame
from tests.media_helpers import CAMERA
from tests.records import parked_record
from vision.detections import Detections
from vision.kinds import KIND_NAMES

W, H = 640, 360
PERSON = Box(0.5, 0.2, 0.7, 0.9)  # normalized
HEAD = (0.48, 0.2, 0.72, 0.375)  # the top quarter, widened by a tenth of the width each side


def noise(seed: int = 0) -> NDArray[np.uint8]:
    return np.random.default_rng(seed).integers(0, 256, (H, W, 3), dtype=np.uint8)


def detail(image: NDArray[np.uint8], box: tuple[float, float, float, float]) -> float:
    """Mean absolute difference between horizontal neighbours inside ``box`` (normalized):
    about 85 on noise, near 0 on a mosaic."""
    x1, y1, x2, y2 = (round(v * s) for v, s in zip(box, (W, H, W, H), strict=True))
    region = image[y1 + 2 : y2 - 2, x1 + 2 : x2 - 2].astype(np.int16)
    return float(np.abs(np.diff(region, axis=1)).mean())


def decoded(jpeg: bytes) -> NDArray[np.uint8]:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    return np.asarray(image[:H], np.uint8)  # without the caption bar


@pytest.mark.parametrize(
    ("mode", "person", "expected"),
    [
        (PeopleRedaction.OFF, PERSON, []),
        (PeopleRedaction.BODY, PERSON, [PERSON]),
        (PeopleRedaction.HEAD, PERSON, [Box(*HEAD)]),
        # at the frame's edge the widened head is clipped to the frame
        (PeopleRedaction.HEAD, Box(0.0, 0.0, 0.2, 0.4), [Box(0.0, 0.0, 0.22, 0.1)]),
        (PeopleRedaction.BODY, Box(1.0, 0.2, 1.0, 0.5), []),  # nothing left to hide
    ],
)
def test_redaction_boxes(mode: PeopleRedaction, person: Box, expected: list[Box]) -> None:
    got = redaction_boxes([person], mode)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert (g.x1, g.y1, g.x2, g.y2) == pytest.approx((e.x1, e.y1, e.x2, e.y2))


def test_snapshot_pixelates_only_the_redacted_region() -> None:
    image = noise()
    plain = decoded(render_snapshot(image, None, [], "cam"))
    hidden = decoded(render_snapshot(image, None, [], "cam", redact=[Box(*HEAD)]))
    assert detail(plain, HEAD) > 40
    assert detail(hidden, HEAD) < 10
    elsewhere = (0.05, 0.5, 0.4, 0.95)
    assert detail(hidden, elsewhere) == pytest.approx(detail(plain, elsewhere), rel=0.05)
    assert np.array_equal(image, noise()), "the frame itself is not modified"


def raised_with_a_person(sink: StoreSink) -> None:
    frame = Frame(CAMERA.id, noise(), timestamp=1000.0, position_s=0.0, index=0)
    xyxy = np.array([[PERSON.x1 * W, PERSON.y1 * H, PERSON.x2 * W, PERSON.y2 * H]], np.float32)
    people = Detections(
        xyxy=xyxy,
        confidence=np.array([0.9], np.float32),
        class_id=np.array([KIND_NAMES.index("person")], np.int32),
        class_names=KIND_NAMES,
        tracker_id=np.array([1], np.int64),
    )
    # No event box: its outline would cross the regions measured below.
    record = replace(parked_record("k1", CAMERA.id, "", 1000.0, EventType.EBIKE_PARKED), box=None)
    observation = Observation(CAMERA.id, 1000.0, W, H, people, frame.image)
    sink.handle(frame, PipelineStep(observation, [EventChange(ChangeKind.RAISED, record)], True))


@pytest.mark.parametrize(
    ("mode", "head_hidden", "body_hidden"),
    [
        (PeopleRedaction.OFF, False, False),
        (PeopleRedaction.HEAD, True, False),
        (PeopleRedaction.BODY, True, True),
    ],
)
def test_sink_stores_snapshots_with_people_pixelated(
    store: EventStore, mode: PeopleRedaction, head_hidden: bool, body_hidden: bool
) -> None:
    raised_with_a_person(StoreSink(store, write_at_once, CAMERA, (), redact_people=mode))
    (event,) = store.list_events()
    snapshot = decoded(store.snapshot_path(event.id).read_bytes())
    legs = (PERSON.x1, 0.6, PERSON.x2, PERSON.y2)
    assert (detail(snapshot, HEAD) < 10) is head_hidden
    assert (detail(snapshot, legs) < 10) is body_hidden


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("head", PeopleRedaction.HEAD),
        ("body", PeopleRedaction.BODY),
        (False, PeopleRedaction.OFF),  # YAML's reading of a bare `off`
        ("faces", None),
        (True, None),  # a bare `on` says neither head nor body
    ],
)
def test_privacy_setting_is_validated(value: object, expected: PeopleRedaction | None) -> None:
    data = {"cameras": [{"id": "a", "source": "x.mp4"}], "privacy": {"redact_people": value}}
    if expected is None:
        with pytest.raises(ConfigError, match=r"privacy\.redact_people"):
            parse_settings(data, "s.yaml")
    else:
        assert parse_settings(data, "s.yaml").privacy.redact_people is expected


@pytest.mark.parametrize("mode", list(PeopleRedaction))
def test_the_training_frame_is_kept_unredacted(store: EventStore, mode: PeopleRedaction) -> None:
    raised_with_a_person(StoreSink(store, write_at_once, CAMERA, (), redact_people=mode))
    (event,) = store.list_events()
    assert event.training_frames == 1
    jpeg = store.training_frame_path(event.id, 0).read_bytes()
    frame = np.asarray(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), np.uint8)
    assert frame.shape == noise().shape  # the picture alone: no caption bar, nothing drawn
    assert detail(frame, HEAD) > 40
