"""Every secret of the configuration, and a scrubber that masks them in free text.

Delivery errors are fixed texts already (:mod:`alerts.channels.failures`); masking what is
stored and logged against the configured secrets is the second layer, for a text that slips
through (a bug, a new channel). Secrets shorter than :data:`MIN_SCRUBBED_LEN` characters are
left alone: masking "pw" would garble every message and hide nothing worth hiding.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import BaseModel, SecretStr

from streams.redact import MASK, split_credentials

MIN_SCRUBBED_LEN = 4
MIN_QUERY_TOKEN_LEN = 6  # shorter query values are switches (on=true), not keys
MIN_PATH_TOKEN_LEN = 16  # a path segment this long in a secret URL is a robot's hook id


def configured_secrets(*configs: object) -> frozenset[str]:
    """The secrets inside pydantic models (walked through models, dicts, lists): every
    :class:`SecretStr` with its words, its URL's password, query values and long path segments,
    the password of an HTTP Basic value, and the password of any plain-text URL (a database
    URL)."""
    found: set[str] = set()
    for config in configs:
        _collect(config, found)
    return frozenset(s for s in found if len(s) >= MIN_SCRUBBED_LEN)


def _collect(value: object, found: set[str]) -> None:
    if isinstance(value, SecretStr):
        found.update(_parts_of_secret(value.get_secret_value()))
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _collect(getattr(value, name), found)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _collect(item, found)
    elif isinstance(value, str):
        found.update(_url_password(value))


def _parts_of_secret(secret: str) -> Iterable[str]:
    yield secret
    yield unquote(secret)
    words = secret.split()
    yield from words
    yield from _url_password(secret)
    yield from _url_tokens(secret)
    if len(words) == 2 and words[0].lower() == "basic":
        yield from _basic_password(words[1])


def _url_password(text: str) -> Iterable[str]:
    parts = split_credentials(text)
    if parts is not None:
        yield parts[2]
        yield unquote(parts[2])


def _url_tokens(text: str) -> Iterable[str]:
    if "://" not in text:
        return
    try:
        parts = urlsplit(text)
    except ValueError:
        return
    yield from (v for _n, v in parse_qsl(parts.query) if len(v) >= MIN_QUERY_TOKEN_LEN)
    yield from (s for s in parts.path.split("/") if len(s) >= MIN_PATH_TOKEN_LEN)


def _basic_password(token: str) -> Iterable[str]:
    try:
        decoded = base64.b64decode(token, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return
    yield decoded
    yield decoded.partition(":")[2]


@dataclass(frozen=True)
class Scrubber:
    """Masks every known secret in a text; longest first, so a secret that contains another is
    masked whole."""

    secrets: tuple[str, ...] = ()

    @classmethod
    def of(cls, *configs: object) -> Scrubber:
        return cls(tuple(sorted(configured_secrets(*configs), key=len, reverse=True)))

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text
