"""Decoding only what detection needs: each group of pictures' tail after its last due frame is
never decoded, and a decode plan's share of due frames under overload (streams.decode_plan,
the file source on real H.264 files, the service's budget)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from stairwatch.runtime.decode_budget import CameraDemand, DecodeBudget, decode_plans
from stairwatch.runtime.health import HealthSnapshot
from streams.decode_plan import FULL_PLAN, DecodePlan, GopSkipper
from streams.file_source import FileSource
from streams.live_source import LiveSource, LiveSourceConfig
from tests.clip_sources import write_h264_clip

FPS = 10  # the test clips' frame rate
SLACK = 0.5 / FPS


def skipped_positions(
    keys: list[float], frames: int, period: float | None, plan: DecodePlan, phase: float = 0.0
) -> tuple[list[float], list[float]]:
    """(decoded, taken) positions of ``frames`` frames at :data:`FPS`, key frames at ``keys``,
    frames due every ``period`` s from ``phase`` on, as a file source feeds the skipper."""
    from streams.file_source import DueSelector

    skipper = GopSkipper(SLACK, period)
    selector = DueSelector(None if period is None else 1.0 / period, half_frame_s=SLACK)
    decoded, taken = [], []
    if phase:
        selector.due(-phase)  # the schedule starts ``phase`` s before the first frame
    for i in range(frames):
        at = round(i / FPS, 6)
        if skipper.decode(at, at in keys, selector.next_due_s, plan):
            decoded.append(at)
            if selector.due(at):
                taken.append(at)
        else:
            selector.due(at)
    return decoded, taken


GROUPS = [0.0, 2.0, 4.0, 6.0]  # a key frame every 2 s (20 frames)


@pytest.mark.parametrize(
    ("period", "plan", "decoded", "taken"),
    [
        # every frame due: nothing skipped
        (None, FULL_PLAN, 80, 80),
        # 2 due a second: the first three groups in full (their spacing must repeat before it
        # is trusted), then each group up to its last due frame (1.5 s): 16 of 20 frames
        (0.5, FULL_PLAN, 60 + 16, 16),
        # 1 due a second: up to 1.0 s, 11 of 20
        (1.0, FULL_PLAN, 60 + 11, 8),
        # half the due frames of each group: two of four, up to 0.5 s
        (0.5, DecodePlan(0.5), 20 + 3 * 6, 4 + 3 * 2),
        # a quarter: the key frame alone
        (0.5, DecodePlan(0.25), 20 + 3 * 1, 4 + 3 * 1),
        (0.5, DecodePlan(0.0), 20 + 3 * 1, 4 + 3 * 1),
        # 3 of 4 due frames a group
        (0.5, DecodePlan(0.75), 20 + 3 * 11, 4 + 3 * 3),
    ],
)
def test_gop_skipper_decodes_up_to_the_last_frame_taken(
    period: float | None, plan: DecodePlan, decoded: int, taken: int
) -> None:
    got_decoded, got_taken = skipped_positions(GROUPS, 80, period, plan)
    assert (len(got_decoded), len(got_taken)) == (decoded, taken)


@pytest.mark.parametrize(
    ("share", "per_group"),
    [(0.8, [4, 3, 3, 3, 3, 4, 3, 3]), (0.6, [4, 2, 2, 3, 2, 3, 2, 2]), (0.1, [4, 1, 1, 1, 1, 1])],
)
def test_a_share_is_met_on_average_across_groups(share: float, per_group: list[int]) -> None:
    """The first group runs in full (its length is learned from it); the fraction of a frame
    a group carries to the next, so the share holds whatever the rounding; below one frame a
    group, the key frame is still taken."""
    keys = [2.0 * g for g in range(len(per_group))]
    _, taken = skipped_positions(keys, 20 * len(per_group), 0.5, DecodePlan(share))
    counts = [sum(1 for t in taken if k <= t < k + 2.0) for k in keys]
    assert counts == per_group


@pytest.mark.parametrize("phase", [0.0, 0.1, 0.25, 0.4])
def test_the_share_does_not_depend_on_where_due_frames_fall_in_a_group(phase: float) -> None:
    _, taken = skipped_positions(GROUPS, 80, 0.5, DecodePlan(0.5), phase)
    assert [sum(1 for t in taken if k <= t < k + 2.0) for k in GROUPS[1:]] == [2, 2, 2]


@pytest.mark.parametrize(
    "keys",
    [
        [0.0, 2.0, 3.0, 5.0, 7.0],  # a scene cut's early key frame at 3.0 s
        [0.0, 0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.9, 1.0, 1.1, 1.2, 1.5],  # short, uneven groups
    ],
)
def test_irregular_groups_are_decoded_in_full(keys: list[float]) -> None:
    """A tail is skipped only where groups are regular and hold two due frames or more, else a
    longer group than the last ones would lose a due frame."""
    decoded, taken = skipped_positions(keys, 90, 0.5, FULL_PLAN)
    assert len(decoded) == 90
    assert taken == [round(0.5 * i, 6) for i in range(18)]


@pytest.mark.parametrize("share", [-0.1, 1.5])
def test_a_plan_share_out_of_range_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="share"):
        DecodePlan(share)


# -- the service's budget --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("demands", "expected"),
    [
        # the box runs what is due: everyone decodes in full
        ([("a", 2.0, 2.0), ("b", 2.0, 1.8)], {"a": None, "b": None}),
        # a fifth of what is due runs: an even share (with some to spare) for the cameras with
        # something due; a quiet camera (nothing due) decodes key frames alone
        ([("a", 2.0, 0.4), ("b", 2.0, 0.4), ("q", 0.0, 0.0)], {"a": 0.3, "b": 0.3, "q": 0.0}),
        # uneven runs are made even
        ([("a", 2.0, 0.6), ("b", 2.0, 0.2)], {"a": 0.3, "b": 0.3}),
        # over capacity but running a quarter of what is due or more: decoding in full costs less
        ([("a", 2.0, 1.0), ("b", 2.0, 1.0)], {"a": None, "b": None}),
    ],
)
def test_decode_plans_share_evenly(
    demands: list[tuple[str, float, float]], expected: dict[str, float | None]
) -> None:
    plans = decode_plans([CameraDemand(c, due, run) for c, due, run in demands])
    assert {c: p.share for c, p in plans.items()} == expected


@pytest.mark.parametrize(("backlog", "share"), [(0, 0.3), (8, 0.3), (9, 0.2), (64, 0.2)])
def test_a_backlog_of_waiting_frames_makes_the_share_drain_it(backlog: int, share: float) -> None:
    """A fifth of what is due runs: half as much again while few frames wait, no more than runs
    while more than two batches do (so the queue, and the frames' age, stop growing)."""
    plans = decode_plans([CameraDemand("a", 2.0, 0.4), CameraDemand("b", 2.0, 0.4)], backlog)
    assert plans["a"].share == plans["b"].share == share


def snapshot(camera: str, due: int, run: int) -> HealthSnapshot:
    from stairwatch.runtime.health import CameraHealth

    health = CameraHealth(camera)
    for _ in range(due):
        health.due_left_out()
    for _ in range(run):
        health.detection_ran()
    return health.snapshot(0)


def test_the_budget_waits_for_a_window_then_plans_and_returns_to_full() -> None:
    budget = DecodeBudget(window_s=4.0, min_span_s=2.0, min_due=5)
    assert budget.observe([snapshot("a", 0, 0)], 0.0)["a"].full
    assert budget.observe([snapshot("a", 5, 1)], 1.0)["a"].full  # too short to judge
    assert budget.observe([snapshot("a", 10, 2)], 2.0)["a"].share == 0.3
    later = [budget.observe([snapshot("a", 10 + 2 * s, 2 + 2 * s)], 2.0 + s) for s in range(1, 6)]
    assert later[-1]["a"].full  # all of the window keeps up again


# -- real decoding ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 s of numbered pictures, H.264 at 10 fps, a key frame every 10 frames, no B-frames."""
    return write_h264_clip(tmp_path_factory.mktemp("plan") / "cam.mp4", 6 * FPS, FPS, gop=10)


def read(clip: Path, plan: DecodePlan) -> tuple[dict[float, np.ndarray], int, list[float]]:
    """(pictures taken at 2 fps by position, pictures decoded, positions of due frames left
    out)."""
    left_out: list[float] = []
    with FileSource(
        clip, "cam", sample_fps=2.0, plan=lambda: plan, on_skipped_due=left_out.append
    ) as source:
        taken = {round(f.position_s, 3): f.image for f in source}
        return taken, source.decoded_frames, left_out


@pytest.mark.parametrize(
    ("plan", "decoded", "left_out"),
    [
        # the first three groups in full (their spacing must repeat before it is trusted),
        # then each group's tail after its last due frame (0.5 s) is never decoded
        (FULL_PLAN, 30 + 3 * 6, 0),
        # one due frame of two a group: the key frame alone after the first group
        (DecodePlan(0.5), 10 + 5 * 1, 5),
    ],
)
def test_a_file_source_decodes_only_what_its_due_frames_need(
    clip: Path, plan: DecodePlan, decoded: int, left_out: int
) -> None:
    taken, got_decoded, got_left_out = read(clip, plan)
    assert got_decoded == decoded
    assert len(got_left_out) == left_out
    assert sorted([*taken, *got_left_out]) == [0.5 * i for i in range(12)]  # 6 s at 2 fps
    with FileSource(clip, "cam") as source:  # every picture, decoded in full
        every = {round(f.position_s, 3): f.image for f in source}
        assert source.decoded_frames == 6 * FPS
    for position, image in taken.items():  # the same pictures as a full decode gives
        assert np.array_equal(image, every[position]), position


@pytest.mark.parametrize(("plan", "per_pass"), [(FULL_PLAN, 20), (DecodePlan(0.0), 5 + 3)])
def test_a_live_source_under_a_plan_decodes_key_frames_alone(
    tmp_path: Path, plan: DecodePlan, per_pass: int
) -> None:
    """2 s at 10 fps, a key frame every 5 frames, read as a live camera taken at 2 fps: in full
    every picture; with a share of 0, the first group (its length still unknown), then each
    group's key frame (the next pass has begun when it is counted: a few more)."""
    path = write_h264_clip(tmp_path / "live.mp4", 2 * FPS, FPS, gop=5)
    config = LiveSourceConfig(
        open_timeout_s=2.0, read_timeout_s=2.0, stall_after_s=2.0, backoff_base_s=0.05,
        sample_fps=2.0,
    )  # fmt: skip
    source = LiveSource(str(path), "cam", config)
    source.set_plan(plan)
    with source:
        end = time.monotonic() + 20.0
        while source.health().reconnects < 1 and time.monotonic() < end:
            time.sleep(0.02)
        count = source.health().frames_received  # one pass done, the next one begun
    assert per_pass <= count < per_pass + 5


@pytest.mark.parametrize(
    ("backlogs", "share"),
    [
        ([0, 40, 0, 40], 0.3),  # bursts (key frames arriving together) that drain: no queue
        ([20, 40, 12, 40], 0.2),  # a queue standing all along the window: no more than runs
    ],
)
def test_only_a_standing_queue_lowers_the_share(backlogs: list[int], share: float) -> None:
    budget = DecodeBudget(window_s=10.0, min_span_s=3.0, min_due=5)
    plans = [
        budget.observe([snapshot("a", 5 * s, s)], float(s), backlog)
        for s, backlog in enumerate(backlogs)
    ]
    assert plans[-1]["a"].share == share
