"""``stairwatch dataset export``: the site's reviewed events as training data and clips."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "dataset",
        help="make training data of the site's reviewed events",
        description="Datasets made of what the operators said about the alerts.",
    )
    actions = p.add_subparsers(dest="dataset_command", required=True, metavar="ACTION")
    e = actions.add_parser(
        "export",
        help="an Ultralytics dataset and an evaluation set of the reviewed events",
        description="Writes OUT/data.yaml, images/ and labels/ (train and val, split by camera "
        "and time), clips/ with a ground-truth sidecar per reviewed clip (clips-val/: the "
        "held-out ones) and manifest.json.",
    )
    e.add_argument("--config", type=Path, required=True, help="the service's configuration")
    e.add_argument("--out", type=Path, required=True, help="a new (or empty) folder")
    e.add_argument("--since", metavar="DATE", help="only events alerted since, e.g. 2026-12-01")
    e.add_argument("--cameras", nargs="+", metavar="ID", help="only these cameras")
    e.add_argument(
        "--gap-minutes",
        type=float,
        default=30.0,
        help="events of a camera this far apart start a new run; runs never straddle the split",
    )
    e.add_argument(
        "--val-share", type=float, default=0.2, help="share of each camera's latest runs held out"
    )
    e.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"stairwatch dataset export: {message}", file=sys.stderr)
    return 2


def parse_since(text: str) -> float:
    """``2026-12-01`` or ``2026-12-01T08:00`` (local time unless it names a zone) -> Unix
    seconds; raises ValueError naming the value."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise ValueError(f"--since {text!r}: expected a date such as 2026-12-01") from None


def run(args: argparse.Namespace) -> int:
    from alerts.errors import StoreError
    from alerts.store import EventStore
    from stairwatch.config import ConfigError, load_settings
    from stairwatch.teach.errors import TeachError
    from stairwatch.teach.export import ExportOptions, export_dataset

    try:
        since = None if args.since is None else parse_since(args.since)
        settings = load_settings(args.config)
    except ValueError as exc:
        return _fail(str(exc))
    except ConfigError as exc:
        return _fail("\n".join(f"{exc.source}: {p}" for p in exc.problems))
    options = ExportOptions(
        out=args.out,
        since=since,
        cameras=None if args.cameras is None else tuple(args.cameras),
        gap_s=args.gap_minutes * 60,
        val_share=args.val_share,
    )
    storage = settings.storage
    try:
        store = EventStore.open(storage.resolved_database_url(), storage.data_dir / "media")
    except StoreError as exc:
        return _fail(str(exc))
    try:
        manifest = export_dataset(store, settings, options)
    except TeachError as exc:
        return _fail(str(exc))
    finally:
        store.close()
    used = sum(1 for e in manifest.events if e.split is not None)
    print(f"{used} of {len(manifest.events)} reviewed events exported to {args.out}")
    for side, count in manifest.images.items():
        print(f"  {side:<5} {count} images, {manifest.clips[side]} clips")
    data = args.out / "data.yaml"
    print(f"train: stairwatch train --model models/stairwatch-default.pt --data {data}")
    print(f"measure: stairwatch eval {args.out / 'clips-val'} --model A.onnx --model B.onnx")
    return 0
