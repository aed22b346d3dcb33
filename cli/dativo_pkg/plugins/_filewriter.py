"""What the file writers (Parquet, CSV) share: targets, staging, part names, commit, recovery.

Two kinds of target, told apart by the path:

* ``out/orders.parquet`` (the format's suffix): one file, written to a hidden
  temporary file beside it and renamed over the target on commit
  (:class:`StagedFile`). Each commit replaces the file.
* anything else: a directory of part files, written under a hidden staging
  directory inside it and moved into place on commit
  (:class:`StagedDirectory`). Part files are named
  ``part-{commit_id}-{n:05d}{suffix}``: a replay of the same commit id
  produces the same names and so overwrites instead of duplicating; any other
  file of that commit id left by an earlier attempt is removed on commit.

``mode: overwrite`` (directories only) publishes the new part files first and
then deletes every older ``part-*`` file. Readers can therefore see old and
new rows together for the few milliseconds the renames and deletes take, but
never an empty or half-written directory, and a crash at any point loses no
committed data: the commit marker makes the new files durable, and
``recover`` (or the next commit) finishes the deletions. Only files named
like ours are deleted, so a mistyped path cannot wipe unrelated files.

A writer killed before commit leaves only hidden files (``.name.dativo-tmp-*``
beside a single file, ``.dativo-staging-*`` inside a directory), which
readers ignore and the next ``open`` or ``recover`` removes.

Subclasses say how to write one part file (:meth:`FileWriter._open_part`) and
may route each batch to several part directories (hive partitions).
"""

from __future__ import annotations

import contextlib
import os
import re
from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal, Protocol, TypeVar

import pyarrow as pa
from pydantic import Field, ValidationInfo, field_validator

from dativo_pkg._internal.files import (
    COMMIT_MARKER,
    StagedDirectory,
    StagedFile,
    fsync_dir,
    recover_directory,
    sha256_file,
)
from dativo_pkg.errors import ConfigError, PluginError, SourceUnreachable
from dativo_pkg.sdk import CommitResult, PluginConfig, WriteContext, Writer

__all__ = ["FileTargetConfig", "FileWriter", "PartSink"]


class FileTargetConfig(PluginConfig):
    """Config fields every file writer has. Subclasses set ``suffix``."""

    #: A path ending in this is a single file; anything else is a directory.
    suffix: ClassVar[str] = ""

    path: str = Field(
        min_length=1,
        description="Where to write. A path ending in the format's extension (.parquet, "
        ".csv) is one file, replaced atomically on each commit; any other path is a "
        "directory of part files.",
    )
    mode: Literal["append", "overwrite"] = Field(
        default="append",
        description="`append` (directories only) adds this run's part files; `overwrite` "
        "replaces all part files with this run's. A single file is always replaced.",
    )

    @property
    def single_file(self) -> bool:
        return self.path.endswith(self.suffix)

    @field_validator("mode")
    @classmethod
    def _append_needs_directory(cls, value: str, info: ValidationInfo) -> str:
        path = info.data.get("path", "")
        if value == "append" and path.endswith(cls.suffix):
            raise ValueError(
                f"`append` needs a directory path; a path ending in {cls.suffix} is one "
                "file, replaced on each commit"
            )
        return value


class PartSink(Protocol):
    """One part file being written."""

    def write(self, batch: pa.RecordBatch) -> None: ...

    def close(self) -> None: ...


ConfigT = TypeVar("ConfigT", bound=FileTargetConfig)


@dataclass
class _Session:
    """Everything between ``open`` and ``commit``/``abort``."""

    context: WriteContext
    schema: pa.Schema
    part_schema: pa.Schema
    staged: StagedFile | StagedDirectory
    #: The target directory did not exist before ``open`` (abort removes it again).
    created_target: bool
    sinks: OrderedDict[str, PartSink] = field(default_factory=OrderedDict)
    parts_made: int = 0
    rows: int = 0


