"""The ``stairwatch`` command. Each service sub-command lives in :mod:`stairwatch.commands`; the
model lab's (``synth``, ``train``, ``export``) live in :mod:`lab.commands` and register here only
where the lab is installed.

Command modules import only :mod:`argparse` at the top, so ``stairwatch --help`` stays fast;
heavy imports happen inside each command's ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from stairwatch import __version__

COMMAND_MODULES = (
    "stairwatch.commands.check_config",
    "stairwatch.commands.demo",
    "stairwatch.commands.run",
    "stairwatch.commands.serve",
    "stairwatch.commands.eval",
    "stairwatch.commands.bench",
    "stairwatch.commands.dataset",
    "stairwatch.commands.model",
    "lab.commands.synth",
    "lab.commands.train",
    "lab.commands.export",
    "stairwatch.commands.hash_password",
    "stairwatch.commands.gen_secret",
    "stairwatch.commands.purge",
)
# stairwatch's own packages log at the chosen level; every other library (the migration tool,
# HTTP clients, ...) only from WARNING, unless the level is debug.
OWN_LOGGERS = ("stairwatch", "alerts", "dashboard", "streams", "vision", "lab")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stairwatch",
        description="Watch stairwells, corridors and elevators for e-bikes and flying wires.",
    )
    parser.add_argument("--version", action="version", version=f"stairwatch {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging (all commands)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name not in (name, name.split(".")[0]):
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging("debug" if args.verbose else getattr(args, "log_level", "info"))
    code: int = args.func(args)
    return code


def configure_logging(level_name: str) -> None:
    """Own loggers at ``level_name``; other libraries at WARNING (or DEBUG when debugging)."""
    level = logging.getLevelName(level_name.upper())
    logging.basicConfig(
        level=level if level == logging.DEBUG else max(level, logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(level)


if __name__ == "__main__":
    sys.exit(main())
