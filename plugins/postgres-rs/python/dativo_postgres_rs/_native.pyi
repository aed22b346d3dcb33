"""Type stubs of the compiled extension (crates/postgres-rs-py)."""

from typing import final

class ReaderError(Exception):
    """The native reader failed (an internal error, or the stream is closed).

    ``args`` is ``(message, hint)``, as for every subclass.
    """

class SourceUnreachable(ReaderError):
    """PostgreSQL cannot be reached, refused the login, or broke the connection."""

class ConfigError(ReaderError):
    """The table, a column, the query or an option is wrong."""

class DataError(ReaderError):
    """A value has no Arrow representation."""

@final
class BatchExport:
    """One record batch, exported once through the Arrow PyCapsule array interface."""

    def __arrow_c_array__(
        self, requested_schema: object | None = None
    ) -> tuple[object, object]: ...
    def __len__(self) -> int: ...

@final
class PgStream:
    """An open PostgreSQL source: export it once, or iterate it with ``next_batch``."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...
    def __arrow_c_schema__(self) -> object: ...
    def next_batch(self) -> BatchExport | None:
        """The next batch (wrap it with ``pyarrow.record_batch``), or None at the end."""
    def close(self) -> None:
        """Stop reading and close every connection now."""
    @property
    def closed(self) -> bool: ...

def open_postgres(
    url: str,
    *,
    schema: str | None = None,
    table: str | None = None,
    query: str | None = None,
    columns: list[str] | None = None,
    batch_rows: int = 50000,
    partitions: int = 1,
    partition_column: str | None = None,
    cursor_field: str | None = None,
    after_sql: str | None = None,
    debug_panic: str | None = None,
) -> PgStream:
    """Connect, start the snapshot and describe the source; no rows are read yet."""