class FileWriter(Writer[ConfigT]):
    """Base of the file writers: atomic publication, commit-id naming and recovery."""

    def __init__(self, config: ConfigT) -> None:
        super().__init__(config)
        self._session: _Session | None = None

    # -- what a format provides ---------------------------------------------

    @abstractmethod
    def _open_part(self, path: Path, schema: pa.Schema, context: WriteContext) -> PartSink:
        """Start writing one part file of ``schema`` at ``path``."""

    def _part_schema(self, schema: pa.Schema) -> pa.Schema:
        """Check ``schema`` against the config; return the schema of the part files."""
        return schema

    def _route(self, batch: pa.RecordBatch) -> Iterable[tuple[str, pa.RecordBatch]]:
        """Split a batch by the directory (relative to the target) each part belongs in."""
        return (("", batch),)

    def _max_open_parts(self) -> int:
        """How many part files may be open at once (the least recently used closes)."""
        return 1

    def _committed_file(self, commit_id: str) -> bool:
        """Whether the single-file target holds ``commit_id`` (formats that record it)."""
        return False

    # -- the Writer contract ------------------------------------------------

    @property
    def target(self) -> Path:
        """The output path, made absolute: reported file paths stay valid after a chdir."""
        return Path(self.config.path).absolute()

    def open(self, schema: pa.Schema, context: WriteContext) -> None:
        """Prepare staging for ``context.commit_id`` (removing what dead writers left)."""
        self.abort()
        _check_commit_id(context.commit_id)
        part_schema = self._part_schema(schema)
        self._check_target_kind()
        created_target = not self.target.exists()
        try:
            staged: StagedFile | StagedDirectory
            if self.config.single_file:
                StagedFile.remove_stale(self.target)
                staged = StagedFile(self.target)
            else:
                staged = StagedDirectory(self.target, context.commit_id)
        except OSError as exc:
            raise _unreachable(self.target, exc) from exc
        self._session = _Session(context, schema, part_schema, staged, created_target)
        if self.config.single_file:
            # Opened now, so a run without rows still leaves a valid file with the schema.
            try:
                self._sink("")
            except OSError as exc:
                self.abort()
                raise _unreachable(self.target, exc) from exc
            except BaseException:
                self.abort()
                raise

    def write(self, batch: pa.RecordBatch) -> None:
        session = self._require_session()
        if not batch.schema.equals(session.schema):
            raise PluginError(
                "a batch's schema differs from the schema the writer was opened with",
                hint="every batch of a run must have the schema the reader reported",
            )
        try:
            for directory, part in self._route(batch):
                self._sink(directory).write(part)
        except _IO_ERRORS as exc:
            raise _write_failed(self.target, exc) from exc
        session.rows += batch.num_rows

    def commit(self) -> CommitResult:
        """Close the part files, publish them at once, and report what is now durable."""
        session = self._require_session()
        try:
            while session.sinks:
                session.sinks.popitem(last=False)[1].close()
            if isinstance(session.staged, StagedFile):
                session.staged.commit()
                published = [self.target]
            else:
                published = session.staged.commit()
                # Overwrite drops every older part file; append only an earlier
                # attempt's files of this same commit id.
                scope = None if self.config.mode == "overwrite" else session.context.commit_id
                self._remove_part_files(scope, keep=published)
            result = _describe(published, session.rows)
        except _IO_ERRORS as exc:
            raise _write_failed(self.target, exc) from exc
        self._session = None
        return result

    def abort(self) -> None:
        """Drop the staged output; a commit already past its marker is finished instead."""
        session, self._session = self._session, None
        if session is None:
            return
        for sink in session.sinks.values():
            # The files are deleted below; a sink that fails to close changes nothing.
            with contextlib.suppress(Exception):
                sink.close()
        staged = session.staged
        if isinstance(staged, StagedDirectory) and (staged.staging / COMMIT_MARKER).exists():
            recover_directory(self.target)
        else:
            staged.abort()
            if isinstance(staged, StagedDirectory) and session.created_target:
                with contextlib.suppress(OSError):  # only succeeds while empty
                    self.target.rmdir()

    def recover(self, commit_id: str) -> bool:
        """Finish or undo an interrupted commit; True iff ``commit_id``'s output is durable."""
        if self.config.single_file:
            StagedFile.remove_stale(self.target)
            return self.target.is_file() and self._committed_file(commit_id)
        durable = recover_directory(
            self.target,
            committed=lambda cid: bool(self._part_files(cid)),
            commit_id=commit_id,
        )
        if durable and self.config.mode == "overwrite":
            self._remove_part_files(None, keep=self._part_files(commit_id))
        return durable

    def close(self) -> None:
        self.abort()

    # -- helpers ------------------------------------------------------------

    def _require_session(self) -> _Session:
        if self._session is None:
            raise PluginError("the writer is not open", hint="call open() before write/commit")
        return self._session

    def _check_target_kind(self) -> None:
        single = self.config.single_file
        if (single and self.target.is_dir()) or (not single and self.target.is_file()):
            kind = "a directory" if single else "a file"
            raise ConfigError(
                f"invalid config for the writer: path names {kind}, which it cannot replace",
                hint=f"paths ending in {self.config.suffix} are single files, others are "
                "directories; pick a path of the right kind",
            )

    def _sink(self, directory: str) -> PartSink:
        """The open part file for ``directory``, opening one (and maybe closing one)."""
        session = self._require_session()
        sink = session.sinks.get(directory)
        if sink is not None:
            session.sinks.move_to_end(directory)
            return sink
        if len(session.sinks) >= self._max_open_parts():
            session.sinks.popitem(last=False)[1].close()
        sink = self._open_part(
            self._part_path(session, directory), session.part_schema, session.context
        )
        session.parts_made += 1
        session.sinks[directory] = sink
        return sink

    def _part_path(self, session: _Session, directory: str) -> Path:
        staged = session.staged
        if isinstance(staged, StagedFile):
            return staged.temp
        name = f"part-{session.context.commit_id}-{session.parts_made:05d}{self.config.suffix}"
        return staged.path(f"{directory}/{name}" if directory else name)

    def _part_files(self, commit_id: str | None) -> list[Path]:
        """Visible part files of ``commit_id`` (None: of any commit) under the target."""
        cid = re.escape(commit_id) if commit_id is not None else ".+"
        pattern = re.compile(rf"part-{cid}-\d{{5,}}{re.escape(self.config.suffix)}")
        found: list[Path] = []
        for root, dirs, files in os.walk(self.target):
            dirs[:] = [d for d in dirs if not _hidden(d)]  # staging, _temporary...
            found.extend(Path(root, name) for name in files if pattern.fullmatch(name))
        return sorted(found)

    def _remove_part_files(self, commit_id: str | None, *, keep: Iterable[Path]) -> None:
        """Delete part files of ``commit_id`` (None: all) except ``keep``; prune empty dirs."""
        stale = set(self._part_files(commit_id)) - set(keep)
        for path in stale:
            path.unlink(missing_ok=True)
        for directory in sorted({p.parent for p in stale}, key=lambda p: -len(p.parts)):
            _prune_empty(directory, self.target)
        if stale:
            fsync_dir(self.target)


