"""A well-behaved writer: one CSV file per commit, named after the commit id.

Rows go to a hidden temporary file in the target directory; commit renames
it into place, abort deletes it.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
from pydantic import Field

from dativo_pkg.errors import SourceUnreachable
from dativo_pkg.sdk import CommitResult, PluginConfig, WriteContext, Writer


class GoodCsvWriterConfig(PluginConfig):
    path: str = Field(description="The directory to write CSV files into.")


class GoodCsvWriter(Writer[GoodCsvWriterConfig]):
    """Writes one CSV file per commit, atomically."""

    config_model = GoodCsvWriterConfig

    def __init__(self, config: GoodCsvWriterConfig) -> None:
        super().__init__(config)
        self._writer: pacsv.CSVWriter | None = None
        self._temp: Path | None = None
        self._final: Path | None = None
        self._rows = 0

    def open(self, schema: pa.Schema, context: WriteContext) -> None:
        directory = Path(self.config.path)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SourceUnreachable(f"cannot create {directory}: {exc.strerror}") from exc
        self._final = directory / f"{context.commit_id}.csv"
        self._temp = directory / f".{context.commit_id}.{uuid.uuid4().hex[:8]}.tmp"
        self._writer = pacsv.CSVWriter(str(self._temp), schema)
        self._rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        assert self._writer is not None
        self._writer.write_batch(batch)
        self._rows += batch.num_rows

    def commit(self) -> CommitResult:
        assert self._writer is not None and self._temp and self._final
        self._writer.close()
        self._writer = None
        os.replace(self._temp, self._final)
        data = self._final.read_bytes()
        return CommitResult(
            rows=self._rows,
            bytes=len(data),
            files=[str(self._final)],
            checksums={str(self._final): hashlib.sha256(data).hexdigest()},
        )

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)

    def recover(self, commit_id: str) -> bool:
        return (Path(self.config.path) / f"{commit_id}.csv").is_file()

    def close(self) -> None:
        self.abort()
