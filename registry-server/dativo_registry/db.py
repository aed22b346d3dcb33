"""Engines and sessions for SQLite (embedded) and PostgreSQL (scale-out), and schema upgrades."""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any

from alembic import command
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from dativo_registry import migrations
from dativo_registry.config import Settings
from dativo_registry.errors import RegistryError

__all__ = ["make_engine", "make_sessionmaker", "upgrade"]

log = logging.getLogger(__name__)

#: Key of the PostgreSQL advisory lock that serializes schema upgrades ("dativo" in ASCII).
MIGRATION_LOCK_KEY = 0x64617469766F


def make_engine(settings: Settings) -> Engine:
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


SQLITE_BUSY_SECONDS = 30


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run during a write; FULL sync makes a commit survive power loss."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    _enable_wal(cursor)
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _enable_wal(cursor: Any) -> None:
    """Switch to WAL, retrying while another process holds the lock the switch needs.

    WAL mode is stored in the file, so this only waits when several processes
    open a new database at once; the switch does not wait by itself.
    """
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def upgrade(engine: Engine) -> None:
    """Migrate the database to the newest schema revision; a no-op when it is there already.

    Several processes may start at once (``--workers``, or servers sharing one
    PostgreSQL database), so the upgrade runs in one transaction that first
    takes a lock every upgrader needs: the others wait, then find the schema
    current. The lock, the schema changes and the version stamp commit
    together, so a crash mid-upgrade leaves the previous revision intact.
    """
    with engine.begin() as connection:
        _lock_for_upgrade(connection)
        try:
            command.upgrade(migrations.config(connection), "head")
        except CommandError as exc:  # the database names a revision this code does not have
            raise RegistryError(
                f"the database schema is at a revision this dativo-registry does not know "
                f"({exc}); a newer version migrated it: run that version, or upgrade this one"
            ) from exc
    log.debug("database schema is current")


def _lock_for_upgrade(connection: Connection) -> None:
    """Take the database's upgrade lock for the rest of ``connection``'s transaction.

    PostgreSQL: a transaction-scoped advisory lock, released by the commit.
    SQLite: ``BEGIN IMMEDIATE``, the database-wide write lock; it also makes
    the DDL transactional (Python's sqlite3 would otherwise run each
    ``CREATE TABLE`` in its own implicit commit).
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
