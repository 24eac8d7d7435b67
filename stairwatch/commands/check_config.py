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
    from stairwatch.config import load_checked_settings

    settings, problems = load_checked_settings(args.file)
    for problem in problems:
        print(problem, file=sys.stderr)
    if settings is None:
        return 2
    print("ok")
    return 0
