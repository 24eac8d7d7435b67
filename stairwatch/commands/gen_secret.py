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

    from alerts.links import check_link_secret

    while True:
        secret = secrets.token_urlsafe(SECRET_BYTES)
        try:
            check_link_secret(secret)  # refuses a draw that happens to spell "secret"
        except ValueError:
            continue
        print(secret)
        return 0
