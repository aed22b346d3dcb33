"""Run a job: stream Arrow batches from a reader into a writer, then commit.

Memory stays bounded by a few batches: while the writer works on one batch,
a background thread pulls the next one from the reader (read-ahead of one
batch, so reading and writing overlap; a reader that must stay on its own
thread sets ``Reader.read_ahead = False``). The writer publishes everything at once on
commit; on any failure (or Ctrl-C, or SIGTERM) it is told to abort, so a
failed run leaves no partial output and no changed state. Incremental jobs
follow the pending-state protocol described in :mod:`dativo_pkg.state`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack, closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from dativo_pkg._internal.blame import blame
from dativo_pkg.discovery import find_plugin
from dativo_pkg.errors import ConfigError, PluginError
from dativo_pkg.job import LoadedJob
from dativo_pkg.sdk import Incremental, Reader, WriteContext, Writer, iter_batches
from dativo_pkg.state import CursorState, PendingCommit, StateStore

__all__ = ["RunObserver", "RunSummary", "build_reader", "build_writer", "run_job"]

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class RunSummary:
    """What a run did; ``--json`` prints exactly these fields."""

    job: str
    source: str
    target: str
    rows: int
    bytes: int
    seconds: float
    files: list[str] = field(default_factory=list)
    state: dict[str, Any] | None = None
    skipped_rows: int = 0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "rows_per_second": round(self.rows_per_second, 1)}


class RunObserver(Protocol):
    """Told about progress; the CLI shows it, tests may count it."""

    def advanced(self, rows: int, nbytes: int) -> None: ...

    def committing(self) -> None: ...


@dataclass
class _Progress:
    rows: int = 0
    bytes: int = 0
    newest: pa.Scalar | None = None


class _NoObserver:
    def advanced(self, rows: int, nbytes: int) -> None:
        pass

    def committing(self) -> None:
        pass


def build_reader(loaded: LoadedJob) -> Reader[Any]:
    """The job's reader, with its config validated (no I/O yet)."""
    source = loaded.job.source
    if source.custom is not None:
        from dativo_pkg.compat.legacy import load_legacy_reader

        return load_legacy_reader(source.custom, source.legacy_options, Path.cwd())
    assert source.plugin is not None
    plugin = find_plugin("reader", source.plugin).create(source.config)
    assert isinstance(plugin, Reader)
    return plugin


def build_writer(loaded: LoadedJob) -> Writer[Any]:
    """The job's writer, with its config validated (no I/O yet)."""
    target = loaded.job.target
    if target.custom is not None:
        from dativo_pkg.compat.legacy import load_legacy_writer

        return load_legacy_writer(target.custom, target.legacy_options, Path.cwd())
    assert target.plugin is not None
    plugin = find_plugin("writer", target.plugin).create(target.config)
    assert isinstance(plugin, Writer)
    return plugin


def run_job(loaded: LoadedJob, observer: RunObserver | None = None) -> RunSummary:
    """Execute ``loaded`` once; raise a DativoError (and change nothing) on failure."""
    source_name = f"reader {loaded.job.source.display_name!r}"
    target_name = f"writer {loaded.job.target.display_name!r}"
    with ExitStack() as stack:
        reader = build_reader(loaded)
        stack.callback(_close_quietly, source_name, reader.close)
        writer = build_writer(loaded)
        stack.callback(_close_quietly, target_name, writer.close)
        run = _Run(loaded, reader, writer, source_name, target_name, observer or _NoObserver())
        return run.execute()
    raise AssertionError("unreachable")  # pragma: no cover - for mypy


