"""What the PostgreSQL reader and writer share besides types: table names,
connections, and the translation of server errors into dativo errors.

Connection failures are worded here, never copied from psycopg's text, so no
URL, host, user or password reaches a message.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from dativo_pkg.errors import (
    ConfigError,
    DataError,
    DativoError,
    PluginError,
    SourceUnreachable,
)

__all__ = ["TableName", "check_url", "connect", "sqlstate_error", "translate_error"]


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------


class TableName(NamedTuple):
    """A table name as written in a config: ``name`` or ``schema.name``, taken literally."""

    schema: str | None
    name: str

    @classmethod
    def parse(cls, text: str) -> TableName:
        """Split ``schema.table``; raise ValueError (without the value) when malformed."""
        parts = text.split(".")
        if len(parts) > 2 or not all(parts):
            raise ValueError("expected 'table' or 'schema.table' (names may not contain '.')")
        return cls(None, parts[0]) if len(parts) == 1 else cls(parts[0], parts[1])

    @property
    def identifier(self) -> sql.Identifier:
        """The quoted SQL identifier."""
        parts = (self.name,) if self.schema is None else (self.schema, self.name)
        return sql.Identifier(*parts)

    def __str__(self) -> str:
        return self.name if self.schema is None else f"{self.schema}.{self.name}"


# --------------------------------------------------------------------------
# Connections
# --------------------------------------------------------------------------

#: libpq settings the plugins choose unless the URL sets them.
_CONNECT_DEFAULTS = {"connect_timeout": "10", "application_name": "dativo"}

#: Fragments of libpq/psycopg connection messages -> (what went wrong, next step).
#: The messages themselves are never shown: they name the host and the user.
_CONNECT_FAILURES: list[tuple[tuple[str, ...], str, str]] = [
    (
        ("connection refused",),
        "the server refused the connection",
        "check that PostgreSQL runs and that host and port in `url` are right",
    ),
    (
        ("resolve host", "translate host name", "name or service not known", "nodename nor"),
        "the host name does not resolve",
        "check the host in `url`",
    ),
    (
        ("timeout expired", "timed out"),
        "the connection timed out",
        "check host, port and firewalls; set connect_timeout in `url` to wait longer",
    ),
    (
        ("no route to host", "network is unreachable"),
        "there is no network route to the server",
        "check the host in `url` and the network",
    ),
    (
        ("password authentication failed", "no password supplied", "role", "pg_hba.conf"),
        "authentication failed",
        "check the user and password in `url` and the server's pg_hba.conf",
    ),
    (
        ("database",),
        "the database does not exist",
        "check the database name in `url`",
    ),
    (
        ("ssl", "certificate"),
        "the TLS handshake failed",
        "check sslmode and the certificates in `url`",
    ),
]


def check_url(url: str) -> str:
    """Validate a libpq connection string without connecting (for config validators)."""
    if not url.strip():
        raise ValueError("must not be empty")
    try:
        conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise ValueError("not a valid libpq connection URL or key=value string") from exc
    return url


def _describe_connect_failure(exc: psycopg.Error) -> SourceUnreachable:
    text = str(exc).lower()
    for fragments, what, hint in _CONNECT_FAILURES:
        if any(fragment in text for fragment in fragments):
            return SourceUnreachable(f"cannot connect to PostgreSQL: {what}", hint=hint)
    return SourceUnreachable(
        "cannot connect to PostgreSQL",
        hint="check host, port, user, password and database in `url`",
    )


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """Connect with UTF-8 client encoding; raise SourceUnreachable without the URL in it."""
    given = conninfo_to_dict(url)
    extra = {key: value for key, value in _CONNECT_DEFAULTS.items() if key not in given}
    conninfo = make_conninfo(url, client_encoding="UTF8", **extra)
    try:
        return psycopg.connect(conninfo, autocommit=autocommit)
    except psycopg.Error as exc:
        raise _describe_connect_failure(exc) from None  # the cause names host and user


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

#: SQLSTATE code or two-character class -> (error type, message template, hint).
#: Templates see ``subject`` (e.g. "table public.orders") and ``detail``, the
#: server's primary message (it names SQL objects and values, never the URL).
_SQLSTATE_ERRORS: dict[str, tuple[type[DativoError], str, str]] = {
    "42P01": (
        ConfigError,
        "{subject}: {detail}",
        "check the table name: 'schema.table', case-sensitive as stored",
    ),
    "3F000": (ConfigError, "{subject}: {detail}", "create the schema or fix the table name"),
    "42703": (ConfigError, "{subject}: {detail}", "check the column names"),
    "42501": (
        SourceUnreachable,
        "{subject}: {detail}",
        "grant the connecting user the privileges it needs",
    ),
    "25006": (
        ConfigError,
        "{subject} tries to write, but the reader runs read-only: {detail}",
        "read with a SELECT",
    ),
    "0A": (
        ConfigError,
        "{subject} uses what PostgreSQL does not support here: {detail}",
        "rewrite the SQL",
    ),
    "42": (ConfigError, "{subject} is not valid SQL here: {detail}", "fix the SQL"),
    "22": (DataError, "{subject}: a value failed: {detail}", "fix or filter the value"),
    "23": (DataError, "{subject}: a row breaks a constraint: {detail}", "fix or filter the row"),
    "08": (
        SourceUnreachable,
        "{subject}: the connection to PostgreSQL broke: {detail}",
        "check the server and the network, then run again",
    ),
    "57": (
        SourceUnreachable,
        "{subject}: the server stopped the statement: {detail}",
        "check the server (shutdown, statement_timeout), then run again",
    ),
    "53": (
        SourceUnreachable,
        "{subject}: the server ran out of resources: {detail}",
        "check disk space and memory on the server",
    ),
}


def translate_error(exc: psycopg.Error, *, subject: str) -> DativoError:
    """Turn a psycopg error into the package's error type, by SQLSTATE."""
    if isinstance(exc, psycopg.OperationalError) and not exc.sqlstate:
        return SourceUnreachable(
            f"{subject}: the connection to PostgreSQL failed",
            hint="check the server and the network, then run again",
        )
    detail = exc.diag.message_primary or type(exc).__name__
    return sqlstate_error(exc.sqlstate or "", detail, subject=subject)


def sqlstate_error(sqlstate: str, detail: str, *, subject: str) -> DativoError:
    """The package's error for a server error with this SQLSTATE and primary message."""
    found = _SQLSTATE_ERRORS.get(sqlstate) or _SQLSTATE_ERRORS.get(sqlstate[:2])
    if found is None:
        return PluginError(f"{subject}: PostgreSQL error {sqlstate or '(no SQLSTATE)'}: {detail}")
    error_type, template, hint = found
    return error_type(template.format(subject=subject, detail=detail), hint=hint)
