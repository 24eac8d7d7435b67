"""``stairwatch check-config FILE``: validate a configuration and name every problem."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("check-config", help="validate a configuration file")
    p.add_argument("file", type=Path)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from stairwatch.config import ConfigError, check_paths, load_settings

    try:
        settings = load_settings(args.file)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"{exc.source}: {problem}", file=sys.stderr)
        return 2
    problems = check_paths(settings)
    for problem in problems:
        print(f"{args.file}: {problem}", file=sys.stderr)
    if problems:
        return 2
    print("ok")
    return 0
