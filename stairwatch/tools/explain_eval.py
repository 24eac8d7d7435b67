"""Why did ``stairwatch eval`` miss an event or raise a false alarm: the detector or the rules?

Reads the ``--json`` of an eval run, runs the detector again on each clip with a miss or a false
alarm (every frame at ``--detect-fps``, scores down to ``--floor``, no tracking) and prints one
row per miss and false alarm:

- a miss: the best score of the event's object kind (``ebike`` for the e-bike rules, ``cable``
  for ``flying_wire``, ``person`` for ``shed_intrusion``, the rule's ``kinds`` for
  ``exit_blocked``: the kind that scored best) among boxes whose anchor (the rule's
  own, as the clip's sidecar sets it) lies in the event's zone, over the event's time, and for
  how many seconds such a box
  was at or above ``--confidence``. Below it: the detector never found the object, no rule
  setting will; at or above for long: look at tracking and the rule (or another object in the
  zone: the tool does not know which box is which, and says when another event of the same
  zone was found).
- a false alarm: the best box of that kind in the alert's zone within a second of the alert, how
  many seconds a box of that kind stayed at that place at or above ``--confidence``, and the
  best box of another kind overlapping it (a person taken for an e-bike shows up here).

Usage::

    stairwatch eval CLIPS --json eval.json
    python -m stairwatch.tools.explain_eval eval.json CLIPS [--config FILE] [--model M]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from alerts.events import Box, EventType
from alerts.params import Anchor, RuleParams
from alerts.rules.geometry import anchor_points
from stairwatch.assets import default_model_path
from stairwatch.commands.eval import parse_class_map
from stairwatch.config import ConfigError, ModelConfig, load_settings
from stairwatch.evaluation.errors import EvaluationError
from stairwatch.evaluation.sidecar import LabeledClip, find_clips
from streams.errors import StreamError
from streams.file_source import FileSource
from vision.bytetrack import box_iou
from vision.detector import Detector, load_detector
from vision.errors import VisionError
from vision.kinds import KindMapper, ObjectKind
from vision.zones import Zone, points_in_polygon

KIND_OF: dict[EventType, ObjectKind] = {
    EventType.EBIKE_PARKED: ObjectKind.EBIKE,
    EventType.EBIKE_IN_ELEVATOR: ObjectKind.EBIKE,
    EventType.FLYING_WIRE: ObjectKind.CABLE,
    EventType.SHED_INTRUSION: ObjectKind.PERSON,
}
"""The detector's kind each event type is about; types missing here (other than those whose
rule names its ``kinds``, as ``exit_blocked``) are not explained."""

NEAR_ALERT_S = 1.0  # a false alarm's object is looked for this close to its alert
SAME_PLACE_IOU = 0.3  # boxes overlapping this much are the same object at the same place


@dataclass(frozen=True)
class FrameBoxes:
    """One frame's detections: ``xyxy`` (N, 4) normalized to the frame, ``score`` (N,),
    ``kind`` (N,) the :class:`ObjectKind` values."""

    t: float
    xyxy: NDArray[np.float64]
    score: NDArray[np.float32]
    kind: NDArray[np.str_]


@dataclass(frozen=True)
class Question:
    """A miss (``start_s``..``end_s``) or a false alarm (alerted at ``start_s`` = ``end_s``).
    ``found_beside``: events of the same type and zone in the clip that were found."""

    clip: str
    outcome: str  # "miss" or "false alarm"
    type: EventType
    zone: str | None
    start_s: float
    end_s: float
    found_beside: int = 0


@dataclass(frozen=True)
class Answer:
    """What the detector saw for a :class:`Question`. Scores are None where no box was found.

    ``best``: the best score of the kind in the zone over the question's time; ``lasted_s``:
    seconds a box of the kind was at or above the confidence (a miss: in the zone over the
    event's time; a false alarm: at that object's place, over the whole clip); ``other``: the
    best other kind overlapping a false alarm's box, as ``(kind, score, IoU)``."""

    question: Question
    kind: ObjectKind | None
    best: float | None
    lasted_s: float = 0.0
    other: tuple[str, float, float] | None = None

    def verdict(self, confidence: float) -> str:
        """Where the answer points: the detector, or tracking and the rule."""
        if self.kind is None:
            return "no detector kind for this type"
        if self.question.outcome == "miss":
            if self.best is None or self.best < confidence:
                return "detector: never at the confidence"
            beside = self.question.found_beside
            also = f"; {beside} other event(s) of this zone found" if beside else ""
            return f"in the zone {self.lasted_s:g} s at the confidence: tracking or rule{also}"
        if self.other is not None and self.other[1] >= (self.best or 0.0):
            return f"scored as {self.kind.value}, but as {self.other[0]} higher there"
        return f"the detector scored it as {self.kind.value}"


