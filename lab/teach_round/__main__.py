"""``python -m lab.teach_round --check-set data/real_check --out DIR``: one round of a site's
feedback on the real-footage check set, with the shipped commands, and what it changed.

1. The check set's clips are grouped by camera (:mod:`lab.teach_round.cameras`) and split into
   a first week (``--first-share`` of the clips) and later weeks; ``DIR/first`` and
   ``DIR/later`` link to their clips.
2. ``stairwatch eval DIR/first`` (the bundled model): each alert gets the verdict of an operator
   who knows the truth, each missed event a drawn box (:mod:`lab.teach_round.verdicts`); the
   events go into a fresh store and ``stairwatch dataset export``'s function makes
   ``DIR/site`` of them (:mod:`lab.teach_round.site_store`).
3. ``stairwatch train`` fine-tunes the bundled weights on it (its fine-tune defaults, base data
   replayed with ``--replay``), ``stairwatch export`` makes ONNX (fp32, and int8 like the
   bundled model unless ``--no-int8``).
4. ``stairwatch eval DIR/later`` with the bundled and the fine-tuned models, side by side;
   ``DIR/summary.json`` and the terminal get recall per type and false alarms per hour.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lab.teach_round.cameras import Camera, first_week, group_cameras
from lab.teach_round.summary import summarize_round
from lab.teach_round.verdicts import SiteEvent, clip_events
from stairwatch.teach.export import Manifest


@dataclass(frozen=True)
class RoundTaught:
    """What the first week taught: its events (with verdicts), how many were reviewed, the
    export's manifest, and the fine-tuned ONNX models made."""

    events: list[SiteEvent]
    reviewed: int
    manifest: Manifest
    models: list[Path]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from stairwatch.assets import default_model_path

    bundled = Path(default_model_path())
    p = argparse.ArgumentParser(
        prog="python -m lab.teach_round",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--check-set", type=Path, default=Path("data/real_check"))
    p.add_argument("--out", type=Path, required=True, help="a new folder for everything made")
    p.add_argument("--first-share", type=float, default=0.4, help="clips of the first week")
    p.add_argument("--seed", type=int, default=0, help="which cameras make the first week")
    p.add_argument("--model", type=Path, default=bundled, help="the running (bundled) model")
    p.add_argument("--weights", type=Path, default=bundled.with_suffix(".pt"))
    p.add_argument("--replay", type=Path, help="base training data to replay (data.yaml)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument(
        "--int8",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also export and measure an int8 copy, as the bundled model is",
    )
    return p.parse_args(argv)


def stairwatch(*args: str | Path) -> str:
    """Run a shipped ``stairwatch`` command; its output (also echoed) or SystemExit."""
    command = [sys.executable, "-m", "stairwatch", *(str(a) for a in args)]
    print("$ stairwatch " + " ".join(str(a) for a in args), flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    print(done.stdout[-4000:], done.stderr[-2000:] if done.returncode else "", flush=True)
    if done.returncode != 0:
        raise SystemExit(f"stairwatch {args[0]} failed ({done.returncode})")
    return done.stdout


def link_clips(check_set: Path, clips: list[str], folder: Path) -> None:
    folder.mkdir(parents=True)
    for name in clips:
        for suffix in (".mp4", ".json"):
            (folder / f"{name}{suffix}").symlink_to((check_set / f"{name}{suffix}").resolve())


def split_check_set(check_set: Path, share: float, seed: int) -> tuple[list[Camera], list[Camera]]:
    """(first week, later weeks) of the check set's cameras; SystemExit naming what is wrong."""
    listing = check_set / "manifest.json"
    if not listing.is_file():
        raise SystemExit(f"--check-set {check_set}: no manifest.json (python -m lab.real_check)")
    manifest = json.loads(listing.read_text(encoding="utf-8"))
    try:
        cameras = group_cameras({c["clip"]: c["sources"] for c in manifest["clips"]})
        first = first_week(cameras, share, seed)
    except ValueError as exc:
        raise SystemExit(f"{listing}: {exc}") from None
    return first, [c for c in cameras if c not in first]


def first_week_events(first_dir: Path, result_json: Path) -> list[SiteEvent]:
    from stairwatch.evaluation.metrics import EvalResult
    from stairwatch.evaluation.sidecar import find_clips

    result = EvalResult.model_validate_json(result_json.read_text(encoding="utf-8"))
    frames = {c.name: c.sidecar.labelled_frames() for c in find_clips(first_dir)}
    return [e for row in result.per_clip for e in clip_events(row, frames[row.clip])]


def teach(args: argparse.Namespace, out: Path, first: list[Camera]) -> RoundTaught:
    """Steps 2 and 3: the first week's alerts, verdicts, export, fine-tune and ONNX export."""
    from lab.teach_round.site_store import export_first_week
    from stairwatch.evaluation.sidecar import find_clips

    first_json = out / "first-bundled.json"
    stairwatch("eval", out / "first", "--model", args.model, "--json", first_json, "--no-progress")
    events = first_week_events(out / "first", first_json)
    reviewed, manifest = export_first_week(
        events, find_clips(out / "first"), first, out / "site-store", out / "site"
    )
    print(f"{len(events)} events, {reviewed} reviewed; exported {manifest.images}", flush=True)
    replay = ["--replay", args.replay] if args.replay else []
    stairwatch("train", "--model", args.weights, "--data", out / "site" / "data.yaml", *replay,
               "--epochs", str(args.epochs), "--batch", str(args.batch), "--imgsz", "320",
               "--workers", "0", "--no-plots", "--out", out / "run")  # fmt: skip
    tuned = out / "site-1.onnx"
    calib: list[str | Path] = (
        ["--int8", "--calib-images", out / "site" / "images" / "train"] if args.int8 else []
    )
    stairwatch(
        "export", out / "run" / "weights" / "best.pt", "--out", tuned, "--imgsz", "320", *calib
    )
    models = [tuned, *([tuned.with_name(f"{tuned.stem}_int8.onnx")] if args.int8 else [])]
    return RoundTaught(events, reviewed, manifest, models)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out: Path = args.out
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"--out {out}: exists and is not empty; choose a new folder")
    started = time.perf_counter()
    first, later = split_check_set(args.check_set, args.first_share, args.seed)
    link_clips(args.check_set, [n for c in first for n in c.clips], out / "first")
    link_clips(args.check_set, [n for c in later for n in c.clips], out / "later")
    taught = teach(args, out, first)
    later_json = out / "later.json"
    models = [args.model, *taught.models]
    stairwatch("eval", out / "later", *(a for m in models for a in ("--model", m)),
               "--json", later_json, "--no-progress")  # fmt: skip
    summary = summarize_round(first=first, later=later, events=taught.events,
                              reviewed=taught.reviewed, manifest=taught.manifest,
                              results_json=later_json,
                              minutes=(time.perf_counter() - started) / 60)  # fmt: skip
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
