"""``stairwatch gen-secret``: a fresh random secret for ``link_secret`` or ``session_secret``."""

from __future__ import annotations

import argparse
from typing import Any

SECRET_BYTES = 32


def register(sub: Any) -> None:
    p = sub.add_parser(
        "gen-secret",
        help="print a new random secret for notifications.link_secret or server.session_secret",
        description=f"Prints {SECRET_BYTES} random bytes as URL-safe base64 (43 characters). "
        "Use a different one for each setting.",
    )
    p.set_defaults(func=run)


def run(_args: argparse.Namespace) -> int:
    import secrets

    print(secrets.token_urlsafe(SECRET_BYTES))
    return 0