def questions_from(eval_json: dict) -> list[Question]:
    """Every miss and false alarm in an eval's ``--json`` output (``per_clip``). Raises
    ValueError naming the clip and the field that is missing or wrong."""
    out = []
    for index, clip in enumerate(eval_json.get("per_clip", [])):
        name = clip.get("clip", f"per_clip[{index}]") if isinstance(clip, dict) else index
        try:
            out += _clip_questions(clip)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"per_clip {name}: missing or invalid field {exc}") from exc
    return out


def _clip_questions(clip: dict) -> list[Question]:
    out = []
    found = [(t["type"], t["zone"]) for t in clip["truth"] if t["matched"]]
    for t in clip["truth"]:
        if not t["matched"]:
            beside = found.count((t["type"], t["zone"]))
            event = (EventType(t["type"]), t["zone"], float(t["start_s"]), float(t["end_s"]))
            out.append(Question(clip["clip"], "miss", *event, beside))
    for p in clip["predicted"]:
        if not p["matched"]:
            a = float(p["alert_s"])
            out.append(Question(clip["clip"], "false alarm", EventType(p["type"]), p["zone"], a, a))
    return out


def frame_boxes(
    clip: LabeledClip, detector: Detector, mapper: KindMapper, detect_fps: float
) -> list[FrameBoxes]:
    """The detector's boxes on every frame of ``clip`` sampled at ``detect_fps``."""
    frames = []
    with FileSource(
        clip.video, clip.name, realtime=False, loop=False, start_time=0.0, sample_fps=detect_fps
    ) as source:
        for frame in source:
            found = mapper(detector.detect([frame.image])[0])
            scale = np.array([frame.width, frame.height] * 2, np.float64)
            kinds = np.array([found.class_names[int(c)] for c in found.class_id], np.str_)
            frames.append(FrameBoxes(frame.position_s, found.xyxy / scale, found.confidence, kinds))
    return frames


def in_zone(xyxy: NDArray[np.float64], zone: Zone | None, anchor: Anchor) -> NDArray[np.bool_]:
    """(N,) whether each normalized box has its ``anchor`` (any of its points) in ``zone``
    (None: the whole frame)."""
    if zone is None:
        return np.ones(len(xyxy), bool)
    polygon = np.asarray(zone.polygon, np.float64)
    return np.array(
        [
            points_in_polygon(anchor_points(Box(*map(float, b)), anchor), polygon).any()
            for b in xyxy
        ],
        bool,
    )


def rule_anchor(question: Question, clip: LabeledClip, rules: RuleParams) -> Anchor:
    """The anchor the question's rule places objects by in its zone."""
    return getattr(_rule_section(question, clip, rules), "anchor", None) or Anchor.BOTTOM_CENTER


def rule_kinds(question: Question, clip: LabeledClip, rules: RuleParams) -> tuple[ObjectKind, ...]:
    """The kinds the question's rule is about: its ``kinds`` setting where it has one, else
    :data:`KIND_OF`'s."""
    kinds = getattr(_rule_section(question, clip, rules), "kinds", None)
    if kinds:
        return tuple(kinds)
    kind = KIND_OF.get(question.type)
    return () if kind is None else (kind,)


