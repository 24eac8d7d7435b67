"""``stairwatch hash-password``: the ``password_hash`` of a dashboard user, for the config."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "hash-password",
        help="hash a dashboard user's password for server.users[].password_hash",
        description="Asks for the password twice (or reads one line from stdin with --stdin) "
        "and prints its PBKDF2-SHA256 hash. The password itself is never stored.",
    )
    p.add_argument("--stdin", action="store_true", help="read the password from stdin")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dashboard.auth import hash_password

    if args.stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("stairwatch hash-password: the two passwords differ", file=sys.stderr)
            return 2
    if len(password) < 8:
        print("stairwatch hash-password: use at least 8 characters", file=sys.stderr)
        return 2
    print(hash_password(password))
    return 0
