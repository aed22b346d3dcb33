"""Deliberately broken plugins. Each is correct but for one fault, which one check names.

- ``dropnulls`` reader: turns null strings into empty strings (reader.nulls-and-types);
- ``badschema`` reader: ``schema()`` says every column is a string (reader.schema-stable);
- ``keyerror`` reader: a missing source raises KeyError (reader.unreachable);
- ``eagerio`` reader: its config model opens the source before validating (contract.bad-config);
- ``notatomic`` writer: writes straight into the target (writer.commit-atomic);
- ``leaky`` writer: abort leaves its staging file behind (writer.abort-leaves-nothing).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pydantic import Field, model_validator

from dativo_pkg.errors import SourceUnreachable
from dativo_pkg.sdk import CommitResult, Incremental, PluginConfig, Reader, WriteContext, Writer


class PathConfig(PluginConfig):
    path: str = Field(description="A directory of CSV files (readers) or the target directory.")


class _CsvDirectoryReader(Reader[PathConfig]):
    config_model = PathConfig

    def _files(self) -> list[Path]:
        files = sorted(Path(self.config.path).glob("*.csv"))
        if not files:
            raise SourceUnreachable(f"no CSV files in {self.config.path}")
        return files

    def _table(self) -> pa.Table:
        options = pacsv.ConvertOptions(strings_can_be_null=True)
        tables = [pacsv.read_csv(p, convert_options=options) for p in self._files()]
        return pa.concat_tables(tables)

    def schema(self) -> pa.Schema:
        schema: pa.Schema = self._table().schema
        return schema

    def read(self, incremental: Incremental | None = None) -> Iterator[pa.RecordBatch]:
        yield from self._table().to_batches(max_chunksize=400)


class DropNullsReader(_CsvDirectoryReader):
    """Loses nulls in string columns."""

    def read(self, incremental: Incremental | None = None) -> Iterator[pa.RecordBatch]:
        table = self._table()
        for index, field in enumerate(table.schema):
            if pa.types.is_string(field.type):
                table = table.set_column(index, field, pc.fill_null(table.column(index), ""))
        yield from table.to_batches(max_chunksize=400)


class BadSchemaReader(_CsvDirectoryReader):
    """Reports every column as a string, but produces typed batches."""

    def schema(self) -> pa.Schema:
        return pa.schema([(name, pa.string()) for name in super().schema().names])


class KeyErrorReader(_CsvDirectoryReader):
    """Crashes with a KeyError instead of raising SourceUnreachable."""

    def _files(self) -> list[Path]:
        files = sorted(Path(self.config.path).glob("*.csv"))
        if not files:
            raise KeyError(self.config.path)
        return files


class EagerConfig(PathConfig):
    """Sniffs the first CSV file while validating: I/O before the config is known good."""

    @model_validator(mode="before")
    @classmethod
    def _sniff(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("path"), str):
            for path in sorted(Path(data["path"]).glob("*.csv"))[:1]:
                with path.open() as fh:
                    fh.readline()
        return data


class EagerIoReader(_CsvDirectoryReader):
    """Touches the source while its config is being validated."""

    config_model = EagerConfig


class _CsvWriter(Writer[PathConfig]):
    config_model = PathConfig

    def __init__(self, config: PathConfig) -> None:
        super().__init__(config)
        self._writer: pacsv.CSVWriter | None = None
        self._rows = 0

    def _paths(self, commit_id: str) -> tuple[Path, Path]:
        directory = Path(self.config.path)
        return directory / f".{commit_id}.tmp", directory / f"{commit_id}.csv"

    def open(self, schema: pa.Schema, context: WriteContext) -> None:
        try:
            Path(self.config.path).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SourceUnreachable(f"cannot create {self.config.path}") from exc
        self._staging, self._final = self._paths(context.commit_id)
        self._writer = pacsv.CSVWriter(str(self._where()), schema)

    def _where(self) -> Path:
        return self._staging

    def write(self, batch: pa.RecordBatch) -> None:
        assert self._writer is not None
        self._writer.write_batch(batch)
        self._rows += batch.num_rows

    def commit(self) -> CommitResult:
        assert self._writer is not None
        self._writer.close()
        self._writer = None
        if self._where() != self._final:
            os.replace(self._where(), self._final)
        return CommitResult(
            rows=self._rows, bytes=self._final.stat().st_size, files=[str(self._final)]
        )

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._where().unlink(missing_ok=True)


class NotAtomicWriter(_CsvWriter):
    """Writes straight into the final file: readers see rows before the commit."""

    def _where(self) -> Path:
        return self._final


class LeakyWriter(_CsvWriter):
    """Forgets its staging file on abort."""

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
