"""``stairwatch serve --config FILE``: the dashboard alone over the configured store (a fleet's
control room: every node's events and ``/api/nodes``), with no cameras."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from stairwatch.commands import add_log_level


def register(sub: Any) -> None:
    p = sub.add_parser(
        "serve", help="run only the dashboard over the configured database (no cameras)"
    )
    p.add_argument("--config", type=Path, required=True, help="YAML configuration")
    p.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    add_log_level(p)
    # `stairwatch run` starts its dashboard process so (server.process: own); not for people.
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--worker", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--listen-fd", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from stairwatch.config import ConfigError, load_settings
    from stairwatch.serve import ChildOf, serve_dashboard

    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"{exc.source}: {problem}", file=sys.stderr)
        return 2
    child = ChildOf(args.worker, args.listen_fd) if args.child else None
    return serve_dashboard(settings, args.duration, child=child)
