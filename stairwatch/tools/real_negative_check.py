"""Check a model on real footage of people indoors (no e-bikes, no cables).

Uses ``one-by-one-person-detection.mp4`` (Intel sample videos, CC BY 4.0) from ``../shared``:
1. person recall on hand-checked frames (we looked at each: a person is visible, or nobody is);
2. ``stairwatch eval`` of the whole clip with the whole frame as a ``no_parking`` and a
   ``cable_watch`` zone, where any e-bike or cable event is a false alarm.

Usage::

    python -m stairwatch.tools.real_negative_check [--model models/stairwatch-default.onnx] \
        [--shared ../shared] [--config stairwatch.yaml] [--json OUT]

``--config`` takes ``model.input_size`` and the global rules from a service configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from stairwatch.assets import default_model_path, project_root
from vision.detector import load_detector

CLIP = Path("clips/intel/one-by-one-person-detection.mp4")
# Seconds into the clip, checked by eye: True where a person is visible, False where nobody is.
HAND_CHECKED: tuple[tuple[float, bool], ...] = (
    (5, False), (13, True), (21, False), (29, True), (37, True), (45, False), (53, True),
    (61, True), (69, True), (77, True), (85, True), (93, True), (101, True), (109, True),
    (117, True), (125, True), (133, True),
)  # fmt: skip
WHOLE_FRAME = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]


@dataclass(frozen=True)
class PersonCheck:
    frames_with_person: int
    found: int
    frames_without_person: int
    false_person_frames: int

    @property
    def recall(self) -> float:
        return self.found / max(self.frames_with_person, 1)


def person_recall(
    model: Path, clip: Path, confidence: float, input_side: int | None = None
) -> PersonCheck:
    """Person recall on the hand-checked frames; ``input_side``: the model input's long side
    in pixels for a model with a dynamic input (None: the model's own)."""
    import cv2
    import numpy as np

    detector = load_detector(model, confidence=confidence, input_side=input_side)
    cap = cv2.VideoCapture(str(clip))
    fps = cap.get(cv2.CAP_PROP_FPS)
    found = false_frames = 0
    for t, present in HAND_CHECKED:
        cap.set(cv2.CAP_PROP_POS_FRAMES, int(t * fps))
        ok, frame = cap.read()
        if not ok:
            raise SystemExit(f"{clip}: cannot read the frame at {t} s")
        seen = "person" in detector.detect([np.asarray(frame, np.uint8)])[0].labels
        found += int(seen and present)
        false_frames += int(seen and not present)
    cap.release()
    positives = sum(p for _, p in HAND_CHECKED)
    return PersonCheck(positives, found, len(HAND_CHECKED) - positives, false_frames)


@dataclass(frozen=True)
class EventCheck:
    false_alarms: int
    predicted: tuple[str, ...]  # "type@alert_s" of every event raised


def no_event_eval(model: Path, clip: Path, work: Path, config: Path | None = None) -> EventCheck:
    from stairwatch.cli import main as cli

    (work / clip.name).symlink_to(clip.resolve())
    sidecar = {
        "camera": {"kind": "indoor room (real, Intel sample video)"},
        "zones": [
            {"name": "floor", "kind": "no_parking", "polygon": WHOLE_FRAME},
            {"name": "walls", "kind": "cable_watch", "polygon": WHOLE_FRAME},
        ],
        "events": [],
    }
    (work / f"{clip.stem}.json").write_text(json.dumps(sidecar))
    out = work / "eval.json"
    settings = [] if config is None else ["--config", str(config)]
    code = cli(
        ["eval", str(work), "--model", str(model), "--json", str(out), "--no-progress", *settings]
    )
    if code != 0:
        raise SystemExit(code)
    result = json.loads(out.read_text())
    predicted = tuple(f"{e['type']}@{e['alert_s']}" for e in result["per_clip"][0]["predicted"])
    return EventCheck(result["overall"]["fp"], predicted)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path, default=default_model_path())
    p.add_argument("--shared", type=Path, default=project_root().parent / "shared")
    p.add_argument("--confidence", type=float, default=0.35)
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--config", type=Path, help="service configuration (model.input_size, rules)")
    args = p.parse_args(argv)
    clip = args.shared / CLIP
    if not clip.is_file():
        print(f"{clip}: not found (../shared is not shipped with stairwatch)", file=sys.stderr)
        return 2
    persons = person_recall(args.model, clip, args.confidence, _input_side(args.config))
    with tempfile.TemporaryDirectory() as tmp:
        events = no_event_eval(args.model, clip, Path(tmp), args.config)
    report: dict[str, object] = {
        "model": str(args.model),
        "persons": {**asdict(persons), "recall": round(persons.recall, 3)},
    }
    report["events"] = asdict(events)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


def _input_side(config: Path | None) -> int:
    """``model.input_size`` of ``config``, else its default."""
    from stairwatch.config import ConfigError, ModelConfig, load_settings

    if config is None:
        return ModelConfig().input_size
    try:
        return load_settings(config).model.input_size
    except ConfigError as exc:
        raise SystemExit("\n".join(f"{exc.source}: {p}" for p in exc.problems)) from None


if __name__ == "__main__":
    sys.exit(main())
