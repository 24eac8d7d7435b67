"""``stairwatch purge --config FILE (--camera ID | --before DATE | --event ID) [--dry-run]``:
carry out a deletion request (see :mod:`alerts.purge`)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from stairwatch.commands import load_config_or_report


def register(sub: Any) -> None:
    p = sub.add_parser(
        "purge",
        help="delete the events, messages and files of a camera, a period or an event",
        description="Removes the events of the range with their trails, reviews, outbox rows "
        "and files (snapshots, clips, training frames), and writes who did it and how much "
        "went to the access log. --dry-run only counts.",
    )
    p.add_argument("--config", type=Path, required=True, help="YAML configuration")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--camera", metavar="ID", help="everything of this camera")
    which.add_argument(
        "--before",
        metavar="DATE",
        help="everything alerted before YYYY-MM-DD[THH:MM] (notifications.timezone)",
    )
    which.add_argument("--event", metavar="ID", help="this one event")
    p.add_argument("--dry-run", action="store_true", help="count what would go; delete nothing")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from alerts.errors import StoreError
    from alerts.purge import purge, scope_for
    from alerts.store import EventStore
    from dashboard.views import resolve_timezone

    settings = load_config_or_report(args.config)
    if settings is None:
        return 2
    storage = settings.storage
    try:
        tz = resolve_timezone(settings.notifications.timezone)
        scope = scope_for(args.camera, args.before, args.event, tz)
        with EventStore.open(storage.resolved_database_url(), storage.data_dir / "media") as store:
            report = purge(
                store,
                scope,
                actor=f"cli:{getpass.getuser()}",
                dry_run=args.dry_run,
                known_cameras={c.id for c in settings.cameras},
            )
    except StoreError as exc:
        print(f"stairwatch purge: {exc}", file=sys.stderr)
        return 2
    verb = "would remove" if report.dry_run else "removed"
    print(f"{report.scope}: {verb} {report.summary()}")
    return 0
