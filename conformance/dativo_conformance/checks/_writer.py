"""Level ``verified`` for writers: atomic commit, clean abort, idempotent replay, round trip."""

from __future__ import annotations

import gc
from pathlib import Path

import pyarrow as pa

from dativo_conformance._check import Check, CheckFailed
from dativo_conformance._compare import assert_same_data
from dativo_conformance._context import Context
from dativo_conformance._readback import all_files, visible_files
from dativo_conformance._resources import child_processes, open_descriptors
from dativo_conformance.checks._reader import resource_leaks
from dativo_pkg._internal.files import sha256_file
from dativo_pkg.errors import DativoError
from dativo_pkg.sdk import WriteContext

__all__: list[str] = []


def _batches(table: pa.Table) -> list[pa.RecordBatch]:
    batches: list[pa.RecordBatch] = table.to_batches(max_chunksize=max(1, table.num_rows // 3))
    return batches


def _visible_rows(ctx: Context, values: dict[str, str], schema: pa.Schema) -> int:
    return int(ctx.read_back(values, schema).num_rows)


class CommitAtomic(Check):
    id = "writer.commit-atomic"
    title = "nothing visible before commit, everything after; CommitResult true"
    kind = "writer"
    level = "verified"

    def run(self, ctx: Context) -> None:
        table, values = ctx.dataset(), ctx.output("atomic")
        with ctx.writer(values) as writer:
            writer.open(table.schema, WriteContext("conformance", "atomic-0001"))
            for batch in _batches(table):
                writer.write(batch)
                seen = _visible_rows(ctx, values, table.schema)
                if seen or _visible(ctx, values):
                    raise CheckFailed(
                        f"output visible before commit: {seen} rows, files "
                        f"{', '.join(_visible(ctx, values)) or 'none'}"
                    )
            result = writer.commit()
        written = ctx.read_back(values, table.schema)
        if written.num_rows != table.num_rows:
            raise CheckFailed(f"after commit {written.num_rows} of {table.num_rows} rows visible")
        if result.rows != table.num_rows:
            raise CheckFailed(f"CommitResult.rows is {result.rows}, {table.num_rows} were written")
        _check_files(ctx, values, result.files, result.checksums)
        ctx.record("files", len(result.files))
        ctx.record("bytes", result.bytes)


def _visible(ctx: Context, values: dict[str, str]) -> list[str]:
    if ctx.project.fixture == "postgres":
        return []
    output = Path(values["output"])
    return [str(p.relative_to(output)) for p in visible_files(output)]


def _check_files(
    ctx: Context, values: dict[str, str], files: list[str], checksums: dict[str, str]
) -> None:
    if ctx.project.fixture == "postgres":
        return
    output = Path(values["output"])
    if not files:
        raise CheckFailed("CommitResult.files is empty, but files were written")
    paths = {name: _resolve(output, name) for name in files}
    missing = [name for name, path in paths.items() if not path.is_file()]
    if missing:
        raise CheckFailed(f"CommitResult.files names files that do not exist: {missing[:3]}")
    visible = {p.resolve() for p in visible_files(output)}
    unlisted = sorted(str(p) for p in visible - {p.resolve() for p in paths.values()})
    if unlisted:
        raise CheckFailed(f"committed files missing from CommitResult.files: {unlisted[:3]}")
    for name, digest in checksums.items():
        path = _resolve(output, name)
        if not path.is_file() or sha256_file(path) != digest.removeprefix("sha256:").lower():
            raise CheckFailed(f"CommitResult.checksums[{name!r}] is not the file's sha256")


def _resolve(output: Path, name: str) -> Path:
    path = Path(name)
    if path.is_absolute():
        return path
    return path if path.exists() else output / path


class AbortLeavesNothing(Check):
    id = "writer.abort-leaves-nothing"
    title = "abort() leaves nothing behind, and is safe to call twice"
    kind = "writer"
    level = "verified"

    def run(self, ctx: Context) -> None:
        table, values = ctx.dataset(), ctx.output("abort")
        with ctx.writer(values) as writer:
            writer.open(table.schema, WriteContext("conformance", "abort-0001"))
            for batch in _batches(table):
                writer.write(batch)
            writer.abort()
            writer.abort()
        left = all_files(Path(values["output"])) if ctx.project.fixture != "postgres" else []
        if left:
            names = [str(p.relative_to(values["output"])) for p in left]
            raise CheckFailed(f"abort left {len(left)} file(s): {', '.join(names[:5])}")
        rows = _visible_rows(ctx, values, table.schema)
        if rows:
            raise CheckFailed(f"abort left {rows} rows visible")


class IdempotentReplay(Check):
    id = "writer.idempotent-replay"
    title = "re-running a commit with the same commit id gives no duplicates"
    kind = "writer"
    level = "verified"

    def run(self, ctx: Context) -> None:
        table, values = ctx.dataset(), ctx.output("replay")
        ctx.write(values, table, commit_id="replay-0001")
        ctx.write(values, table, commit_id="replay-0001")
        rows = _visible_rows(ctx, values, table.schema)
        if rows != table.num_rows:
            raise CheckFailed(
                f"after two commits of the same id {rows} rows are visible, "
                f"expected {table.num_rows}"
            )


class RoundTrip(Check):
    id = "writer.round-trip"
    title = "what is committed reads back with every row, null and type"
    kind = "writer"
    level = "verified"

    def run(self, ctx: Context) -> None:
        table, values = ctx.dataset(), ctx.output("roundtrip")
        ctx.write(values, table)
        assert_same_data(ctx.read_back(values, table.schema), table, what="the data read back")


class WriterUnreachable(Check):
    id = "writer.unreachable"
    title = "an unreachable target raises a DativoError (SourceUnreachable), not a crash"
    kind = "writer"
    level = "verified"

    def run(self, ctx: Context) -> None:
        table = ctx.dataset(10)
        try:
            ctx.write(ctx.unreachable(), table)
        except DativoError as exc:
            ctx.record("error", type(exc).__name__)
            return
        except Exception as exc:
            raise CheckFailed(
                f"raised {type(exc).__name__} ({exc}), not a DativoError such as SourceUnreachable"
            ) from exc
        raise CheckFailed("writing to an unreachable target succeeded")


class WriterCloseReleases(Check):
    id = "writer.close-releases"
    title = "close() releases files, connections and child processes"
    kind = "writer"
    level = "verified"

    def run(self, ctx: Context) -> None:
        table = ctx.dataset()
        ctx.write(ctx.output("warmup"), table)
        gc.collect()
        before_fds, before_children = open_descriptors(), child_processes()
        ctx.write(ctx.output("close"), table)
        with ctx.writer(ctx.output("close-abort")) as writer:
            writer.open(table.schema, WriteContext("conformance", "close-0001"))
            writer.write(_batches(table)[0])
            writer.abort()
        gc.collect()
        problems = resource_leaks(ctx, before_fds, before_children)
        if problems:
            raise CheckFailed("after close(): " + "; ".join(problems))
