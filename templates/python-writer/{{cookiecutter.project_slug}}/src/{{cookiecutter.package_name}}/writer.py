"""The ``{{ cookiecutter.connector }}`` writer: one CSV file per commit, in a directory.

Each run (each commit of the runtime) becomes one file ``<path>/<commit_id>.csv``
with a header row; nulls are written as empty fields. While the run writes,
the file is staged as a hidden temporary file in the same directory, so no
reader of ``<path>`` ever sees it half-written; ``commit`` syncs it and renames
it into place in one step, ``abort`` deletes it.

The runtime gives a replay of the same range (after a crash) the same commit
id, so a replay replaces its file instead of duplicating rows, and
``recover(commit_id)`` can answer whether a commit landed by looking for it.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
from dativo_pkg.errors import DataError, PluginError, SourceUnreachable
from dativo_pkg.sdk import CommitResult, PluginConfig, WriteContext, Writer
from pydantic import Field

__all__ = ["{{ cookiecutter.class_name }}", "{{ cookiecutter.class_name }}Config"]

_TEMP_PREFIX = "."
_TEMP_INFIX = ".csv.tmp-"


class {{ cookiecutter.class_name }}Config(PluginConfig):
    """Config of the writer."""

    path: str = Field(
        min_length=1,
        description="Directory receiving one CSV file per commit, named after the commit id. "
        "Created (with its parents) if missing.",
    )
    delimiter: str = Field(
        default=",", min_length=1, max_length=1, description="Field separator (one character)."
    )


class {{ cookiecutter.class_name }}(Writer[{{ cookiecutter.class_name }}Config]):
    """{{ cookiecutter.description }}"""

    config_model = {{ cookiecutter.class_name }}Config
    capabilities = ("atomic-commit", "incremental", "idempotent-replay")

    def __init__(self, config: {{ cookiecutter.class_name }}Config) -> None:
        super().__init__(config)
        self._temp: Path | None = None
        self._final: Path | None = None
        self._writer: pacsv.CSVWriter | None = None
        self._rows = 0

    @property
    def directory(self) -> Path:
        return Path(self.config.path)

    def check(self) -> None:
        self._ensure_directory()

    def open(self, schema: pa.Schema, context: WriteContext) -> None:
        self._ensure_directory()
        self._discard()
        self._remove_stale(context.commit_id)
        self._final = self.directory / f"{context.commit_id}.csv"
        self._temp = self.directory / (
            f"{_TEMP_PREFIX}{context.commit_id}{_TEMP_INFIX}{uuid.uuid4().hex[:12]}"
        )
        self._rows = 0
        options = pacsv.WriteOptions(include_header=True, delimiter=self.config.delimiter)
        try:
            self._writer = pacsv.CSVWriter(str(self._temp), schema, write_options=options)
        except pa.ArrowNotImplementedError as exc:
            self._discard()
            raise DataError(
                f"cannot write this data as CSV: {exc}",
                hint="CSV holds flat values only; cast or drop nested and binary columns",
            ) from exc
        except OSError as exc:
            self._discard()
            raise SourceUnreachable(
                f"cannot write to {self.directory}: {exc}", hint="check the directory's permissions"
            ) from exc

    def write(self, batch: pa.RecordBatch) -> None:
        if self._writer is None:
            raise PluginError("write() called before open()", hint="this is a bug in the caller")
        self._writer.write_batch(batch)
        self._rows += batch.num_rows

    def commit(self) -> CommitResult:
        if self._writer is None or self._temp is None or self._final is None:
            raise PluginError("commit() called before open()", hint="this is a bug in the caller")
        self._writer.close()
        self._writer = None
        with self._temp.open("rb") as fh:
            os.fsync(fh.fileno())
        digest = _sha256(self._temp)
        size = self._temp.stat().st_size
        os.replace(self._temp, self._final)
        _fsync_dir(self.directory)
        final, self._temp, self._final = self._final, None, None
        return CommitResult(
            rows=self._rows, bytes=size, files=[str(final)], checksums={str(final): digest}
        )

    def abort(self) -> None:
        self._discard()

    def recover(self, commit_id: str) -> bool:
        """A commit is a single rename: it landed if and only if its file is there."""
        self._remove_stale(commit_id)
        return (self.directory / f"{commit_id}.csv").is_file()

    def close(self) -> None:
        self._discard()

    def _ensure_directory(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SourceUnreachable(
                f"cannot create {self.directory}: {exc.strerror or exc}",
                hint="check the writer's `path` and the permissions of its parent directories",
            ) from exc

    def _discard(self) -> None:
        """Drop the staged file, if any. Safe to call at any time, and twice."""
        if self._writer is not None:
            try:
                self._writer.close()
            except (OSError, pa.ArrowException):
                pass
            self._writer = None
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)
        self._temp = self._final = None

    def _remove_stale(self, commit_id: str) -> None:
        """Delete staged files of ``commit_id`` left by a run that died before commit."""
        if self.directory.is_dir():
            for stale in self.directory.glob(f"{_TEMP_PREFIX}{commit_id}{_TEMP_INFIX}*"):
                stale.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
