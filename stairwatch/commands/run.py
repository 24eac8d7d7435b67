"""``stairwatch run --config FILE``: the service and its dashboard from a configuration file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from stairwatch.commands import add_log_level, load_config_or_report


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="run the service and dashboard from a configuration file")
    p.add_argument("--config", type=Path, required=True, help="YAML configuration")
    p.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    add_log_level(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from stairwatch.serve import serve

    settings = load_config_or_report(args.config)
    if settings is None:
        return 2
    return serve(settings, args.duration, args.config)
