"""``stairwatch model promote|rollback``: switch the service's model, measured and reversible."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for annotations: the command's imports stay lazy
    from alerts.access_log import AccessAction
    from stairwatch.config import ModelConfig, Settings


def register(sub: Any) -> None:
    p = sub.add_parser(
        "model",
        help="switch the service's model (measured on the site's clips) or go back",
        description="The running service swaps in the new model file within seconds, keeping "
        "every camera and event. Each switch is written to the access log.",
    )
    actions = p.add_subparsers(dest="model_command", required=True, metavar="ACTION")
    promote = actions.add_parser(
        "promote",
        help="install NEW.onnx as model.path if it scores no worse on the site's clips",
        description="Evaluates NEW and the running model on the site's labelled clips "
        "(--clips, else model.site_clips) and refuses NEW when its event F1 is lower (or equal "
        "with more false alarms, or both equal and a lower frame mAP50). The replaced model "
        "is kept as NAME.previous.onnx.",
    )
    promote.add_argument("new", type=Path, metavar="NEW.onnx")
    promote.add_argument("--config", type=Path, required=True, help="the service's configuration")
    promote.add_argument("--clips", type=Path, help="labelled clips (default: model.site_clips)")
    promote.add_argument(
        "--force", action="store_true", help="install even if worse, or with no clips to measure"
    )
    promote.add_argument("--no-progress", action="store_true", help="no progress bar")
    promote.set_defaults(func=run_promote)
    rollback = actions.add_parser(
        "rollback",
        help="go back to the model the last promotion replaced",
        description="Swaps model.path and NAME.previous.onnx (run again to undo).",
    )
    rollback.add_argument("--config", type=Path, required=True, help="the service's configuration")
    rollback.set_defaults(func=run_rollback)


def _fail(action: str, message: str) -> int:
    print(f"stairwatch model {action}: {message}", file=sys.stderr)
    return 2


def _settings(path: Path) -> Settings:
    from stairwatch.config import ConfigError, load_settings

    try:
        return load_settings(path)
    except ConfigError as exc:
        raise ValueError("\n".join(f"{exc.source}: {p}" for p in exc.problems)) from None


def _log(settings: Settings, action: AccessAction, target: str) -> None:
    """One access-log line for the switch, by the person at the terminal."""
    from alerts.store import EventStore

    storage = settings.storage
    store = EventStore.open(storage.resolved_database_url(), storage.data_dir / "media")
    try:
        store.access.record(getpass.getuser(), action, target)
    finally:
        store.close()


def run_promote(args: argparse.Namespace) -> int:
    from alerts.access_log import AccessAction
    from alerts.errors import StoreError
    from stairwatch.teach.errors import TeachError
    from stairwatch.teach.promote import ModelFiles, check_installable, install

    try:
        settings = _settings(args.config)
        files = ModelFiles(settings.model.path)
        check_installable(args.new, files)
        _check_same_classes(args.new, settings.model, args.force)
        clips = args.clips or settings.model.site_clips
        if clips is None and not args.force:
            raise TeachError(
                "no site clips to measure the new model on: give --clips DIR (`stairwatch "
                "dataset export` OUT/clips-val) or set model.site_clips; --force skips the check"
            )
        if clips is not None and not _measured_no_worse(args, settings, clips):
            return 1
        install(args.new, files)
        _log(settings, AccessAction.MODEL_PROMOTED, args.new.name)
    except (ValueError, TeachError, StoreError) as exc:
        return _fail("promote", str(exc))
    print(f"promoted {args.new} as {files.current} (the replaced one: {files.previous});")
    print("a running service swaps it in within seconds; `stairwatch model rollback` goes back")
    return 0


def _check_same_classes(new: Path, model: ModelConfig, force: bool) -> None:
    """The running service swaps in only a model with its classes (its kind map is built for
    them): raises TeachError otherwise, unless forced (then a restart is needed)."""
    from stairwatch.teach.errors import TeachError
    from vision.detector import load_detector
    from vision.errors import VisionError

    try:
        names = [load_detector(p, model.labels).class_names for p in (model.path, new)]
    except VisionError as exc:
        raise TeachError(str(exc)) from None
    if names[0] != names[1] and not force:
        raise TeachError(
            f"{new} names classes {list(names[1])}, the running model {list(names[0])}: the "
            "service could not swap it in (--force installs it; then restart the service)"
        )


def _measured_no_worse(args: argparse.Namespace, settings: Settings, clips_dir: Path) -> bool:
    """Evaluate both models on ``clips_dir`` and print them side by side; False (and why) when
    the new one is worse and not forced. Raises TeachError for clips or models that fail."""
    from dataclasses import replace

    from stairwatch.evaluation.compare import format_comparison
    from stairwatch.evaluation.errors import EvaluationError, SidecarError
    from stairwatch.evaluation.runner import EvalOptions, ModelSource, evaluate_model
    from stairwatch.evaluation.sidecar import find_clips
    from stairwatch.teach.errors import TeachError
    from stairwatch.teach.promote import worse_reason
    from vision.errors import VisionError

    model = settings.model
    source = ModelSource(
        model.path, model.labels, model.track_confidence, model.iou, model.input_size
    )
    options = EvalOptions(
        model_name="",
        confidence=model.confidence,
        class_map=model.kind_map(),
        rules=settings.rules,
        progress=not args.no_progress,
    )
    try:
        clips = find_clips(clips_dir)
        results = [
            evaluate_model(clips, replace(source, path=path), options).result
            for path in (model.path, args.new)
        ]
    except SidecarError as exc:
        raise TeachError(
            "invalid sidecar\n" + "\n".join(f"{exc.path}: {p}" for p in exc.problems)
        ) from None
    except (EvaluationError, VisionError) as exc:
        raise TeachError(str(exc)) from None
    camera_of = {c.name: c.sidecar.camera.id for c in clips}
    named = [(f"current: {model.path.name}", results[0]), (f"new: {args.new.name}", results[1])]
    print(format_comparison(named, camera_of))
    maps = [None if r.frames is None else r.frames.map50 for r in results]
    why = worse_reason(results[1].overall, results[0].overall, maps[1], maps[0])
    if why is None:
        return True
    if args.force:
        print(f"the new model is worse ({why}); installed anyway (--force)", file=sys.stderr)
        return True
    print(f"stairwatch model promote: refused, the new model is worse on {clips_dir}: {why}; "
          "the running model stays (--force installs it anyway)", file=sys.stderr)  # fmt: skip
    return False


def run_rollback(args: argparse.Namespace) -> int:
    from alerts.access_log import AccessAction
    from alerts.errors import StoreError
    from stairwatch.teach.errors import TeachError
    from stairwatch.teach.promote import ModelFiles, roll_back

    try:
        settings = _settings(args.config)
        files = ModelFiles(settings.model.path)
        roll_back(files)
        _log(settings, AccessAction.MODEL_ROLLED_BACK, files.current.name)
    except (ValueError, TeachError, StoreError) as exc:
        return _fail("rollback", str(exc))
    print(f"rolled back: {files.current} is the previous model again (the one it replaced is "
          f"{files.previous}); a running service swaps it in within seconds")  # fmt: skip
    return 0
