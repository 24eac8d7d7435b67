"""Sub-commands of ``stairwatch``.

Each module has ``register(subparsers)``; the parser's ``func`` runs it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stairwatch.config import Settings

LOG_LEVELS = ("debug", "info", "warning", "error")


def add_log_level(parser: argparse.ArgumentParser) -> None:
    """``--log-level`` for a long-running command (``-v`` before the command means debug)."""
    parser.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        default="info",
        help="info (default): the URL, cameras and events; debug adds every library's lines",
    )


def load_config_or_report(path: Path) -> Settings | None:
    """The checked configuration at ``path``; None after printing each problem to stderr."""
    from stairwatch.config import load_checked_settings

    settings, problems = load_checked_settings(path)
    for problem in problems:
        print(problem, file=sys.stderr)
    return settings
