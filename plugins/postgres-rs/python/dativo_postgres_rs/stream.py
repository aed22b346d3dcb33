"""``PostgresRsBatches``: what ``PostgresRsReader.read`` returns.

A thin wrapper over the extension's ``PgStream`` with two faces:

* ``__arrow_c_stream__``: the Arrow PyCapsule stream, for any Arrow consumer
  (``pyarrow.RecordBatchReader.from_stream``, ``pyarrow.table``, polars...);
  batches cross from Rust without a copy. Errors then arrive as the consumer's
  Arrow errors, with the reader's message.
* iteration (what the dativo runtime uses): each batch is handed over through
  the Arrow PyCapsule array interface, also without a copy, and errors keep
  their classes: DataError, ConfigError, SourceUnreachable, PluginError.

A stream is read once, through one face or the other.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from . import _native
from ._errors import native_errors

__all__ = ["PostgresRsBatches"]


class PostgresRsBatches:
    """The batches of one read of a PostgreSQL source."""

    def __init__(self, native: _native.PgStream) -> None:
        self._native = native

    @property
    def native(self) -> _native.PgStream:
        """The extension's stream object."""
        return self._native

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self._native.__arrow_c_stream__(requested_schema)

    def __arrow_c_schema__(self) -> object:
        return self._native.__arrow_c_schema__()

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        while True:
            with native_errors():
                exported = self._native.next_batch()
            if exported is None:
                return
            yield pa.record_batch(exported)

    def close(self) -> None:
        """Stop reading; every connection is closed when this returns."""
        self._native.close()

    @property
    def closed(self) -> bool:
        return self._native.closed

    def __repr__(self) -> str:
        return f"PostgresRsBatches({self._native!r})"
