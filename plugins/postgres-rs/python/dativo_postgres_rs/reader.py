"""The ``postgres_rs`` reader: PostgreSQL binary COPY decoded in Rust into Arrow.

The config is the ``postgres`` reader's (``url``, ``table`` | ``query``,
``columns``, ``batch_rows``) plus ``partitions`` and ``partition_column``, so a
job switches with one line: ``plugin: postgres`` -> ``plugin: postgres_rs``.

What happens where:

* ``schema()`` / ``check()`` open the source in Rust: connect, start a
  ``REPEATABLE READ READ ONLY`` transaction (the snapshot every partition of
  the read will see) and describe the columns. No rows are read.
* ``read()`` hands that open source on (or opens a new one for an incremental
  read) as a :class:`~dativo_postgres_rs.stream.PostgresRsBatches`; the COPY
  starts with the first batch, on background threads.
* Incremental reads are pushed down (``filters_incremental``): the state's
  value becomes a SQL literal here (psycopg's ``sql.Literal``), Rust adds
  ``WHERE cursor > literal ORDER BY cursor``.
* ``close()`` stops every read: threads joined, connections closed.

Errors keep the ``postgres`` reader's classes: SourceUnreachable (never with
the URL), ConfigError (missing table or column, bad SQL, bad partitioning),
DataError (a value without an Arrow representation, naming the column and the
rows), PluginError (a bug, including a caught Rust panic).
"""

from __future__ import annotations

from typing import Any, Self

import pyarrow as pa
from psycopg import sql
from pydantic import Field, model_validator

from dativo_pkg import ConfigError, Incremental, Reader
from dativo_pkg.plugins._pgconn import TableName
from dativo_pkg.plugins.postgres_reader import PostgresReaderConfig

from . import _native
from ._errors import native_errors
from .stream import PostgresRsBatches

__all__ = ["PostgresRsReader", "PostgresRsReaderConfig"]

#: Most connections one read may use (the Rust side enforces the same bound).
MAX_PARTITIONS = 64


class PostgresRsReaderConfig(PostgresReaderConfig):
    """Config of the ``postgres_rs`` reader: the ``postgres`` reader's, plus parallel reads."""

    partitions: int = Field(
        default=1,
        ge=1,
        le=MAX_PARTITIONS,
        description="Connections reading in parallel, all in one snapshot. With "
        "partition_column the column's [min, max] is split into ranges; without it a "
        "table is split by ctid (block ranges). A query needs partition_column.",
    )
    partition_column: str | None = Field(
        default=None,
        min_length=1,
        description="Integer column (smallint, integer, bigint) whose range is split "
        "between the partitions; rows where it is NULL go to the first partition.",
    )

    @model_validator(mode="after")
    def _query_partitions_need_a_column(self) -> Self:
        if self.partitions > 1 and self.query is not None and self.partition_column is None:
            raise ValueError(
                "'partitions' > 1 with 'query' needs 'partition_column' (an integer column "
                "of the query's result)"
            )
        return self


class PostgresRsReader(Reader[PostgresRsReaderConfig]):
    """Reads a PostgreSQL table or query in Rust: binary COPY into Arrow, in parallel if asked."""

    config_model = PostgresRsReaderConfig
    language = "rust"
    filters_incremental = True
    capabilities = (
        "streaming",
        "incremental-pushdown",
        "column-projection",
        "sql-query",
        "parallel-read",
    )

    def __init__(self, config: PostgresRsReaderConfig) -> None:
        super().__init__(config)
        self._schema: pa.Schema | None = None
        # Opened by ``schema()`` and not read yet: ``read()`` hands it on.
        self._pending: _native.PgStream | None = None
        # Every stream opened since the last ``close()``.
        self._streams: list[_native.PgStream] = []

    def check(self) -> None:
        """Connect and describe the source."""
        self.schema()

    def schema(self) -> pa.Schema:
        """The Arrow schema the Rust reader derived from the source's columns."""
        if self._schema is None:
            if self._pending is None:
                self._pending = self._open()
            self._schema = pa.schema(self._pending)
        return self._schema

    def read(self, incremental: Incremental | None = None) -> PostgresRsBatches:
        if incremental is None:
            stream, self._pending = self._pending, None
            return PostgresRsBatches(stream if stream is not None else self._open())
        names = self.schema().names
        if incremental.cursor_field not in names:
            raise ConfigError(
                f"cursor field '{incremental.cursor_field}' is not a column read from "
                f"{self._subject}",
                hint="name one of the columns the table or query returns",
            )
        if self._pending is not None:  # opened without the cursor: its snapshot is not used
            self._pending.close()
            self._pending = None
        after_sql = None
        if incremental.after is not None:
            after_sql = sql.Literal(incremental.after).as_string(None)
        return PostgresRsBatches(
            self._open(cursor_field=incremental.cursor_field, after_sql=after_sql)
        )

    def close(self) -> None:
        """Stop every read and close every connection (threads joined)."""
        streams, self._streams = self._streams, []
        self._pending = None
        for stream in streams:
            stream.close()

    @property
    def _subject(self) -> str:
        return f"table {self.config.table}" if self.config.table else "the query"

    def _open(self, **cursor: Any) -> _native.PgStream:
        config = self.config
        table = TableName.parse(config.table) if config.table is not None else None
        with native_errors():
            stream = _native.open_postgres(
                config.url.get_secret_value(),
                schema=table.schema if table else None,
                table=table.name if table else None,
                query=config.query,
                columns=config.columns,
                batch_rows=config.batch_rows,
                partitions=config.partitions,
                partition_column=config.partition_column,
                **cursor,
            )
        self._streams.append(stream)
        return stream