#: What writing a part file can raise: I/O errors, and pyarrow's own.
_IO_ERRORS = (OSError, pa.ArrowException)


def _hidden(name: str) -> bool:
    return name.startswith((".", "_"))


def _prune_empty(directory: Path, stop: Path) -> None:
    """Remove ``directory`` and its parents up to (not including) ``stop`` while empty."""
    while directory != stop and stop in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent


def _check_commit_id(commit_id: str) -> None:
    if not commit_id or commit_id in {".", ".."} or "/" in commit_id or os.sep in commit_id:
        raise PluginError(
            "the commit id cannot be part of a file name",
            hint="the runtime must pass a commit id without path separators",
        )


def _describe(published: list[Path], rows: int) -> CommitResult:
    return CommitResult(
        rows=rows,
        bytes=sum(path.stat().st_size for path in published),
        files=[str(path) for path in published],
        checksums={str(path): sha256_file(path) for path in published},
    )


def _unreachable(target: Path, exc: OSError) -> SourceUnreachable:
    return SourceUnreachable(
        f"cannot create output at {target}: {exc.strerror or type(exc).__name__}",
        hint="check the writer's `path` and that the job may write there",
    )


def _write_failed(target: Path, exc: Exception) -> PluginError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return PluginError(
        f"writing output under {target} failed: {reason}",
        hint="check free space and permissions under the target",
    )
