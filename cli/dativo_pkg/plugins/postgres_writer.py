"""The built-in PostgreSQL writer: one transaction per run, rows streamed with COPY.

How it writes
=============

``open`` connects and starts a transaction, creates the table from the
Arrow schema if it is missing (``create_table``; the type map is in
``_pgtypes``) and, in ``replace`` mode, empties it. Each ``write`` renders
the batch as CSV with ``pyarrow.csv.write_csv`` (C++) and sends it with
``COPY table (columns) FROM STDIN (FORMAT csv)``. ``commit`` records the
run's ``commit_id`` in the commit table and commits, in that same
transaction. So everything the run wrote appears at once, or not at all:
``abort``, an error, or a process killed at any point before the commit
(the server rolls back the transaction of a dead client) leave the table
as it was, the created table included.

NULL and the empty string stay apart: pyarrow quotes every string, and COPY
reads an unquoted empty field as NULL and ``""`` as an empty string.

Replace mode
============

``TRUNCATE`` inside the run's transaction, then the new rows. The table
keeps its identity (grants, indexes, constraints, dependent views) and
nobody ever sees it empty or half-loaded. The cost: TRUNCATE takes an
ACCESS EXCLUSIVE lock, so readers of the table wait from ``open`` until the
commit. Loading a new table and swapping it in by rename would lock only
for the swap, but drops grants and breaks dependent views; for a job that
owns its target table, correctness of the table's identity was chosen.
A table referenced by foreign keys cannot be truncated: that is a
ConfigError.

Commits and replays
===================

The commit table (``commit_table``, created on first use in its own short
transaction so that concurrent jobs do not queue on it) has one row per
commit: ``commit_id text primary key, job_name text, committed_at
timestamptz, rows bigint``. ``recover(commit_id)`` answers from it.

A replay of a commit that is already recorded (the previous run committed,
then died before the runtime saved its state) must not write its rows
twice. ``open`` sees the recorded id and the run becomes a no-op: nothing is
truncated, batches are dropped, and ``commit`` rolls back and reports 0 rows
(and logs why). A concurrent run with the same id is caught at commit by the
primary key (``ON CONFLICT DO NOTHING``) and reported the same way.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass
from typing import Any, Literal

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql
from pydantic import Field, SecretStr, field_validator

from dativo_pkg.errors import ConfigError, DataError, DativoError, PluginError
from dativo_pkg.plugins._pgconn import TableName, check_url, connect, translate_error
from dativo_pkg.plugins._pgtypes import PgColumnType, csv_text_column, pg_column_type
from dativo_pkg.sdk import CommitResult, PluginConfig, WriteContext, Writer

__all__ = ["PostgresWriter", "PostgresWriterConfig"]

logger = logging.getLogger(__name__)

#: COPY's error context names the line: "COPY orders, line 3, column amount: ...".
_COPY_LINE = re.compile(r"\bline (\d+)")

#: Every string is quoted, so "" (empty) and an unquoted empty field (NULL) differ.
_CSV = pacsv.WriteOptions(include_header=False, quoting_style="needed")

_COMMIT_TABLE_DDL = (
    "CREATE TABLE IF NOT EXISTS {} (commit_id text PRIMARY KEY, job_name text, "
    "committed_at timestamptz NOT NULL DEFAULT now(), rows bigint)"
)


class PostgresWriterConfig(PluginConfig):
    """Config of the ``postgres`` writer."""

    url: SecretStr = Field(
        description="libpq connection URL (postgresql://user:password@host:5432/db) or "
        "key=value string. It may hold a password; it is never printed. connect_timeout "
        "defaults to 10 s.",
    )
    table: str = Field(
        description="Target table: 'table' or 'schema.table', taken literally (case-sensitive)."
    )
    mode: Literal["append", "replace"] = Field(
        default="append",
        description="append: add the rows. replace: the table holds exactly this run's rows "
        "(TRUNCATE in the run's transaction; readers wait until the commit).",
    )
    create_table: bool = Field(
        default=True,
        description="Create the table from the Arrow schema when it does not exist.",
    )
    commit_table: str = Field(
        default="_dativo_commits",
        description="Table recording committed commit ids ('table' or 'schema.table'); "
        "it makes replays idempotent. Created on first use.",
    )

    @field_validator("url")
    @classmethod
    def _url_parses(cls, url: SecretStr) -> SecretStr:
        check_url(url.get_secret_value())
        return url

    @field_validator("table", "commit_table")
    @classmethod
    def _table_parses(cls, table: str) -> str:
        TableName.parse(table)
        return table


def _column_types(schema: pa.Schema) -> list[PgColumnType]:
    """The PostgreSQL type of every field; ConfigError naming those that have none."""
    names = schema.names
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigError(
            f"the data has these column names more than once: {repeated}",
            hint="rename the columns upstream",
        )
    found = {field.name: pg_column_type(field.type) for field in schema}
    unmapped = [f"{field.name} ({field.type})" for field in schema if found[field.name] is None]
    if unmapped:
        raise ConfigError(
            f"no PostgreSQL column type for these columns: {', '.join(unmapped)}",
            hint="cast them upstream (lists and structs e.g. to JSON strings)",
        )
    return [column for column in found.values() if column is not None]


@dataclass
class _Run:
    """What one run holds between ``open`` and ``commit`` or ``abort``."""

    conn: psycopg.Connection[Any]
    context: WriteContext
    schema: pa.Schema
    columns: list[PgColumnType]
    target: str  # "schema.table" as resolved on the server
    copy: sql.Composed | None  # None: the commit is already recorded, the run writes nothing
    rows: int = 0
    bytes: int = 0


def _discard(conn: psycopg.Connection[Any]) -> None:
    """Roll back and close; the server would roll back a closed session anyway."""
    with contextlib.suppress(psycopg.Error):
        conn.rollback()
    conn.close()


class PostgresWriter(Writer[PostgresWriterConfig]):
    """Writes Arrow batches into a PostgreSQL table, all of a run in one transaction."""

    config_model = PostgresWriterConfig
    capabilities = ("atomic-commit", "incremental", "idempotent-replay", "create-table", "replace")

    def __init__(self, config: PostgresWriterConfig) -> None:
        super().__init__(config)
        self._table = TableName.parse(config.table)
        self._commit_table = TableName.parse(config.commit_table)
        self._run: _Run | None = None

    # -- the Writer contract ------------------------------------------------------

    def open(self, schema: pa.Schema, context: WriteContext) -> None:
        columns = _column_types(schema)  # before any I/O
        conn = connect(self.config.url.get_secret_value())
        try:
            self._ensure_commit_table(conn)
            if self._is_committed(conn, context.commit_id):
                target, copy = self._resolve_target(conn) or str(self._table), None
                logger.info(
                    "commit %s is already in table %s: this replay writes nothing",
                    context.commit_id,
                    target,
                )
            else:
                target, copy = self._prepare_target(conn, schema, columns)
        except psycopg.Error as exc:
            _discard(conn)
            raise translate_error(exc, subject=f"table {self._table}") from exc
        except DativoError:
            _discard(conn)
            raise
        self._run = _Run(conn, context, schema, columns, target, copy)

    def write(self, batch: pa.RecordBatch) -> None:
        run = self._current_run()
        if run.copy is None or batch.num_rows == 0:
            return
        if not batch.schema.equals(run.schema):
            raise PluginError("a batch's schema differs from the schema given to open()")
        data = _csv(run, batch)
        try:
            with run.conn.cursor() as cursor, cursor.copy(run.copy) as copy:
                copy.write(memoryview(data))
        except psycopg.Error as exc:
            line = _COPY_LINE.search(exc.diag.context or "")
            subject = f"table {run.target}"
            if line:
                subject += f", row {run.rows + int(line[1])} of this run"
            raise translate_error(exc, subject=subject) from exc
        run.rows += batch.num_rows
        run.bytes += data.size

    def commit(self) -> CommitResult:
        run = self._current_run()
        files = [f"postgresql table {run.target}"]
        try:
            if run.copy is None or not self._record_commit(run):
                self.abort()
                return CommitResult(rows=0, bytes=0, files=files)
            run.conn.commit()
        except psycopg.Error as exc:
            # If the connection broke during COMMIT the outcome is unknown:
            # the runtime asks recover(commit_id) before the next run.
            self.abort()
            raise translate_error(exc, subject=f"commit into table {run.target}") from exc
        self._run = None
        run.conn.close()
        return CommitResult(rows=run.rows, bytes=run.bytes, files=files)

    def abort(self) -> None:
        run, self._run = self._run, None
        if run is not None:
            _discard(run.conn)

    def close(self) -> None:
        self.abort()

    def recover(self, commit_id: str) -> bool:
        """True when ``commit_id`` is recorded in the commit table (its rows are durable)."""
        with connect(self.config.url.get_secret_value(), autocommit=True) as conn:
            try:
                return self._is_committed(conn, commit_id)
            except psycopg.Error as exc:
                raise translate_error(exc, subject=f"table {self._commit_table}") from exc

    # -- the steps ----------------------------------------------------------------

    def _current_run(self) -> _Run:
        if self._run is None:
            raise PluginError("the postgres writer is not open (open() first, once per run)")
        return self._run

    def _relation_exists(self, conn: psycopg.Connection[Any], table: TableName) -> bool:
        row = conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL", [table.identifier.as_string(conn)]
        ).fetchone()
        return bool(row and row[0])

    def _ensure_commit_table(self, conn: psycopg.Connection[Any]) -> None:
        """Create the commit table if needed, committed at once (not with the data)."""
        if not self._relation_exists(conn, self._commit_table):
            try:
                conn.execute(sql.SQL(_COMMIT_TABLE_DDL).format(self._commit_table.identifier))
            except psycopg.errors.UniqueViolation:
                conn.rollback()  # a concurrent writer created it first
                return
        conn.commit()

    def _is_committed(self, conn: psycopg.Connection[Any], commit_id: str) -> bool:
        if not self._relation_exists(conn, self._commit_table):
            return False
        query = sql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE commit_id = %s)")
        row = conn.execute(query.format(self._commit_table.identifier), [commit_id]).fetchone()
        return bool(row and row[0])

    def _resolve_target(self, conn: psycopg.Connection[Any]) -> str | None:
        """The table's "schema.table" on the server, or None when it does not exist."""
        row = conn.execute(
            "SELECT n.nspname, c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(%s)",
            [self._table.identifier.as_string(conn)],
        ).fetchone()
        return f"{row[0]}.{row[1]}" if row else None

    def _prepare_target(
        self, conn: psycopg.Connection[Any], schema: pa.Schema, columns: list[PgColumnType]
    ) -> tuple[str, sql.Composed]:
        """Create or check the table and empty it for replace: its name and COPY statement."""
        table = self._table.identifier
        if self.config.create_table:
            definitions = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(field.name), sql.SQL(column.ddl))
                for field, column in zip(schema, columns, strict=True)
            )
            conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(table, definitions))
        target = self._resolve_target(conn)
        if target is None:
            raise ConfigError(
                f"table {self._table} does not exist",
                hint="create it, or set create_table: true",
            )
        self._check_columns(conn, schema, target)
        if self.config.mode == "replace":
            conn.execute(sql.SQL("TRUNCATE {}").format(table))
        names = sql.SQL(", ").join(sql.Identifier(name) for name in schema.names)
        return target, sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(table, names)

    def _check_columns(self, conn: psycopg.Connection[Any], schema: pa.Schema, target: str) -> None:
        rows = conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) "
            "AND attnum > 0 AND NOT attisdropped",
            [self._table.identifier.as_string(conn)],
        ).fetchall()
        missing = sorted(set(schema.names) - {name for (name,) in rows})
        if missing:
            raise ConfigError(
                f"table {target} has no columns {missing}",
                hint="add them to the table (ALTER TABLE ... ADD COLUMN) or drop them upstream",
            )

    def _record_commit(self, run: _Run) -> bool:
        """Insert the commit row; False when that id is already there (a concurrent replay)."""
        query = sql.SQL(
            "INSERT INTO {} (commit_id, job_name, rows) VALUES (%s, %s, %s) "
            "ON CONFLICT (commit_id) DO NOTHING RETURNING commit_id"
        ).format(self._commit_table.identifier)
        params = [run.context.commit_id, run.context.job_name, run.rows]
        if run.conn.execute(query, params).fetchone() is None:
            logger.info(
                "commit %s was recorded by another run meanwhile: rolled back this one",
                run.context.commit_id,
            )
            return False
        return True


def _csv(run: _Run, batch: pa.RecordBatch) -> pa.Buffer:
    """The batch as COPY-ready CSV text."""
    try:
        arrays = [
            csv_text_column(column, values)
            for column, values in zip(run.columns, batch.columns, strict=True)
        ]
        sink = pa.BufferOutputStream()
        pacsv.write_csv(pa.RecordBatch.from_arrays(arrays, names=batch.schema.names), sink, _CSV)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OverflowError) as exc:
        raise DataError(
            f"table {run.target}: a batch after row {run.rows} of this run cannot be "
            f"rendered for COPY: {exc}",
            hint="cast the column upstream",
        ) from exc
    return sink.getvalue()
