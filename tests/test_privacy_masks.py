"""Privacy masks: the masker's pixels, the configuration, and what the runtime's intake keeps,
queues and hands out as evidence."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from stairwatch.config import ConfigError, parse_settings
from stairwatch.runtime.health import CameraHealth
from stairwatch.runtime.pending import PendingFrames
from stairwatch.runtime.readers import FrameIntake
from streams.frame import Frame
from vision.privacy_masks import FrameMasker, PrivacyMask

LEFT = ((0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0))  # the left half
TOP_RIGHT = ((0.75, 0.0), (1.0, 0.0), (1.0, 0.25), (0.75, 0.25))
WIDTH, HEIGHT = 80, 40
GREY = 120
# Pixels (x, y) well inside each area.
IN_LEFT, IN_TOP_RIGHT, OUTSIDE = (10, 20), (75, 3), (60, 35)


def grey() -> np.ndarray:
    return np.full((HEIGHT, WIDTH, 3), GREY, np.uint8)


@pytest.mark.parametrize(
    ("masks", "shown_black", "detector_black"),
    [
        ([], [], []),
        ([PrivacyMask("door", LEFT)], [IN_LEFT], [IN_LEFT]),
        ([PrivacyMask("door", LEFT, detect_through=True)], [IN_LEFT], []),
        (
            [PrivacyMask("door", LEFT), PrivacyMask("window", TOP_RIGHT, detect_through=True)],
            [IN_LEFT, IN_TOP_RIGHT],
            [IN_LEFT],
        ),
    ],
)
def test_masker_blacks_out_what_each_picture_must_not_show(
    masks: list[PrivacyMask],
    shown_black: list[tuple[int, int]],
    detector_black: list[tuple[int, int]],
) -> None:
    masker = FrameMasker(masks)
    image = grey()
    for picture, black in (
        (masker.hide(image), shown_black),
        (masker.for_detection(image), detector_black),
    ):
        for x, y in (IN_LEFT, IN_TOP_RIGHT, OUTSIDE):
            expected = 0 if (x, y) in black else GREY
            assert picture[y, x].tolist() == [expected] * 3, (x, y)
    assert (image == GREY).all(), "the input is never changed"
    assert masker.detector_sees_more == any(m.detect_through for m in masks)


def test_masker_without_masks_hands_back_the_same_array() -> None:
    image = grey()
    assert FrameMasker().hide(image) is image
    assert FrameMasker([PrivacyMask("d", LEFT, True)]).for_detection(image) is image


@pytest.mark.parametrize(("width", "height"), [(80, 40), (1920, 1080), (7, 5)])
def test_pixel_mask_follows_the_frame_size(width: int, height: int) -> None:
    masker = FrameMasker([PrivacyMask("door", LEFT)])
    keep = masker.pixel_mask(width, height)
    assert keep.shape == (height, width)
    assert keep[:, 0].max() == 0 and keep[:, -1].min() == 255
    assert masker.pixel_mask(width, height) is keep, "computed once per size"


def _camera(**mask: Any) -> dict[str, Any]:
    return {"cameras": [{"id": "cam", "source": "a.mp4", "privacy_masks": [mask]}]}


GOOD_MASK = {"name": "door 301", "polygon": [[0.6, 0.1], [0.9, 0.1], [0.9, 0.4]]}


@pytest.mark.parametrize(
    ("mask", "problem"),
    [
        ({**GOOD_MASK, "polygon": [[0, 0], [1, 1]]}, "privacy_masks[0].polygon: needs at least 3"),
        ({**GOOD_MASK, "polygon": [[0, 0], [2, 0], [1, 1]]}, "point (2.0, 0.0) is outside"),
        ({**GOOD_MASK, "name": ""}, "privacy_masks[0].name"),
        ({**GOOD_MASK, "blur": True}, "privacy_masks[0].blur: unknown key"),
        ({**GOOD_MASK, "detect_through": "maybe"}, "privacy_masks[0].detect_through"),
    ],
)
def test_bad_mask_config_names_field_and_value(mask: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_settings(_camera(**mask), "site.yaml")
    assert problem in str(err.value)
    assert str(err.value).startswith("site.yaml: cameras[0].")


def test_mask_names_are_unique_per_camera() -> None:
    data = _camera(**GOOD_MASK)
    data["cameras"][0]["privacy_masks"].append(dict(GOOD_MASK))
    with pytest.raises(ConfigError, match=r"privacy mask names must be unique.*door 301"):
        parse_settings(data, "site.yaml")


def test_mask_config_makes_the_cameras_masker() -> None:
    settings = parse_settings(_camera(**GOOD_MASK, detect_through=True), "site.yaml")
    masker = settings.cameras[0].masker()
    assert [(m.name, m.detect_through) for m in masker.masks] == [("door 301", True)]
    assert masker.masks[0].polygon == ((0.6, 0.1), (0.9, 0.1), (0.9, 0.4))


@pytest.mark.parametrize("detect_through", [False, True])
def test_intake_queues_the_detectors_picture_and_keeps_only_masked_ones(
    detect_through: bool,
) -> None:
    pending = PendingFrames()
    masker = FrameMasker([PrivacyMask("door", LEFT, detect_through)])
    intake = FrameIntake(pending, CameraHealth("cam"), None, lambda: False, masker)
    frame = Frame("cam", grey(), timestamp=10.0, position_s=0.0, index=0)
    intake.accept(frame)
    queued = pending.take(1, 0.0, 1.0)[0].frame
    x, y = IN_LEFT
    assert queued.image[y, x].tolist() == ([GREY] * 3 if detect_through else [0, 0, 0])
    assert intake.last_frame is not None and intake.last_frame.image[y, x].tolist() == [0, 0, 0]
    evidence = intake.evidence_image(queued)
    assert evidence is not None and evidence[y, x].tolist() == [0, 0, 0]
    assert evidence[OUTSIDE[1], OUTSIDE[0]].tolist() == [GREY] * 3
    intake.main_frame_arrived(Frame("cam", grey(), timestamp=10.5, position_s=0.0, index=0))
    main = intake.evidence_image(queued)
    assert main is not None and main[y, x].tolist() == [0, 0, 0], "main-stream frames too"