def _rule_section(question: Question, clip: LabeledClip, rules: RuleParams) -> object:
    """The question's rule settings: ``rules`` (the configuration's) with the clip sidecar's
    overrides for its zone, as ``stairwatch eval`` applies them (None: a rule without any)."""
    params = clip.sidecar.params(rules)
    effective = clip.sidecar.zone_params(rules).get(question.zone or "", params)
    return getattr(effective, question.type.value, None)


def answer(
    question: Question,
    frames: Sequence[FrameBoxes],
    zones: dict[str, Zone],
    confidence: float,
    frame_step_s: float,
    anchor: Anchor = Anchor.BOTTOM_CENTER,
    kinds: Sequence[ObjectKind] | None = None,
) -> Answer:
    """See the module doc. ``frame_step_s``: seconds between ``frames``; ``anchor``: the
    rule's; ``kinds``: the rule's (default: :data:`KIND_OF`'s), answered for the one that
    scored best."""
    if kinds is None:
        kinds = [k] if (k := KIND_OF.get(question.type)) is not None else []
    answers = [
        _answer_for(question, kind, frames, zones, confidence, frame_step_s, anchor)
        for kind in kinds
    ]
    if not answers:
        return Answer(question, None, None)
    return max(answers, key=lambda a: -1.0 if a.best is None else a.best)


def _answer_for(
    question: Question,
    kind: ObjectKind,
    frames: Sequence[FrameBoxes],
    zones: dict[str, Zone],
    confidence: float,
    frame_step_s: float,
    anchor: Anchor,
) -> Answer:
    zone = zones.get(question.zone) if question.zone is not None else None
    slack = NEAR_ALERT_S if question.outcome == "false alarm" else frame_step_s / 2
    best: tuple[float, float, NDArray[np.float64]] | None = None  # score, t, box
    confident = 0
    for f in frames:
        if not question.start_s - slack <= f.t <= question.end_s + slack:
            continue
        rows = np.flatnonzero((f.kind == kind.value) & in_zone(f.xyxy, zone, anchor))
        confident += bool((f.score[rows] >= np.float32(confidence)).any())
        for r in rows:
            if best is None or f.score[r] > best[0]:
                best = (float(f.score[r]), f.t, f.xyxy[r])
    if best is None:
        return Answer(question, kind, None)
    if question.outcome == "miss":
        return Answer(question, kind, round(best[0], 3), round(confident * frame_step_s, 1))
    _, at, box = best
    lasted = frame_step_s * sum(_holds(f, kind, box, confidence) for f in frames)
    other = _best_other(next(f for f in frames if f.t == at), kind, box)
    return Answer(question, kind, round(best[0], 3), round(lasted, 1), other)


def _holds(f: FrameBoxes, kind: ObjectKind, box: NDArray[np.float64], confidence: float) -> bool:
    rows = (f.kind == kind.value) & (f.score >= np.float32(confidence))
    return bool(rows.any() and box_iou(box[None], f.xyxy[rows]).max() >= SAME_PLACE_IOU)


def _best_other(
    f: FrameBoxes, kind: ObjectKind, box: NDArray[np.float64]
) -> tuple[str, float, float] | None:
    rows = np.flatnonzero(f.kind != kind.value)
    if len(rows) == 0:
        return None
    overlap = box_iou(box[None], f.xyxy[rows])[0]
    near = [
        (float(f.score[r]), float(o), str(f.kind[r]))
        for r, o in zip(rows, overlap, strict=True)
        if o >= SAME_PLACE_IOU
    ]
    if not near:
        return None
    score, iou, name = max(near)
    return name, round(score, 3), round(iou, 2)


