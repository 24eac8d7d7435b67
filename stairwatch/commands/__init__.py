"""Sub-commands of ``stairwatch``.

Each module has ``register(subparsers)``; the parser's ``func`` runs it.
"""

from __future__ import annotations

import argparse

LOG_LEVELS = ("debug", "info", "warning", "error")


def add_log_level(parser: argparse.ArgumentParser) -> None:
    """``--log-level`` for a long-running command (``-v`` before the command means debug)."""
    parser.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        default="info",
        help="info (default): the URL, cameras and events; debug adds every library's lines",
    )
