"""Snapshot rendering: a real JPEG of the frame, zone, boxes and caption; inputs untouched."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from alerts.errors import SnapshotError
from alerts.events import Box
from alerts.snapshot import LabelledBox, render_snapshot
from vision.zones import Zone, ZoneKind

ZONE = Zone("3楼楼梯口", ZoneKind.NO_PARKING, ((0.2, 0.3), (0.8, 0.3), (0.9, 0.95), (0.1, 0.95)))
BIKE = LabelledBox(Box(0.3, 0.4, 0.6, 0.9), "ebike", 0.87)


def decode(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


@pytest.mark.parametrize(
    ("shape", "zone", "boxes", "title"),
    [
        ((720, 1280, 3), ZONE, [BIKE], "3号楼 3F | 2025-01-01 12:00:00 | 电动车违停"),
        ((360, 640, 3), None, [], "cam-3f"),
        ((480, 640, 3), ZONE, [BIKE, LabelledBox(Box(0.0, 0.0, 1.0, 1.0), "cable")], ""),
        ((16, 16, 3), ZONE, [BIKE], "a title far too long for such a small picture " * 5),
    ],
)
def test_renders_a_jpeg_with_a_caption_bar(shape, zone, boxes, title) -> None:  # type: ignore[no-untyped-def]
    image = np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8)
    before = image.copy()
    data = render_snapshot(image, zone, boxes, title)
    assert data[:3] == b"\xff\xd8\xff"
    out = decode(data)
    assert out.shape[1] == shape[1]
    assert out.shape[0] > shape[0]  # the caption bar is added below the picture
    assert np.array_equal(image, before)


def test_zone_and_box_are_drawn_where_they_belong() -> None:
    image = np.zeros((400, 400, 3), np.uint8)
    plain = decode(render_snapshot(image, None, [], "x"))[:400]
    drawn = decode(render_snapshot(image, ZONE, [BIKE], "x"))[:400]
    changed = np.abs(drawn.astype(int) - plain.astype(int)).sum(axis=2) > 30
    assert changed[300, 200]  # inside the zone: tinted
    assert not changed[20, 20]  # outside the zone and the box: untouched
    assert changed[int(0.9 * 399), 200]  # the box's bottom edge


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((100, 100), np.uint8),
        np.zeros((100, 100, 4), np.uint8),
        np.zeros((100, 100, 3), np.float32),
        np.zeros((4, 100, 3), np.uint8),
    ],
)
def test_bad_images_are_refused(image: np.ndarray) -> None:
    with pytest.raises(SnapshotError):
        render_snapshot(image, None, [], "x")


def test_quality_changes_size() -> None:
    image = np.random.default_rng(1).integers(0, 255, (240, 320, 3), dtype=np.uint8)
    assert len(render_snapshot(image, None, [], "x", quality=30)) < len(
        render_snapshot(image, None, [], "x")
    )
