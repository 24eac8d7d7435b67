"""``stairwatch demo``: the service and dashboard on the bundled sample clips and model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from stairwatch.commands import add_log_level


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="run on the bundled sample clips with the bundled model")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    p.add_argument("--data-dir", type=Path, default=Path("data/demo"))
    p.add_argument(
        "--clips", type=Path, default=None, help="clips folder (default: sample_videos/)"
    )
    p.add_argument("--model", type=Path, default=None, help="model (default: the bundled one)")
    add_log_level(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from stairwatch.demo import DemoError, demo_settings
    from stairwatch.serve import serve

    try:
        settings = demo_settings(
            clips_dir=args.clips,
            model=args.model,
            data_dir=args.data_dir,
            host=args.host,
            port=args.port,
        )
    except DemoError as exc:
        print(f"stairwatch demo: {exc}", file=sys.stderr)
        return 2
    return serve(settings, args.duration)
