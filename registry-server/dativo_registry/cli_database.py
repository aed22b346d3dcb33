"""The database options every ``dativo-registry`` command takes, and opening what they name.

``--data-dir`` (default ``./registry-data``; blobs, and the SQLite database)
and ``--database-url`` (default: SQLite in the data dir), both also read from
the environment. Opening the database brings its schema up to date, and an
unreachable one is a :class:`~dativo_registry.errors.RegistryError` that
names it, without its password.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session

from dativo_registry import db
from dativo_registry.config import Settings
from dativo_registry.errors import RegistryError

__all__ = [
    "DEFAULT_DATA_DIR",
    "ENV_DATABASE_URL",
    "ENV_DATA_DIR",
    "database_options",
    "database_session",
    "open_database",
    "shown_url",
]

F = TypeVar("F", bound=Callable[..., Any])

ENV_DATA_DIR = "DATIVO_REGISTRY_DATA_DIR"
ENV_DATABASE_URL = "DATIVO_REGISTRY_DATABASE_URL"
DEFAULT_DATA_DIR = Path("registry-data")


def database_options(command: F) -> F:
    """``--data-dir`` and ``--database-url``, shared by every command."""
    command = click.option(
        "--database-url",
        envvar=ENV_DATABASE_URL,
        help=(
            "SQLAlchemy URL, e.g. postgresql://user@host/db (default: SQLite in the data dir). "
            f"A URL with a password is better passed in ${ENV_DATABASE_URL}."
        ),
    )(command)
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=DEFAULT_DATA_DIR,
        show_default=True,
        envvar=ENV_DATA_DIR,
        help="Where blobs (and the SQLite database) live.",
    )(command)


def open_database(data_dir: Path, database_url: str | None) -> Engine:
    """An engine on a database migrated to the current schema; a clear error if unreachable."""
    try:
        engine = db.make_engine(Settings(data_dir=data_dir, database_url=database_url))
        db.upgrade(engine)
    except (ArgumentError, DBAPIError) as exc:
        reason = getattr(exc, "orig", None) or exc
        raise RegistryError(
            f"cannot open the database {shown_url(database_url)}: {str(reason).strip()}\n"
            "  check --database-url (and that the database server is running)"
        ) from exc
    return engine


@contextlib.contextmanager
def database_session(data_dir: Path, database_url: str | None) -> Iterator[Session]:
    """A session on the migrated database, committed when the block succeeds."""
    engine = open_database(data_dir, database_url)
    try:
        with db.make_sessionmaker(engine).begin() as session:
            yield session
    finally:
        engine.dispose()


def shown_url(database_url: str | None) -> str:
    """The database URL without its password, for messages (SQLite: "SQLite in the data dir")."""
    if not database_url:
        return "SQLite in the data dir"
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(database_url)
