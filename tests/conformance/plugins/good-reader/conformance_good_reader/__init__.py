"""A well-behaved reader: a CSV file, or a directory of *.csv files, as Arrow batches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
from pydantic import Field

from dativo_pkg.errors import DataError, SourceUnreachable
from dativo_pkg.sdk import Incremental, PluginConfig, Reader


class GoodCsvConfig(PluginConfig):
    path: str = Field(description="A CSV file, or a directory of *.csv files.")
    batch_rows: int = Field(default=10_000, ge=1, description="Rows per batch.")


class GoodCsvReader(Reader[GoodCsvConfig]):
    """Reads CSV files in name order; types inferred from the first file."""

    config_model = GoodCsvConfig
    read_ahead = False

    def _files(self) -> list[Path]:
        path = Path(self.config.path)
        files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
        if not all(f.is_file() for f in files) or not files:
            raise SourceUnreachable(f"no CSV file at {path}", hint="check the reader's path")
        return files

    def _read(self, path: Path, schema: pa.Schema | None) -> pa.Table:
        types = {f.name: f.type for f in schema} if schema is not None else None
        options = pacsv.ConvertOptions(column_types=types, strings_can_be_null=True)
        try:
            return pacsv.read_csv(path, convert_options=options)
        except pa.ArrowInvalid as exc:
            raise DataError(f"{path}: {exc}") from exc

    def check(self) -> None:
        self._files()

    def schema(self) -> pa.Schema:
        with pacsv.open_csv(
            self._files()[0], convert_options=pacsv.ConvertOptions(strings_can_be_null=True)
        ) as reader:
            schema: pa.Schema = reader.schema
        return schema

    def read(self, incremental: Incremental | None = None) -> Iterator[pa.RecordBatch]:
        schema = self.schema()
        for path in self._files():
            table = self._read(path, schema).cast(schema)
            yield from table.to_batches(max_chunksize=self.config.batch_rows)
