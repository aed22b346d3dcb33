"""Plugins used by the runtime tests, installed as a real distribution.

``seq`` produces ``rows`` rows (id, updated, name) in batches, and can be told
to fail, crash, change schema or sleep; ``failing`` is a writer that fails at
a chosen step; ``memory`` records what it was given in a JSON file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pyarrow as pa

from dativo_pkg import (
    CommitResult,
    Incremental,
    PluginConfig,
    PluginError,
    Reader,
    WriteContext,
    Writer,
)

SCHEMA = pa.schema([("id", pa.int64()), ("updated", pa.int64()), ("name", pa.string())])


class SeqConfig(PluginConfig):
    rows: int = 10
    batch_rows: int = 3
    fail_at_batch: int | None = None
    crash_at_batch: int | None = None
    change_schema_at_batch: int | None = None
    sleep_per_batch: float = 0.0


class SeqReader(Reader[SeqConfig]):
    """Counts from 1 to rows."""

    config_model = SeqConfig

    def schema(self) -> pa.Schema:
        return SCHEMA

    def read(self, incremental: Incremental | None = None) -> Iterator[pa.RecordBatch]:
        cfg = self.config
        for number, start in enumerate(range(1, cfg.rows + 1, cfg.batch_rows)):
            if number == cfg.fail_at_batch:
                raise PluginError("seq: the source went away")
            if number == cfg.crash_at_batch:
                raise ZeroDivisionError("division by zero")
            ids = list(range(start, min(start + cfg.batch_rows, cfg.rows + 1)))
            batch = pa.RecordBatch.from_pydict(
                {"id": ids, "updated": ids, "name": [f"row {i}" for i in ids]}, schema=SCHEMA
            )
            if number == cfg.change_schema_at_batch:
                batch = batch.drop_columns(["name"])
            time.sleep(cfg.sleep_per_batch)
            yield batch


class TooNewReader(SeqReader):
    """Declares an API range this runtime does not implement."""

    api_range = ">=2"


class FailingConfig(PluginConfig):
    fail_on: Literal["open", "write", "commit"]


class FailingWriter(Writer[FailingConfig]):
    """Fails at the configured step."""

    config_model = FailingConfig
    aborted = 0

    def _maybe_fail(self, step: str) -> None:
        if self.config.fail_on == step:
            raise PluginError(f"failing writer: {step} failed")

    def open(self, schema: pa.Schema, context: WriteContext) -> None:
        self._maybe_fail("open")

    def write(self, batch: pa.RecordBatch) -> None:
        self._maybe_fail("write")

    def commit(self) -> CommitResult:
        self._maybe_fail("commit")
        return CommitResult(rows=0, bytes=0)

    def abort(self) -> None:
        type(self).aborted += 1


class MemoryConfig(PluginConfig):
    path: str


class MemoryWriter(Writer[MemoryConfig]):
    """Appends the ids it commits, with the commit id, to a JSON file."""

    config_model = MemoryConfig

    def open(self, schema: pa.Schema, context: WriteContext) -> None:
        self.context = context
        self.ids: list[int] = []

    def write(self, batch: pa.RecordBatch) -> None:
        self.ids.extend(batch.column("id").to_pylist())

    def commit(self) -> CommitResult:
        path = Path(self.config.path)
        log = json.loads(path.read_text()) if path.exists() else []
        log.append({"commit_id": self.context.commit_id, "ids": self.ids})
        path.write_text(json.dumps(log))
        return CommitResult(rows=len(self.ids), bytes=0, files=[str(path)])

    def abort(self) -> None:
        self.ids = []

    def recover(self, commit_id: str) -> bool:
        path = Path(self.config.path)
        log = json.loads(path.read_text()) if path.exists() else []
        return any(entry["commit_id"] == commit_id for entry in log)
