"""Alembic environment for the event store.

:func:`alerts.store.run_migrations` hands an open connection in ``config.attributes["connection"]``;
without one (the ``alembic`` command line with ``-x url=...`` or ``sqlalchemy.url``) an engine is
built from the URL. No logging configuration here: the application owns logging.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

import alerts.access_log
import alerts.fleet_models
import alerts.outbox_models  # noqa: F401  (registers the outbox tables on Base.metadata)
from alerts.models import Base

TARGET_METADATA = Base.metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=TARGET_METADATA,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTER TABLE is limited
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no database: pass -x url=... or set sqlalchemy.url")
    return url


def _run_offline() -> None:
    context.configure(url=_url(), target_metadata=TARGET_METADATA, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    engine = create_engine(_url())
    try:
        with engine.begin() as conn:
            _configure_and_run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
