"""The ``{{ cookiecutter.connector }}`` reader: CSV files read in Rust, as an Arrow C stream.

``path`` names one CSV file, or a directory whose ``*.csv`` files are read in
name order (hidden files are skipped). Files have a header row; an empty
field is null in every column. Column types are inferred from the first
``infer_rows`` rows of the first file: booleans, 64-bit integers, floats,
ISO 8601 dates (``2024-01-02``) and timestamps (``2024-01-02T03:04:05Z``,
read as UTC instants, type ``timestamp[unit, tz=UTC]``), else text. A column
empty in all those rows is read as text. Every file must have the first
file's header.

All reading happens in the Rust crate ``{{ cookiecutter.project_slug }}-core``;
``read`` returns the extension's stream object, which hands batches to the
runtime through the Arrow PyCapsule interface without copying. Incremental
reads are pushed down into Rust (``filters_incremental = True``) for integer,
date and timestamp cursors.

Errors: a path that cannot be reached (missing, not permitted, a directory
without ``*.csv``) is
:class:`~dativo_pkg.errors.SourceUnreachable`; any other failure of the native
reader is :class:`~dativo_pkg.errors.PluginError`. A bad row met while
streaming surfaces from the stream with the file and line named.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
from dativo_pkg import (
    ConfigError,
    Incremental,
    PluginConfig,
    PluginError,
    Reader,
    SourceUnreachable,
)
from pydantic import Field

from . import _native

__all__ = ["{{ cookiecutter.class_name }}", "{{ cookiecutter.class_name }}Config"]


class {{ cookiecutter.class_name }}Config(PluginConfig):
    """Config of the reader."""

    path: str = Field(
        min_length=1,
        description="A CSV file, or a directory whose *.csv files are read in name order.",
    )
    delimiter: str = Field(
        default=",", min_length=1, max_length=1, description="Field separator (one character)."
    )
    batch_size: int = Field(
        default=65536, ge=1, le=1048576, description="Most rows in one Arrow batch."
    )
    infer_rows: int = Field(
        default=10000,
        ge=1,
        description="Rows of the first file used to infer the column types.",
    )


class {{ cookiecutter.class_name }}(Reader[{{ cookiecutter.class_name }}Config]):
    """{{ cookiecutter.description }}"""

    config_model = {{ cookiecutter.class_name }}Config
    language = "rust"
    capabilities = ("streaming", "incremental")
    filters_incremental = True

    def __init__(self, config: {{ cookiecutter.class_name }}Config) -> None:
        super().__init__(config)
        self._schema: pa.Schema | None = None
        # Opened by ``schema()`` and not exported yet: ``read()`` hands it on.
        self._pending: _native.CsvStream | None = None
        # Every stream opened since the last ``close()``.
        self._streams: list[_native.CsvStream] = []

    def check(self) -> None:
        self.schema()

    def schema(self) -> pa.Schema:
        """The schema the Rust reader inferred from the first file."""
        if self._schema is None:
            if self._pending is None:
                self._pending = self._open()
            self._schema = pa.schema(self._pending)
        return self._schema

    def read(self, incremental: Incremental | None = None) -> _native.CsvStream:
        """The Rust stream object: the runtime imports it through ``__arrow_c_stream__``."""
        if incremental is None or incremental.after is None:
            if self._pending is not None:
                stream, self._pending = self._pending, None
                return stream
            return self._open()
        schema = self.schema()
        if incremental.cursor_field not in schema.names:
            raise ConfigError(
                f"cursor_field {incremental.cursor_field!r} is not a column of {self.config.path}",
                hint=f"use one of: {', '.join(schema.names)}",
            )
        after = _raw_cursor(schema.field(incremental.cursor_field), incremental.after)
        return self._open(cursor_field=incremental.cursor_field, after=after)

    def close(self) -> None:
        """Drop every native handle: their files are closed at once."""
        for stream in self._streams:
            stream.close()
        self._streams.clear()
        self._pending = None

    def _open(self, **cursor: Any) -> _native.CsvStream:
        with _native_errors():
            stream = _native.open_csv(
                self.config.path,
                batch_size=self.config.batch_size,
                delimiter=self.config.delimiter,
                infer_rows=self.config.infer_rows,
                **cursor,
            )
        self._streams.append(stream)
        return stream


@contextmanager
def _native_errors() -> Iterator[None]:
    """The one place where the extension's exceptions become dativo errors."""
    try:
        yield
    except _native.SourceUnreachable as exc:
        raise SourceUnreachable(
            f"CSV source unreachable: {exc}",
            hint="check the reader's `path`: a CSV file or a directory of *.csv files",
        ) from exc
    except _native.ReaderError as exc:
        raise PluginError(
            f"the native CSV reader failed: {exc}", hint="fix the file or the option named"
        ) from exc


def _raw_cursor(field: pa.Field, after: Any) -> int:
    """``after`` as the Rust filter compares it: the cursor column's storage integer."""
    kind = field.type
    if pa.types.is_timestamp(kind) or pa.types.is_date64(kind):
        storage: pa.DataType = pa.int64()
    elif pa.types.is_date32(kind):
        storage = pa.int32()
    elif pa.types.is_integer(kind):
        storage = kind
    else:
        raise ConfigError(
            f"cursor_field {field.name!r} has type {kind}; this reader filters increments "
            "itself and supports integer, date and timestamp cursors",
            hint="choose an integer, date or timestamp column as cursor_field",
        )
    if isinstance(after, str) and pa.types.is_timestamp(kind):
        after = dt.datetime.fromisoformat(after)
    try:
        # Unsafe cast: a finer state (sub-second) truncates, which keeps `cursor > after` exact.
        value = pa.scalar(after).cast(kind, safe=False).cast(storage)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise ConfigError(
            f"incremental state {after!r} does not fit cursor column {field.name!r} ({kind})",
            hint="the state file belongs to another source: remove it to read everything again",
        ) from exc
    raw = value.as_py()
    assert isinstance(raw, int)
    return raw
