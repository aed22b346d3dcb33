"""The built-in Parquet reader: one file, or a directory read as a dataset.

A file streams through ``pq.ParquetFile.iter_batches``, which decodes one
row group at a time. A directory goes through ``pyarrow.dataset`` with hive
partitioning, so ``day=2024-01-01/part-0.parquet`` adds a ``day`` column;
the scanner reads a few files ahead on pyarrow's threads and keeps memory
bounded. Files and directories whose names start with ``.`` or ``_`` are
ignored, which hides the staging areas of dativo writers (and of Spark).

Partition columns get the type pyarrow infers from the directory names
(int32 for numbers, string otherwise), not necessarily the type they had
before they were written out.

Batches come without schema metadata (a writer's key-value metadata such as
``dativo.commit_id`` describes the file, not the data), so every batch has
exactly the schema ``schema()`` reports.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from pydantic import Field

from dativo_pkg.errors import ConfigError, DataError, DativoError, SourceUnreachable
from dativo_pkg.sdk import Incremental, PluginConfig, Reader

__all__ = ["ParquetReader", "ParquetReaderConfig"]


class ParquetReaderConfig(PluginConfig):
    """Config of the ``parquet`` reader."""

    path: str = Field(
        description="A Parquet file, or a directory of them (hive partitions like "
        "`col=value/` become columns)."
    )
    columns: list[str] | None = Field(
        default=None, min_length=1, description="Columns to read (default: all)."
    )
    batch_rows: int = Field(default=65536, ge=1, description="Rows per batch handed to the writer.")


class _Source(Protocol):
    schema: pa.Schema

    def batches(self) -> Generator[pa.RecordBatch, None, None]: ...


class _FileSource:
    """One Parquet file, decoded a row group at a time."""

    def __init__(self, path: Path, columns: list[str] | None, batch_rows: int) -> None:
        self.path = path
        self._columns = columns
        self._batch_rows = batch_rows
        try:
            self._file = pq.ParquetFile(pa.OSFile(str(path)))
        except _ARROW_ERRORS as exc:
            raise _translate(path, exc) from exc
        self.schema = _project(self._file.schema_arrow, columns, path)

    def batches(self) -> Generator[pa.RecordBatch, None, None]:
        try:
            yield from self._file.iter_batches(
                batch_size=self._batch_rows, columns=self._columns, use_threads=True
            )
        except _ARROW_ERRORS as exc:
            raise _translate(self.path, exc) from exc
        finally:
            self._file.close()


class _DatasetSource:
    """A directory of Parquet files, with hive partitions, scanned by pyarrow.dataset."""

    def __init__(self, path: Path, columns: list[str] | None, batch_rows: int) -> None:
        self.path = path
        try:
            dataset = ds.dataset(str(path), format="parquet", partitioning="hive")
        except _ARROW_ERRORS as exc:
            raise _translate(path, exc) from exc
        if not dataset.files:
            raise SourceUnreachable(
                f"no Parquet files under {path}",
                hint="check the reader's `path`; names starting with '.' or '_' are ignored",
            )
        self.schema = _project(dataset.schema, columns, path)
        self._scanner = dataset.scanner(columns=columns, batch_size=batch_rows)

    def batches(self) -> Generator[pa.RecordBatch, None, None]:
        try:
            yield from self._scanner.to_batches()
        except _ARROW_ERRORS as exc:
            # pyarrow's message names the file that failed.
            raise _translate(self.path, exc) from exc


class ParquetReader(Reader[ParquetReaderConfig]):
    """Reads a Parquet file or a (hive-partitioned) directory of Parquet files."""

    config_model = ParquetReaderConfig
    capabilities = ("streaming", "column-projection", "hive-partitions")
    filters_incremental = False

    def check(self) -> None:
        self._open()

    def schema(self) -> pa.Schema:
        """The schema from the file footer (a directory: its first file, plus partitions)."""
        return self._open().schema

    def __init__(self, config: ParquetReaderConfig) -> None:
        super().__init__(config)
        self._batches: Generator[pa.RecordBatch, None, None] | None = None

    def read(self, incremental: Incremental | None = None) -> Iterator[pa.RecordBatch]:
        """Stream batches without metadata (the runtime filters increments)."""
        self.close()
        self._batches = self._open().batches()
        return (batch.replace_schema_metadata(None) for batch in self._batches)

    def close(self) -> None:
        """Stop a read that was not consumed to the end, closing its file."""
        if self._batches is not None:
            self._batches.close()
        self._batches = None

    def _open(self) -> _Source:
        path = Path(self.config.path)
        if path.is_dir():
            return _DatasetSource(path, self.config.columns, self.config.batch_rows)
        if path.exists():
            return _FileSource(path, self.config.columns, self.config.batch_rows)
        raise SourceUnreachable(
            f"Parquet path not found: {path}",
            hint="check the reader's `path` (relative paths start at the working directory)",
        )


def _project(schema: pa.Schema, columns: list[str] | None, path: Path) -> pa.Schema:
    """The schema of the selected columns, in the order asked for, without metadata."""
    schema = schema.remove_metadata()
    if columns is None:
        return schema
    missing = [name for name in columns if schema.get_field_index(name) < 0]
    if missing:
        raise ConfigError(
            f"invalid config for parquet reader: columns names columns that {path} "
            f"does not have: {', '.join(missing)}",
            hint=f"its columns are: {', '.join(schema.names)}",
        )
    return pa.schema([schema.field(name) for name in columns])


#: What pyarrow raises: its own errors, and OSError both for files it cannot
#: open and (confusingly) for some corrupt footers.
_ARROW_ERRORS = (OSError, pa.ArrowException)


def _translate(path: Path, exc: Exception) -> DativoError:
    """A file that cannot be opened is unreachable; one that opens but fails is bad data."""
    if isinstance(exc, (FileNotFoundError, PermissionError)):
        return SourceUnreachable(
            f"cannot open Parquet data at {path}: {exc.strerror or type(exc).__name__}",
            hint="check the reader's `path` and that the job may read it",
        )
    return DataError(
        f"{path}: not readable as Parquet: {exc}",
        hint="a file is corrupt, truncated or not Parquet; rewrite or remove it",
    )
