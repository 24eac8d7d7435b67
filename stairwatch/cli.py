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
    "stairwatch.commands.eval",
    "stairwatch.commands.bench",
    "lab.commands.synth",
    "lab.commands.train",
    "lab.commands.export",
    "stairwatch.commands.hash_password",
    "stairwatch.commands.gen_secret",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stairwatch",
        description="Watch stairwells, corridors and elevators for e-bikes and flying wires.",
    )
    parser.add_argument("--version", action="version", version=f"stairwatch {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
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
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