class _Run:
    def __init__(
        self,
        loaded: LoadedJob,
        reader: Reader[Any],
        writer: Writer[Any],
        source_name: str,
        target_name: str,
        observer: RunObserver,
    ) -> None:
        self.loaded = loaded
        self.reader = reader
        self.writer = writer
        self.source_name = source_name
        self.target_name = target_name
        self.observer = observer
        incremental = loaded.job.source.incremental
        self.cursor_field = incremental.cursor_field if incremental else None
        self.store = StateStore(loaded.state_path) if incremental else None

    def execute(self) -> RunSummary:
        state = self._recover_and_load_state()
        commit_id = _commit_id(self.loaded.name, state)
        incremental = (
            Incremental(self.cursor_field, state.value if state else None)
            if self.cursor_field
            else None
        )
        started = time.perf_counter()
        try:
            source = _guarded(self.source_name, self.reader.read, incremental)
            batches: Generator[pa.RecordBatch] | _ReadAhead = _guarded_iter(
                self.source_name, iter_batches(source)
            )
            if self.reader.read_ahead:
                batches = _ReadAhead(batches)
            with closing(batches):
                progress = self._transfer(batches, incremental, commit_id)
            self.observer.committing()
            pending = self._record_pending(commit_id, state, progress.newest)
            result = _guarded(self.target_name, self.writer.commit)
        except BaseException:
            self._abort()
            raise
        if pending is not None and self.store is not None:
            self.store.promote(pending)
        final_state = pending.state if pending else state
        return RunSummary(
            job=self.loaded.name,
            source=self.loaded.job.source.display_name,
            target=self.loaded.job.target.display_name,
            rows=progress.rows,
            bytes=progress.bytes,
            seconds=time.perf_counter() - started,
            files=result.files,
            state=final_state.to_json() if final_state else None,
            skipped_rows=self.reader.skipped_rows,
        )

    def _transfer(
        self, batches: Iterator[pa.RecordBatch], incremental: Incremental | None, commit_id: str
    ) -> _Progress:
        """Hand every batch to the writer; the writer is opened with the first one."""
        progress = _Progress()
        schema: pa.Schema | None = None
        for batch in batches:
            if schema is None:
                schema = batch.schema
                self._open_writer(schema, commit_id)
            elif not batch.schema.equals(schema):
                raise PluginError(
                    f"{self.source_name} broke the plugin contract: a batch's schema "
                    f"differs from the first batch's ({batch.schema} vs {schema})"
                )
            if incremental is not None:
                batch = self._only_newer(batch, incremental)
                progress.newest = _max(progress.newest, batch.column(incremental.cursor_field))
            if batch.num_rows:
                _guarded(self.target_name, self.writer.write, batch)
            progress.rows += batch.num_rows
            progress.bytes += batch.nbytes
            self.observer.advanced(batch.num_rows, batch.nbytes)
        if schema is None:  # no batches at all: the writer still commits an empty result
            self._open_writer(_guarded(self.source_name, self.reader.schema), commit_id)
        return progress

    def _recover_and_load_state(self) -> CursorState | None:
        if self.store is None:
            return None
        pending = self.store.pending()
        if pending is not None:
            durable = _guarded(self.target_name, self.writer.recover, pending.commit_id)
            log.info(
                "previous run of %s stopped during its commit: %s",
                self.loaded.name,
                "it completed, keeping its state" if durable else "it did not, replaying",
            )
            if durable:
                self.store.promote(pending)
            else:
                self.store.discard_pending()
        state = self.store.load()
        if state is not None and state.cursor_field != self.cursor_field:
            raise ConfigError(
                f"state file {self.store.path} tracks cursor {state.cursor_field!r}, "
                f"but the job now uses {self.cursor_field!r}",
                hint="delete the state file to read everything again with the new cursor",
            )
        return state

    def _open_writer(self, schema: pa.Schema, commit_id: str) -> None:
        if self.cursor_field is not None and self.cursor_field not in schema.names:
            raise ConfigError(
                f"cursor_field {self.cursor_field!r} is not a column of the source "
                f"(columns: {', '.join(schema.names)})",
                hint="set source.incremental.cursor_field to one of those columns",
            )
        context = WriteContext(job_name=self.loaded.name, commit_id=commit_id)
        _guarded(self.target_name, self.writer.open, schema, context)

    def _only_newer(self, batch: pa.RecordBatch, incremental: Incremental) -> pa.RecordBatch:
        if incremental.after is None or self.reader.filters_incremental:
            return batch
        column = batch.column(incremental.cursor_field)
        return batch.filter(pc.greater(column, pa.scalar(incremental.after, type=column.type)))

    def _record_pending(
        self, commit_id: str, state: CursorState | None, newest: pa.Scalar | None
    ) -> PendingCommit | None:
        if self.store is None or self.cursor_field is None or newest is None:
            return None
        new_state = CursorState.from_scalar(self.cursor_field, newest)
        if state is not None and new_state.value == state.value:
            return None
        pending = PendingCommit(commit_id, new_state)
        self.store.write_pending(commit_id, new_state)
        return pending

    def _abort(self) -> None:
        try:
            self.writer.abort()
        except Exception:
            log.exception(
                "%s failed to abort; its staging area may need cleaning", self.target_name
            )


def _commit_id(job_name: str, state: CursorState | None) -> str:
    """Same job, same starting state: same id, so a replay can be recognised."""
    seed = json.dumps([job_name, state.to_json() if state else None], sort_keys=True)
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


def _max(current: pa.Scalar | None, column: pa.Array) -> pa.Scalar | None:
    candidate = pc.max(column)
    if not candidate.is_valid:
        return current
    if current is None or pc.greater(candidate, current).as_py():
        return candidate
    return current


def _close_quietly(name: str, close: Callable[[], None]) -> None:
    """Closing happens after the outcome is decided: a failure is logged, not raised."""
    try:
        close()
    except Exception:
        log.warning("%s failed to close cleanly", name, exc_info=True)


def _guarded(name: str, call: Callable[..., T], *args: Any) -> T:
    """Call a plugin hook; anything but a DativoError becomes PluginCrashed."""
    with blame(name):
        return call(*args)


def _guarded_iter(name: str, batches: Iterator[pa.RecordBatch]) -> Generator[pa.RecordBatch]:
    while True:
        with blame(name):
            batch = next(batches, None)
        if batch is None:
            return
        yield batch


class _ReadAhead(Iterator[pa.RecordBatch]):
    """Pull batches on a background thread, one batch ahead of the consumer.

    Arrow's readers and writers release the GIL, so the reader decodes the
    next batch while the writer encodes this one. Exceptions (and the end of
    the stream) travel through the same bounded queue; ``close`` stops the
    thread after the batch it is reading, so the reader can then be closed.
    """

    _END = object()

    def __init__(self, batches: Iterator[pa.RecordBatch]) -> None:
        self._batches = batches
        self._queue: queue.Queue[object] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, name="dativo-read-ahead", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        try:
            for batch in self._batches:
                if not self._put(batch):
                    return
            self._put(self._END)
        except BaseException as exc:
            self._put(exc)

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __next__(self) -> pa.RecordBatch:
        item = self._queue.get()
        if item is self._END:
            self._queue.put(item)  # stay exhausted
            raise StopIteration
        if isinstance(item, BaseException):
            raise item
        assert isinstance(item, pa.RecordBatch)
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
