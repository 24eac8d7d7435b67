"""explain_eval: misses and false alarms of an eval run traced to the detector or the rules.

The table tests use hand-made detections; the last runs the bundled model (onnxruntime) on a
sample clip."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from alerts.events import EventType
from alerts.params import Anchor
from stairwatch.assets import default_model_path, sample_videos_dir
from stairwatch.tools.explain_eval import (
    FrameBoxes,
    Question,
    answer,
    explain,
    format_answers,
    main,
    questions_from,
)
from vision.detector import load_detector
from vision.kinds import ObjectKind
from vision.zones import Zone, ZoneKind

LIFT = Zone("car", ZoneKind.ELEVATOR, ((0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8)))
IN_LIFT = (0.3, 0.3, 0.6, 0.7)
OUTSIDE = (0.85, 0.0, 0.99, 0.15)


def frames(*rows: tuple[float, str, float, tuple[float, ...]]) -> list[FrameBoxes]:
    """(t, kind, score, xyxy) rows -> frames, one per distinct t."""
    out = []
    for t in sorted({r[0] for r in rows}):
        mine = [r for r in rows if r[0] == t]
        out.append(
            FrameBoxes(
                t,
                np.array([r[3] for r in mine], np.float64).reshape(-1, 4),
                np.array([r[2] for r in mine], np.float32),
                np.array([r[1] for r in mine], np.str_),
            )
        )
    return out


def miss(start: float = 1.0, end: float = 3.0) -> Question:
    return Question("c.mp4", "miss", EventType.EBIKE_IN_ELEVATOR, "car", start, end)


def false_alarm(at: float = 2.0, kind: EventType = EventType.EBIKE_IN_ELEVATOR) -> Question:
    return Question("c.mp4", "false alarm", kind, "car", at, at)


@pytest.mark.parametrize(
    ("question", "seen", "best", "lasted", "verdict"),
    [
        (miss(), frames((2.0, "ebike", 0.2, IN_LIFT)), 0.2, 0.0, "detector: never"),
        (
            miss(),
            frames((2.0, "ebike", 0.6, IN_LIFT), (2.5, "ebike", 0.3, IN_LIFT)),
            0.6,
            0.5,
            "in the zone 0.5 s at the confidence: tracking or rule",
        ),
        (miss(), frames((2.0, "ebike", 0.9, OUTSIDE)), None, 0.0, "detector: never"),
        (miss(), frames((5.0, "ebike", 0.9, IN_LIFT)), None, 0.0, "detector: never"),
        (miss(), frames((2.0, "person", 0.9, IN_LIFT)), None, 0.0, "detector: never"),
        (
            false_alarm(),
            frames(*((t, "ebike", 0.5, IN_LIFT) for t in (1.5, 2.0, 2.5, 3.0))),
            0.5,
            2.0,
            "the detector scored it as ebike",
        ),
        (
            false_alarm(),
            frames((2.0, "ebike", 0.5, IN_LIFT), (2.0, "person", 0.7, (0.3, 0.3, 0.6, 0.65))),
            0.5,
            0.5,
            "scored as ebike, but as person higher there",
        ),
        (false_alarm(kind=EventType.SMOKE_FIRE), frames(), None, 0.0, "no detector kind"),
    ],
)
def test_answer(question, seen, best, lasted, verdict):
    """Boxes count by their bottom centre, the default anchor."""
    got = answer(question, seen, {"car": LIFT}, 0.35, 0.5)
    assert got.best == best
    assert got.lasted_s == lasted
    assert got.verdict(0.35).startswith(verdict)
    assert question.clip in format_answers([got], 0.35)


EXIT_KINDS = (ObjectKind.EBIKE, ObjectKind.BICYCLE)


@pytest.mark.parametrize(
    ("seen", "kind", "best"),
    [
        (frames((2.0, "bicycle", 0.3, IN_LIFT), (2.0, "ebike", 0.2, IN_LIFT)), "bicycle", 0.3),
        (frames((2.0, "bicycle", 0.3, IN_LIFT), (2.5, "ebike", 0.4, IN_LIFT)), "ebike", 0.4),
        (frames((2.0, "bicycle", 0.3, OUTSIDE)), "ebike", None),  # none in the zone: the first
        (frames((2.0, "person", 0.9, IN_LIFT)), "ebike", None),
    ],
)
def test_a_rule_of_several_kinds_is_answered_for_the_kind_that_scored_best(seen, kind, best):
    question = Question("c.mp4", "miss", EventType.EXIT_BLOCKED, "car", 1.0, 3.0)
    got = answer(question, seen, {"car": LIFT}, 0.35, 0.5, kinds=EXIT_KINDS)
    assert (got.kind, got.best) == (ObjectKind(kind), best)


def test_questions_from_eval_json():
    per_clip = [
        {
            "clip": "a.mp4",
            "truth": [
                {
                    "type": "ebike_parked",
                    "zone": "bay",
                    "start_s": 0.0,
                    "end_s": 18.0,
                    "matched": False,
                },
                {
                    "type": "ebike_parked",
                    "zone": "bay",
                    "start_s": 0.0,
                    "end_s": 18.0,
                    "matched": True,
                },
            ],
            "predicted": [
                {"type": "ebike_in_elevator", "zone": "lift", "alert_s": 4.0, "matched": False},
                {"type": "ebike_parked", "zone": "bay", "alert_s": 10.0, "matched": True},
            ],
        }
    ]
    got = questions_from({"per_clip": per_clip})
    assert [(q.outcome, q.type, q.start_s, q.end_s, q.found_beside) for q in got] == [
        ("miss", EventType.EBIKE_PARKED, 0.0, 18.0, 1),
        ("false alarm", EventType.EBIKE_IN_ELEVATOR, 4.0, 4.0, 0),
    ]


SAMPLE_MISSES = [  # (clip, truth event, kinds the answer may name)
    (
        "elevator_entry",
        {"type": "ebike_in_elevator", "zone": "car", "start_s": 4.0, "end_s": 8.0},
        (ObjectKind.EBIKE,),
    ),
    (  # a bicycle across an aisle: the rule watches e-bikes and bicycles
        "exit_blocked",
        {"type": "exit_blocked", "zone": "aisle", "start_s": 6.0, "end_s": 40.0},
        (ObjectKind.EBIKE, ObjectKind.BICYCLE),
    ),
]


@pytest.mark.parametrize(
    ("name", "truth", "kinds"), SAMPLE_MISSES, ids=[m[0] for m in SAMPLE_MISSES]
)
def test_a_found_object_is_the_rules_business(tmp_path: Path, name, truth, kinds):
    """Claim a sample clip's event was missed: the bundled model does find its object (of one
    of the kinds its rule watches), so the verdict must point at tracking or the rule, with a
    score above the confidence."""
    clips = tmp_path / "clips"
    clips.mkdir()
    for suffix in (".mp4", ".json"):
        (clips / (name + suffix)).symlink_to(sample_videos_dir() / (name + suffix))
    eval_json = {
        "per_clip": [
            {"clip": f"{name}.mp4", "truth": [{**truth, "matched": False}], "predicted": []}
        ]
    }
    detector = load_detector(default_model_path(), confidence=0.05)
    (got,) = explain(eval_json, clips, detector, 0.35, detect_fps=1.0)
    assert got.kind in kinds
    assert got.best is not None and got.best >= 0.35
    assert got.lasted_s >= 1.0
    assert "tracking or rule" in got.verdict(0.35)


@pytest.mark.parametrize(
    ("per_clip", "named"),
    [
        ([{"clip": "a.mp4", "truth": [{"type": "nope"}], "predicted": []}], "a.mp4"),
        ([{"clip": "b.mp4", "truth": [], "predicted": [{"matched": False}]}], "b.mp4"),
        ([{"truth": []}], "per_clip[0]"),
    ],
)
def test_a_malformed_eval_json_names_the_clip(per_clip, named):
    with pytest.raises(ValueError, match=re.escape(named)):
        questions_from({"per_clip": per_clip})


def test_a_clip_missing_from_the_folder_is_named(tmp_path: Path):
    clips = tmp_path / "clips"
    clips.mkdir()
    for suffix in (".mp4", ".json"):
        (clips / ("elevator_entry" + suffix)).symlink_to(
            sample_videos_dir() / ("elevator_entry" + suffix)
        )
    truth = {"type": "ebike_parked", "zone": "bay", "start_s": 0.0, "end_s": 1.0, "matched": False}
    eval_json = {"per_clip": [{"clip": "gone.mp4", "truth": [truth], "predicted": []}]}
    detector = load_detector(default_model_path(), confidence=0.05)
    with pytest.raises(ValueError, match=re.escape("gone.mp4")):
        explain(eval_json, clips, detector, 0.35)


@pytest.mark.parametrize(
    ("anchor", "best"),
    [(Anchor.BOTTOM_CENTER, 0.6), (Anchor.CENTER, None), (Anchor.BOX, 0.6)],
)
def test_the_rules_anchor_places_the_box(anchor, best):
    """A box hanging into the lift from above: its bottom is in, its centre is not."""
    hanging = (0.3, 0.0, 0.5, 0.3)
    got = answer(miss(), frames((2.0, "ebike", 0.6, hanging)), {"car": LIFT}, 0.35, 0.5, anchor)
    assert got.best == best


@pytest.mark.parametrize(
    ("extra", "eval_text", "says"),
    [
        ([], None, "eval.json"),
        (["--map", "nokind=x"], "{}", "nokind"),
        (["--config", "absent.yaml"], "{}", "absent.yaml"),
        ([], '{"per_clip": [{"clip": "x.mp4"}]}', "x.mp4"),
    ],
)
def test_the_command_fails_clearly(tmp_path: Path, capsys, extra, eval_text, says):
    eval_json = tmp_path / "eval.json"
    if eval_text is not None:
        eval_json.write_text(eval_text)
    clips = tmp_path / "clips"
    clips.mkdir()
    assert main([str(eval_json), str(clips), *extra]) == 2
    assert says in capsys.readouterr().err
