"""The built-in CSV writer: one file, or a directory of part files.

Batches go straight to ``pyarrow.csv.CSVWriter``. Staging, commit-id part
names, overwrite and recovery are shared with the Parquet writer (see
``_filewriter``); in a directory every part file has its own header row.

CSV has nowhere to record which commit wrote a file, so for a single-file
target ``recover`` cannot tell whether the last commit landed and answers
False: the runtime then replays the range, and since a single file is
replaced whole on each commit, the replay rewrites it rather than
duplicating rows. Directory targets recover exactly, from the part names.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pyarrow as pa
import pyarrow.csv as pacsv
from pydantic import Field

from dativo_pkg.errors import DataError
from dativo_pkg.plugins._filewriter import FileTargetConfig, FileWriter, PartSink
from dativo_pkg.sdk import WriteContext

__all__ = ["CsvWriter", "CsvWriterConfig"]


class CsvWriterConfig(FileTargetConfig):
    """Config of the ``csv`` writer."""

    suffix: ClassVar[str] = ".csv"

    delimiter: str = Field(
        default=",", min_length=1, max_length=1, description="Field separator (one character)."
    )
    header: bool = Field(default=True, description="Write a header row with the column names.")


class _CsvPart:
    """One CSV part file."""

    def __init__(self, path: Path, schema: pa.Schema, config: CsvWriterConfig) -> None:
        options = pacsv.WriteOptions(include_header=config.header, delimiter=config.delimiter)
        try:
            self._writer = pacsv.CSVWriter(str(path), schema, write_options=options)
        except pa.ArrowNotImplementedError as exc:
            raise DataError(
                f"cannot write this data as CSV: {exc}",
                hint="CSV holds flat values only; cast or drop nested and binary columns",
            ) from exc

    def write(self, batch: pa.RecordBatch) -> None:
        self._writer.write_batch(batch)

    def close(self) -> None:
        self._writer.close()


class CsvWriter(FileWriter[CsvWriterConfig]):
    """Writes CSV: one file, or part files in a directory, published atomically."""

    config_model = CsvWriterConfig
    capabilities = ("atomic-commit", "incremental", "idempotent-replay")

    def _open_part(self, path: Path, schema: pa.Schema, context: WriteContext) -> PartSink:
        return _CsvPart(path, schema, self.config)