def format_answers(answers: Sequence[Answer], confidence: float) -> str:
    lines = [f"{'clip':44} {'outcome':11} {'type':18} {'at s':>11} {'best':>5} {'lasted':>6}  why"]
    for a in answers:
        q = a.question
        at = f"{q.start_s:g}" if q.start_s == q.end_s else f"{q.start_s:g}-{q.end_s:g}"
        best = "-" if a.best is None else f"{a.best:.2f}"
        lasted = "" if a.best is None else f"{a.lasted_s:g}"
        why = a.verdict(confidence)
        if a.other is not None:
            why += f" ({a.other[0]} {a.other[1]:.2f}, IoU {a.other[2]:.2f})"
        head = f"{q.clip[:44]:44} {q.outcome:11} {q.type.value:18} {at:>11}"
        lines.append(f"{head} {best:>5} {lasted:>6}  {why}")
    return "\n".join(lines)


def explain(
    eval_json: dict,
    clips_dir: Path,
    detector: Detector,
    confidence: float,
    detect_fps: float = 2.0,
    class_map: dict[ObjectKind, tuple[str, ...]] | None = None,
    rules: RuleParams | None = None,
) -> list[Answer]:
    """An :class:`Answer` for every miss and false alarm of ``eval_json``, clip by clip.
    ``class_map``: the model's class names for each kind, as ``stairwatch eval --map``;
    ``rules``: the configuration's rules the run used (default: the defaults).

    Raises ValueError for a malformed ``eval_json`` or one naming a clip ``clips_dir`` lacks."""
    questions = questions_from(eval_json)
    clips = {c.name: c for c in find_clips(clips_dir)}
    missing = sorted({q.clip for q in questions} - set(clips))
    if missing:
        raise ValueError(f"{clips_dir}: no labelled clip {', '.join(missing)}")
    mapper = KindMapper(detector.class_names, class_map or {})
    step = 1.0 / detect_fps
    rules = rules or RuleParams()
    answers = []
    for name in dict.fromkeys(q.clip for q in questions):
        clip = clips[name]
        frames = frame_boxes(clip, detector, mapper, detect_fps)
        zones = {z.name: z for z in clip.sidecar.to_zones()}
        for q in (q for q in questions if q.clip == name):
            anchor, kinds = rule_anchor(q, clip, rules), rule_kinds(q, clip, rules)
            answers.append(answer(q, frames, zones, confidence, step, anchor, kinds))
    return answers


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("eval_json", type=Path, help="the --json of a stairwatch eval run")
    p.add_argument("clips_dir", type=Path, help="the clips that run scored")
    p.add_argument("--config", type=Path, default=None, help="the configuration of that run")
    p.add_argument("--model", type=Path, default=None, help="default: the configuration's")
    p.add_argument("--labels", type=Path, default=None, help="class names file (YOLOX exports)")
    p.add_argument("--confidence", type=float, default=None, help="default: model.confidence")
    p.add_argument("--floor", type=float, default=0.05, help="lowest score looked at")
    p.add_argument("--detect-fps", type=float, default=2.0)
    p.add_argument("--map", action="append", default=[], metavar="KIND=NAME[,NAME...]")
    args = p.parse_args(argv)
    try:
        model, rules = _configured(args.config)
        eval_json = json.loads(args.eval_json.read_text())
        cli_map = {ObjectKind(k): v for k, v in parse_class_map(args.map).items()}
        class_map = {**model.kind_map(), **cli_map}
        path = args.model or (model.path if args.config else default_model_path())
        labels = args.labels or (model.labels if args.model is None else None)
        confidence = args.confidence if args.confidence is not None else model.confidence
        detector = load_detector(path, labels, confidence=args.floor)
        answers = explain(
            eval_json, args.clips_dir, detector, confidence, args.detect_fps, class_map, rules
        )
    except (ConfigError, OSError, ValueError, EvaluationError, StreamError, VisionError) as exc:
        print(f"explain_eval: {exc}", file=sys.stderr)
        return 2
    print(format_answers(answers, confidence))
    return 0


def _configured(config: Path | None) -> tuple[ModelConfig, RuleParams]:
    """The model and rule settings of ``config``, or the defaults without one."""
    if config is None:
        return ModelConfig(), RuleParams()
    settings = load_settings(config)
    return settings.model, settings.rules


if __name__ == "__main__":
    sys.exit(main())
