"""``python -m lab.real_check --shared ../shared --out data/real_check``: build the real-footage
check set (see :mod:`lab.real_check.build`), then score a model on it with
``stairwatch eval data/real_check --model M``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lab.real_check.build import PARTS, BuildOptions, build, part_totals
from lab.real_check.errors import CheckSetError
from vision.errors import VisionError


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m lab.real_check", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--shared", type=Path, required=True, help="the ../shared data folder")
    p.add_argument("--out", type=Path, required=True, help="an empty folder (e.g. data/real_check)")
    p.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    p.add_argument("--limit", type=int, default=None, help="at most this many clips a part")
    p.add_argument("--fps", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        p.error(f"--limit must be >= 1, got {args.limit}")
    if not 1 <= args.fps <= 30:
        p.error(f"--fps must be in [1, 30], got {args.fps}")
    options = BuildOptions(tuple(args.parts), args.limit, args.fps, args.seed)
    try:
        infos = build(args.shared, args.out, options)
    except (CheckSetError, VisionError) as exc:
        print(f"real_check: {exc}", file=sys.stderr)
        return 2
    for part, clips, seconds, events in part_totals(infos):
        print(f"{part:<10} {clips:>4} clips {seconds:>8.1f} s {events:>4} events")
    print(f"wrote {len(infos)} clips to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
