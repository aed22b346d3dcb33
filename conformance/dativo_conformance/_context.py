"""What a check gets: the plugin under test, fixtures made on demand, and helpers."""

from __future__ import annotations

import functools
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa

from dativo_conformance._check import CheckFailed
from dativo_conformance._dataset import standard_table
from dativo_conformance._fixtures import ScratchDatabase, closed_port_url, materialize
from dativo_conformance._project import ProjectConfig
from dativo_conformance._readback import read_back
from dativo_conformance._target import Target
from dativo_pkg.discovery import InstalledPlugin
from dativo_pkg.sdk import CommitResult, Incremental, Reader, WriteContext, Writer, iter_batches

__all__ = ["Context"]

#: Fixtures whose dataset carries the decimal and binary columns too.
TYPED_FIXTURES = frozenset({"parquet", "postgres"})


class Context:
    """One run of the suite: a working directory, a scratch database, measurements."""

    def __init__(
        self,
        target: Target,
        workdir: Path,
        *,
        database: ScratchDatabase | None = None,
        rows: int = 1000,
        perf_rows: int = 100_000,
    ) -> None:
        self.target = target
        self.workdir = workdir
        self.database = database
        self.rows = rows
        self.perf_rows = perf_rows
        #: What the running check measured; the runner puts it in the report.
        self.measurements: dict[str, Any] = {}

    @property
    def project(self) -> ProjectConfig:
        return self.target.project

    @property
    def plugin(self) -> InstalledPlugin:
        return self.target.plugin

    @property
    def postgres_url(self) -> str | None:
        return self.database.url if self.database else None

    def record(self, key: str, value: Any) -> None:
        self.measurements[key] = value

    # --- data ---

    def dataset(self, rows: int | None = None, *, start_id: int = 1) -> pa.Table:
        typed = self.project.fixture in TYPED_FIXTURES
        return standard_table(self.rows if rows is None else rows, start_id=start_id, typed=typed)

    def new_dir(self, name: str) -> Path:
        path = self.workdir / f"{name}-{uuid.uuid4().hex[:8]}"
        path.mkdir(parents=True)
        return path

    @functools.cached_property
    def source(self) -> dict[str, str]:
        """The shared, read-only standard source (readers)."""
        return self.materialize("standard", self.dataset())

    def materialize(self, name: str, table: pa.Table, *, append: bool = False) -> dict[str, str]:
        """Write ``table`` as the fixture's source ``name``; the placeholder values."""
        table_name = name.replace("-", "_")
        return materialize(
            table,
            self.project.fixture,
            self.workdir / "sources",
            postgres_url=self.postgres_url,
            name=table_name,
            append=append,
        )

    def output(self, name: str) -> dict[str, str]:
        """A fresh, empty target for a writer: ``{output}``, ``{table}``, ``{postgres_url}``."""
        values = {"output": str(self.new_dir(f"out-{name}")), "table": f"out_{name}"}
        values["table"] = values["table"].replace("-", "_")
        if self.postgres_url is not None:
            values["postgres_url"] = self.postgres_url
        return values

    def unreachable(self) -> dict[str, str]:
        """Values pointing at things that do not exist: a path under a regular file, a closed port.

        The path's parent is a regular file, so it can neither be read nor created.
        """
        blocker = self.workdir / "unreachable-file"
        blocker.write_text("not a directory\n")
        missing = str(blocker / "missing")
        return {
            "source": missing,
            "output": missing,
            "table": "unreachable",
            "postgres_url": closed_port_url(),
        }

    # --- plugins ---

    def config(self, values: dict[str, str]) -> dict[str, Any]:
        return self.project.render(values)

    def reader(self, values: dict[str, str]) -> Reader[Any]:
        plugin = self.plugin.create(self.config(values))
        if not isinstance(plugin, Reader):
            raise CheckFailed(f"{self.plugin.connector!r} did not build a Reader")
        return plugin

    def writer(self, values: dict[str, str]) -> Writer[Any]:
        plugin = self.plugin.create(self.config(values))
        if not isinstance(plugin, Writer):
            raise CheckFailed(f"{self.plugin.connector!r} did not build a Writer")
        return plugin

    def read_batches(
        self, values: dict[str, str], incremental: Incremental | None = None
    ) -> tuple[pa.Schema, list[pa.RecordBatch]]:
        """``schema()`` and every batch of one read, the reader closed afterwards."""
        with self.reader(values) as reader:
            schema = reader.schema()
            batches = list(iter_batches(reader.read(incremental)))
        return schema, batches

    def read_table(self, values: dict[str, str]) -> pa.Table:
        schema, batches = self.read_batches(values)
        return pa.Table.from_batches(batches, schema=batches[0].schema if batches else schema)

    def write(
        self, values: dict[str, str], table: pa.Table, *, commit_id: str = "conformance"
    ) -> CommitResult:
        """Write ``table`` through a new writer and commit; the writer closed afterwards."""
        with self.writer(values) as writer:
            writer.open(table.schema, WriteContext(job_name="conformance", commit_id=commit_id))
            for batch in table.to_batches(max_chunksize=max(1, table.num_rows // 3)):
                writer.write(batch)
            return writer.commit()

    def read_back(self, values: dict[str, str], schema: pa.Schema) -> pa.Table:
        return read_back(values, self.project.fixture, schema)
