"""The ``{{ cookiecutter.connector }}`` reader: CSV files as a stream of Arrow batches.

``path`` names one CSV file, or a directory whose ``*.csv`` files are read in
name order (hidden files are skipped). Files have a header row; an empty
field is null in every column, text columns included. Column types are
inferred from the first block of the first file (ISO 8601 timestamps and
dates are recognised) and every file is converted to those types, so all
batches share one schema. A column that is empty in that whole first block
is read as text.

Parsing is pyarrow's: blocks of ``block_size_mb`` are parsed on its thread
pool and handed on untouched, so memory stays at a few blocks whatever the
size of the input.

Incremental reads are pushed down: ``read`` drops the rows whose cursor is not
greater than the state itself (``filters_incremental = True``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from dativo_pkg.errors import ConfigError, DataError, SourceUnreachable
from dativo_pkg.sdk import Incremental, PluginConfig, Reader
from pydantic import Field

__all__ = ["{{ cookiecutter.class_name }}", "{{ cookiecutter.class_name }}Config"]

_MIB = 1 << 20


class {{ cookiecutter.class_name }}Config(PluginConfig):
    """Config of the reader."""

    path: str = Field(
        min_length=1,
        description="A CSV file, or a directory whose *.csv files are read in name order.",
    )
    delimiter: str = Field(
        default=",", min_length=1, max_length=1, description="Field separator (one character)."
    )
    block_size_mb: int = Field(
        default=1,
        ge=1,
        le=256,
        description="MiB parsed at once; bounds memory and the rows of a batch.",
    )


class {{ cookiecutter.class_name }}(Reader[{{ cookiecutter.class_name }}Config]):
    """{{ cookiecutter.description }}"""

    config_model = {{ cookiecutter.class_name }}Config
    capabilities = ("streaming", "incremental")
    filters_incremental = True

    def __init__(self, config: {{ cookiecutter.class_name }}Config) -> None:
        super().__init__(config)
        self._schema: pa.Schema | None = None
        self._open: list[pacsv.CSVStreamingReader] = []

    def files(self) -> list[Path]:
        """The files to read, in order; SourceUnreachable if there are none."""
        path = Path(self.config.path)
        if path.is_file():
            return [path]
        if path.is_dir():
            files = sorted(
                p for p in path.glob("*.csv") if p.is_file() and not p.name.startswith(".")
            )
            if files:
                return files
            raise SourceUnreachable(
                f"no .csv files in directory {path}",
                hint="check the reader's `path`: it names a CSV file or a directory of them",
            )
        raise SourceUnreachable(
            f"CSV source not found: {path}",
            hint="check the reader's `path` (relative paths start at the working directory)",
        )

    def check(self) -> None:
        self.schema()

    def schema(self) -> pa.Schema:
        """The types pyarrow infers from the first block of the first file."""
        if self._schema is None:
            reader = self._start(self.files()[0], column_types=None)
            try:
                inferred = reader.schema
            finally:
                self._stop(reader)
            self._schema = pa.schema(
                [f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in inferred]
            )
        return self._schema

    def read(self, incremental: Incremental | None = None) -> Iterator[pa.RecordBatch]:
        schema = self.schema()
        files = self.files()
        if incremental is not None and incremental.cursor_field not in schema.names:
            raise ConfigError(
                f"cursor_field {incremental.cursor_field!r} is not a column of {self.config.path}",
                hint=f"use one of: {', '.join(schema.names)}",
            )
        return self._batches(files, schema, incremental)

    def close(self) -> None:
        while self._open:
            self._stop(self._open[-1])

    def _batches(
        self, files: list[Path], schema: pa.Schema, incremental: Incremental | None
    ) -> Iterator[pa.RecordBatch]:
        for file in files:
            reader = self._start(file, column_types=schema)
            try:
                if reader.schema.names != schema.names:
                    raise DataError(
                        f"{file}: columns {reader.schema.names} differ from the first file's "
                        f"{schema.names}",
                        hint="every file of the directory needs the same header",
                    )
                while True:
                    try:
                        batch = reader.read_next_batch()
                    except StopIteration:
                        break
                    except pa.ArrowInvalid as exc:
                        raise DataError(f"{file}: {exc}", hint="fix the row named") from exc
                    batch = _newer(batch, incremental)
                    if batch.num_rows:
                        yield batch
            finally:
                self._stop(reader)

    def _start(self, file: Path, column_types: pa.Schema | None) -> pacsv.CSVStreamingReader:
        convert = pacsv.ConvertOptions(null_values=[""], strings_can_be_null=True)
        if column_types is not None:
            convert.column_types = column_types
        try:
            reader = pacsv.open_csv(
                file,
                read_options=pacsv.ReadOptions(block_size=self.config.block_size_mb * _MIB),
                parse_options=pacsv.ParseOptions(delimiter=self.config.delimiter),
                convert_options=convert,
            )
        except FileNotFoundError as exc:
            raise SourceUnreachable(f"CSV file vanished: {file}", hint="check `path`") from exc
        except OSError as exc:
            raise SourceUnreachable(
                f"cannot read {file}: {exc}", hint="check the file's permissions"
            ) from exc
        except pa.ArrowInvalid as exc:
            raise DataError(f"{file}: {exc}", hint="check `delimiter` and the header") from exc
        self._open.append(reader)
        return reader

    def _stop(self, reader: pacsv.CSVStreamingReader) -> None:
        reader.close()
        if reader in self._open:
            self._open.remove(reader)


def _newer(batch: pa.RecordBatch, incremental: Incremental | None) -> pa.RecordBatch:
    """Only the rows whose cursor is greater than the state (nulls are dropped)."""
    if incremental is None or incremental.after is None:
        return batch
    column = batch.column(incremental.cursor_field)
    return batch.filter(pc.greater(column, pa.scalar(incremental.after, type=column.type)))
