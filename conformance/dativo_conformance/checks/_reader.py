"""Level ``verified`` for readers: every functional check on the standard dataset.

Batch size limits: every batch holds at most ``MAX_BATCH_ROWS`` rows and
``MAX_BATCH_BYTES`` bytes of Arrow memory, so the runtime's memory stays
bounded by a few batches whatever the size of the source.
"""

from __future__ import annotations

import gc
from collections import Counter

import pyarrow as pa

from dativo_conformance._check import Check, CheckFailed
from dativo_conformance._compare import assert_same_data
from dativo_conformance._context import Context
from dativo_conformance._resources import child_processes, leaked, open_descriptors
from dativo_pkg.errors import DativoError, SourceUnreachable
from dativo_pkg.sdk import iter_batches

__all__ = ["MAX_BATCH_BYTES", "MAX_BATCH_ROWS", "resource_leaks"]

MAX_BATCH_ROWS = 1 << 20
MAX_BATCH_BYTES = 256 << 20


class ReaderCheck(Check):
    id = "reader.check"
    title = "check() succeeds on a reachable source"
    kind = "reader"
    level = "verified"

    def run(self, ctx: Context) -> None:
        with ctx.reader(ctx.source) as reader:
            reader.check()


class SchemaStable(Check):
    id = "reader.schema-stable"
    title = "schema() stable, and equal to every batch's schema"
    kind = "reader"
    level = "verified"

    def run(self, ctx: Context) -> None:
        with ctx.reader(ctx.source) as reader:
            first, second = reader.schema(), reader.schema()
            if not first.equals(second):
                raise CheckFailed(f"two calls of schema() differ: {first} vs {second}")
            batches = list(iter_batches(reader.read(None)))
        for number, batch in enumerate(batches):
            if not batch.schema.equals(first):
                raise CheckFailed(
                    f"batch {number}'s schema differs from schema(): "
                    f"{_describe(batch.schema)} vs {_describe(first)}"
                )
        ctx.record("columns", first.names)


def _describe(schema: pa.Schema) -> str:
    return "(" + ", ".join(f"{f.name}: {f.type}" for f in schema) + ")"


class BatchSizes(Check):
    id = "reader.batch-sizes"
    title = f"batches are record batches of at most {MAX_BATCH_ROWS} rows and 256 MiB"
    kind = "reader"
    level = "verified"

    def run(self, ctx: Context) -> None:
        _, batches = ctx.read_batches(ctx.source)
        for number, batch in enumerate(batches):
            if not isinstance(batch, pa.RecordBatch):
                raise CheckFailed(f"item {number} is a {type(batch).__name__}, not a RecordBatch")
            if batch.num_rows > MAX_BATCH_ROWS or batch.nbytes > MAX_BATCH_BYTES:
                raise CheckFailed(
                    f"batch {number} holds {batch.num_rows} rows, {batch.nbytes} bytes: over "
                    f"the limits ({MAX_BATCH_ROWS} rows, {MAX_BATCH_BYTES} bytes)"
                )
        ctx.record("batches", len(batches))
        ctx.record("largest_batch_rows", max((b.num_rows for b in batches), default=0))


class NullsAndTypes(Check):
    id = "reader.nulls-and-types"
    title = "every row, null and declared type of the dataset preserved"
    kind = "reader"
    level = "verified"

    def run(self, ctx: Context) -> None:
        table = ctx.read_table(ctx.source)
        assert_same_data(table, ctx.dataset(), what="the data read")
        ctx.record("rows", table.num_rows)
        ctx.record("types", {f.name: str(f.type) for f in table.schema})


class Deterministic(Check):
    id = "reader.deterministic"
    title = "the same input read twice gives the same output, in the same order"
    kind = "reader"
    level = "verified"

    def run(self, ctx: Context) -> None:
        first = ctx.read_table(ctx.source).combine_chunks()
        second = ctx.read_table(ctx.source).combine_chunks()
        if not first.equals(second):
            raise CheckFailed(
                f"two reads of the same source differ ({first.num_rows} vs {second.num_rows} "
                "rows, or different values or order)"
            )


class Unreachable(Check):
    id = "reader.unreachable"
    title = "an unreachable source raises a DativoError (SourceUnreachable), not a crash"
    kind = "reader"
    level = "verified"

    def run(self, ctx: Context) -> None:
        try:
            with ctx.reader(ctx.unreachable()) as reader:
                reader.check()
                rows = sum(b.num_rows for b in iter_batches(reader.read(None)))
        except DativoError as exc:
            ctx.record("error", type(exc).__name__)
            if not isinstance(exc, SourceUnreachable):
                ctx.record("note", "SourceUnreachable is preferred")
            return
        except Exception as exc:
            raise CheckFailed(
                f"raised {type(exc).__name__} ({exc}), not a DativoError such as SourceUnreachable"
            ) from exc
        raise CheckFailed(f"check() and read() succeeded on an unreachable source ({rows} rows)")


class CloseReleases(Check):
    id = "reader.close-releases"
    title = "close() releases files, connections and child processes"
    kind = "reader"
    level = "verified"

    def run(self, ctx: Context) -> None:
        ctx.read_table(ctx.source)  # warm up: lazy, process-wide resources appear now
        gc.collect()
        before_fds, before_children = open_descriptors(), child_processes()
        ctx.read_table(ctx.source)
        with ctx.reader(ctx.source) as reader:  # stopped after one batch
            for _ in iter_batches(reader.read(None)):
                break
        gc.collect()
        problems = resource_leaks(ctx, before_fds, before_children)
        if problems:
            raise CheckFailed("after close(): " + "; ".join(problems))


def resource_leaks(ctx: Context, before_fds: Counter[str], before_children: set[int]) -> list[str]:
    problems = []
    fds = leaked(before_fds, open_descriptors())
    if fds:
        problems.append(f"{len(fds)} descriptor(s) still open: {', '.join(fds[:5])}")
    children = child_processes() - before_children
    if children:
        problems.append(f"child process(es) left running: {sorted(children)}")
    if ctx.database is not None:
        sessions = ctx.database.connections()
        if sessions:
            problems.append(f"{sessions} PostgreSQL session(s) still open")
    return problems
