"""False smoke_fire alarms on real footage: every clip and GIF under ``../shared/clips``.

None of that footage shows smoke or fire (people indoors, a car park), so every ``smoke_fire``
event is a false alarm. Each clip is watched as if the whole frame were one ``shed`` zone (the
worst case: the service only looks inside shed zones), at the evaluation's detection rate and the
fire check's faster ``check_fps`` in between (:mod:`stairwatch.cadence`), twice:

1. **check alone**: the rule with no detections at all, so no person box shields a red jacket
   (what ``tests/test_smoke_fire.py`` runs);
2. **as the service runs**: ``stairwatch eval`` with the bundled detector, its person boxes and
   the motion gate.

Usage::

    python -m stairwatch.tools.fire_real_check [--model models/stairwatch-default.onnx] \
        [--shared ../shared] [--alone-only] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from alerts.engine import CameraRuleEngine
from alerts.events import ChangeKind, EventType
from alerts.observation import Observation
from alerts.params import RuleParams
from alerts.rules import smoke_fire
from stairwatch.assets import default_model_path, project_root
from stairwatch.cadence import FrameCadence
from stairwatch.evaluation.sidecar import VIDEO_SUFFIXES
from streams.file_source import FileSource
from vision.detections import Detections
from vision.kinds import KIND_NAMES
from vision.zones import Zone, ZoneKind

DETECT_FPS = 2.0  # as ``stairwatch eval`` and the service's default
WHOLE_FRAME = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))


@dataclass(frozen=True)
class ClipCheck:
    """One clip: its name, seconds watched, frames judged (full and fire-check-only ones), alert
    times of smoke_fire events, the rule engine's time per full frame (milliseconds; the other
    rules idle without detections) and per frame of the fire check alone."""

    clip: str
    seconds: float
    frames: int
    false_alarms: tuple[float, ...]
    ms_per_frame: float
    check_frames: int = 0
    ms_per_check_frame: float = 0.0


def real_clips(shared: Path) -> list[Path]:
    """Every video and GIF under ``shared/clips``, sorted."""
    root = shared / "clips"
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)


def check_alone(clip: Path, params: RuleParams | None = None) -> ClipCheck:
    """The rule over ``clip`` with no detections, the whole frame a ``shed`` zone."""
    params = params or RuleParams()
    zones = [Zone("whole", ZoneKind.SHED, WHOLE_FRAME)]
    engine = CameraRuleEngine(clip.name, zones, params)
    cadence = FrameCadence(DETECT_FPS, smoke_fire.check_fps(zones, params, DETECT_FPS))
    raised: list[float] = []
    frames, busy = [0, 0], [0.0, 0.0]  # full frames, fire-check-only frames
    last = 0.0
    with FileSource(clip, clip.name, start_time=0.0, sample_fps=cadence.sample_fps) as source:
        for frame in source:
            h, w = frame.image.shape[:2]
            obs = Observation(
                clip.name, frame.position_s, w, h, Detections.empty(KIND_NAMES), frame.image
            )
            full = cadence.full(frame.position_s)
            started = time.perf_counter()
            changes = engine.step(obs) if full else engine.step_fire(obs)
            busy[not full] += time.perf_counter() - started
            raised += [c.event.alert_ts for c in changes if c.kind is ChangeKind.RAISED]
            frames[not full] += 1
            last = frame.position_s
    times = tuple(round(t, 1) for t in raised)
    ms = [round(1000 * b / max(n, 1), 2) for b, n in zip(busy, frames, strict=True)]
    return ClipCheck(str(clip), round(last, 1), frames[0], times, ms[0], frames[1], ms[1])


def check_with_detector(clips: list[Path], model: Path, work: Path) -> dict[str, list[float]]:
    """``stairwatch eval`` over ``clips`` (whole frame a shed zone); clip -> smoke_fire times."""
    from stairwatch.cli import main as cli

    sidecar = {
        "camera": {"kind": "real footage, no fire (../shared/clips)"},
        "zones": [{"name": "whole", "kind": "shed", "polygon": [list(p) for p in WHOLE_FRAME]}],
        "events": [],
    }
    for i, clip in enumerate(clips):
        name = f"{i:02d}_{clip.name}"
        (work / name).symlink_to(clip.resolve())
        (work / name).with_suffix(".json").write_text(json.dumps(sidecar))
    out = work / "eval.json"
    code = cli(["eval", str(work), "--model", str(model), "--json", str(out), "--no-progress"])
    if code != 0:
        raise SystemExit(code)
    result = json.loads(out.read_text())
    return {
        row["clip"]: [p["alert_s"] for p in row["predicted"] if p["type"] == EventType.SMOKE_FIRE]
        for row in result["per_clip"]
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path, default=default_model_path())
    p.add_argument("--shared", type=Path, default=project_root().parent / "shared")
    p.add_argument("--alone-only", action="store_true", help="skip the pass with the detector")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    clips = real_clips(args.shared) if (args.shared / "clips").is_dir() else []
    if not clips:
        print(f"{args.shared}/clips: no clips (../shared is not shipped)", file=sys.stderr)
        return 2
    alone = [check_alone(c) for c in clips]
    checks = sum(c.check_frames for c in alone)
    report: dict[str, object] = {
        "clips": len(clips),
        "seconds": round(sum(c.seconds for c in alone), 1),
        "check_alone": {
            "frames": sum(c.frames for c in alone),
            "ms_per_frame": round(
                sum(c.ms_per_frame * c.frames for c in alone) / sum(c.frames for c in alone), 2
            ),
            "check_frames": checks,
            "ms_per_check_frame": round(
                sum(c.ms_per_check_frame * c.check_frames for c in alone) / max(checks, 1), 2
            ),
            "false_alarms": sum(len(c.false_alarms) for c in alone),
            "per_clip": [asdict(c) for c in alone],
        },
    }
    if not args.alone_only:
        with tempfile.TemporaryDirectory() as tmp:
            found = check_with_detector(clips, args.model, Path(tmp))
        report["with_detector"] = {
            "false_alarms": sum(len(v) for v in found.values()),
            "per_clip": found,
        }
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
