"""Fixtures: the standard dataset written where a plugin reads it, and scratch targets.

File fixtures (csv, parquet, jsonl) write the dataset into a directory as
several files ``part-00000.<ext>``, ``part-00001.<ext>``... sorted by name;
appending adds the next parts. The postgres fixture creates a table in a
scratch database (:class:`ScratchDatabase`: a fresh database per run, made
from the server URL given and dropped afterwards).

CSV files have a header row, comma separators, an empty field for null,
timestamps written ``2024-01-02T03:04:05Z`` and dates ``2024-01-02``; JSON
Lines files write one object per row with the same text forms.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dativo_pkg.errors import ConfigError, SourceUnreachable

__all__ = [
    "FILE_FIXTURES",
    "ScratchDatabase",
    "closed_port_url",
    "dataset_bytes",
    "materialize",
    "text_columns",
]

#: How many part files a dataset is split into (fewer for tiny tables).
PARTS = 3
_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def text_columns(table: pa.Table) -> pa.Table:
    """Timestamps as ``2024-01-02T03:04:05Z`` (UTC), everything else unchanged."""
    for index, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            utc = table.column(index).cast(pa.timestamp("s", tz="UTC"))
            text = pc.strftime(utc, format=_TIMESTAMP_FORMAT)
            table = table.set_column(index, pa.field(field.name, pa.string()), text)
    return table


def _write_csv(table: pa.Table, path: Path) -> None:
    pacsv.write_csv(text_columns(table), path)


def _write_jsonl(table: pa.Table, path: Path) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in text_columns(table).to_pylist():
            fh.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")


def _write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path)


#: File fixture -> (file extension, writer of one part file).
FILE_FIXTURES: dict[str, tuple[str, Callable[[pa.Table, Path], None]]] = {
    "csv": ("csv", _write_csv),
    "jsonl": ("jsonl", _write_jsonl),
    "parquet": ("parquet", _write_parquet),
}


def materialize(
    table: pa.Table,
    fixture: str,
    directory: Path,
    *,
    postgres_url: str | None = None,
    name: str = "standard",
    append: bool = False,
) -> dict[str, str]:
    """Write ``table`` for a reader of ``fixture``; return the placeholder values.

    File fixtures write part files into ``directory/name`` (``{source}``); with
    ``append`` the parts continue after the existing ones. ``postgres`` writes
    the table ``name`` in the database ``postgres_url`` (a scratch database).
    """
    if fixture == "postgres":
        if postgres_url is None:
            raise ConfigError(
                "the postgres fixture needs a PostgreSQL URL",
                hint="pass --postgres-url postgresql://USER@HOST:PORT/DB (a server the "
                "suite may create a scratch database on)",
            )
        _postgres_table(table, postgres_url, name, append=append)
        return {"source": name, "postgres_url": postgres_url}
    if fixture not in FILE_FIXTURES:
        raise ConfigError(f"unknown fixture {fixture!r}", hint="see docs/conformance.md")
    extension, write = FILE_FIXTURES[fixture]
    target = directory / name
    target.mkdir(parents=True, exist_ok=True)
    first = len(list(target.glob(f"part-*.{extension}"))) if append else 0
    parts = max(1, min(PARTS, table.num_rows // 2))
    size = -(-table.num_rows // parts) if table.num_rows else 0
    for index in range(parts):
        chunk = table.slice(index * size, size) if size else table
        write(chunk, target / f"part-{first + index:05d}.{extension}")
    values = {"source": str(target)}
    if postgres_url is not None:
        values["postgres_url"] = postgres_url
    return values


def dataset_bytes(fixture: str, values: dict[str, str]) -> int:
    """Bytes on disk of a materialized dataset (PostgreSQL: the table's total size)."""
    if fixture == "postgres":
        import psycopg

        with psycopg.connect(values["postgres_url"]) as conn:
            row = conn.execute("SELECT pg_total_relation_size(%s::regclass)", [values["source"]])
            found = row.fetchone()
            return int(found[0]) if found else 0
    return sum(p.stat().st_size for p in Path(values["source"]).iterdir() if p.is_file())


_PG_TYPES = {
    "id": "bigint PRIMARY KEY",
    "name": "text",
    "amount": "double precision",
    "active": "boolean",
    "created_at": "timestamptz",
    "day": "date",
    "price": "numeric(12, 2)",
    "payload": "bytea",
}


def _postgres_table(table: pa.Table, url: str, name: str, *, append: bool) -> None:
    import psycopg
    from psycopg import sql

    columns = table.schema.names
    with psycopg.connect(url) as conn:
        if not append:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
            definition = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_PG_TYPES[c])) for c in columns
            )
            conn.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(name), definition))
        copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(name), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with conn.cursor() as cur, cur.copy(copy) as writer:
            for row in table.to_pylist():
                writer.write_row([row[c] for c in columns])


class ScratchDatabase:
    """A fresh database on the server of ``server_url``, dropped (with its sessions) on close."""

    def __init__(self, server_url: str) -> None:
        import psycopg
        from psycopg import sql

        self.name = f"dativo_conformance_{uuid.uuid4().hex[:12]}"
        self._server_url = server_url
        try:
            with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        except psycopg.Error as exc:
            raise SourceUnreachable(
                f"cannot create a scratch database on the PostgreSQL server: {exc}",
                hint="the --postgres-url user needs the CREATEDB privilege",
            ) from exc
        self.url = _with_dbname(server_url, self.name)

    def connections(self) -> int:
        """Sessions open on the scratch database, other than the one asking."""
        import psycopg

        with psycopg.connect(self._server_url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                "pg_backend_pid()",
                [self.name],
            ).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self._server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )


def _with_dbname(url: str, dbname: str) -> str:
    """``url`` pointing at database ``dbname`` (a URL stays a URL, key=value stays so)."""
    from urllib.parse import urlsplit, urlunsplit

    from psycopg import conninfo

    if url.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(url)
        return urlunsplit(parts._replace(path=f"/{dbname}"))
    return conninfo.make_conninfo(url, dbname=dbname)


def closed_port_url() -> str:
    """A PostgreSQL URL whose port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"postgresql://dativo@127.0.0.1:{port}/unreachable?connect_timeout=3"
