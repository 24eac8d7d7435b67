"""Engine set-up and schema migrations for the event store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from alerts.errors import StoreError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 10.0
MIGRATION_LOCK = 0x5374_6169_7277  # any constant: the advisory lock key of schema migrations
SQLITE_ANALYSIS_ROWS = 1000  # rows ANALYZE samples per index


@contextmanager
def transaction(sessions: sessionmaker[Session], label: str = "") -> Iterator[Session]:
    """A session in a transaction, committed on success; database errors become StoreError
    (``"{label}database error: ..."``). Every table kept in the store's database uses it."""
    try:
        with sessions.begin() as session:
            yield session
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise StoreError(f"{label}database error: {type(cause).__name__}: {cause}") from exc


def create_store_engine(database_url: str) -> Engine:
    """An engine for ``database_url``; SQLite gets WAL, foreign keys and a busy timeout."""
    try:
        url = make_url(database_url)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(f"not a database URL: {type(exc).__name__}") from None
    try:
        if url.get_backend_name() == "sqlite":
            return _sqlite_engine(url)
        return create_engine(url, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError) as exc:
        shown = url.render_as_string(hide_password=True)
        hint = ""
        if isinstance(exc, ImportError) and url.get_backend_name() == "postgresql":
            hint = " (install the driver: pip install 'stairwatch[postgres]')"
        raise StoreError(f"cannot use database {shown}: {exc}{hint}") from exc


def run_migrations(engine: Engine) -> None:
    """Upgrade the schema to the newest revision shipped in ``alerts/migrations``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Nodes of a fleet starting together: one migrates, the others wait for it.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        shown = engine.url.render_as_string(hide_password=True)
        raise StoreError(f"cannot migrate database {shown}: {exc}") from exc


def refresh_planner_stats(engine: Engine) -> None:
    """SQLite: sample the events' indexes (ANALYZE, a bounded sample: milliseconds on 100,000
    events), so that a query filtering on several columns reads the most selective index.
    PostgreSQL keeps its statistics itself (autovacuum)."""
    if engine.url.get_backend_name() != "sqlite":
        return
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_ROWS}")
            connection.exec_driver_sql("ANALYZE events")
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot analyze the events table: {exc}") from exc


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def _sqlite_engine(url: URL) -> Engine:
    memory = _is_memory(url)
    if not memory and url.database:
        path = Path(url.database)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create database folder {path.parent}: {exc.strerror}"
            ) from exc
    options: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
    }
    if memory:
        options["poolclass"] = StaticPool  # one shared connection, or each one sees a new database
    engine = create_engine(url, **options)
    event.listen(engine, "connect", _sqlite_pragmas_for(memory))
    return engine


def _sqlite_pragmas_for(memory: bool) -> Any:
    def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute(
                    "PRAGMA synchronous=NORMAL"
                )  # safe with WAL; a crash loses no commit
        finally:
            cursor.close()

    return set_pragmas
