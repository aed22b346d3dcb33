"""Level ``certified``: incremental resume, the performance floor, and a valid signature.

Performance floor (low on purpose: it catches pathological plugins, not slow
ones; ``dativo-pkg bench`` compares with the built-in plugins): on the
standard dataset, at least ``MIN_ROWS_PER_SECOND`` rows per second and at
most ``MAX_PEAK_RSS_MB`` MiB of peak resident memory, measured in a fresh
subprocess.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from dativo_conformance._check import Check, CheckFailed
from dativo_conformance._context import Context
from dativo_conformance._fixtures import dataset_bytes, materialize
from dativo_conformance._measure import measure, write_ipc
from dativo_pkg.errors import DativoError
from dativo_pkg.job import Job, LoadedJob
from dativo_pkg.runtime import RunSummary, run_job
from dativo_pkg.trust import (
    KEY_SUFFIX,
    KEYLESS_SUFFIX,
    is_key_bundle,
    statement_subject,
    verify_signature,
)

__all__ = ["MAX_PEAK_RSS_MB", "MIN_ROWS_PER_SECOND"]

MIN_ROWS_PER_SECOND = 20_000
MAX_PEAK_RSS_MB = 1024


def _run(ctx: Context, name: str, source: dict[str, Any], target: dict[str, Any]) -> RunSummary:
    job = Job.model_validate(
        {
            "name": name,
            "source": source,
            "target": target,
            "state": {"path": str(ctx.workdir / "state" / f"{name}.json")},
        }
    )
    try:
        return run_job(LoadedJob(job=job, path=ctx.workdir / f"{name}.yaml"))
    except DativoError as exc:
        raise CheckFailed(f"the incremental job failed: {exc.message}") from exc


def _ids_exactly(table: pa.Table, last: int, what: str) -> None:
    ids = sorted(table.column("id").to_pylist())
    duplicates = len(ids) - len(set(ids))
    missing = sorted(set(range(1, last + 1)) - set(ids))
    if duplicates or missing or len(ids) != last:
        raise CheckFailed(
            f"{what}: {len(ids)} rows for ids 1..{last}: {duplicates} duplicate(s), "
            f"{len(missing)} missing (first {missing[:3]})"
        )


class ReaderIncremental(Check):
    id = "reader.incremental"
    title = "incremental resume through the runtime: no duplicates, no gaps"
    kind = "reader"
    level = "certified"

    def run(self, ctx: Context) -> None:
        first, more = ctx.rows, max(1, ctx.rows // 2)
        values = ctx.materialize("incremental", ctx.dataset(first))
        output = ctx.new_dir("incremental-out")
        source = {
            "plugin": ctx.project.connector,
            "config": ctx.config(values),
            "incremental": {"cursor_field": ctx.project.cursor_field},
        }
        target = {"plugin": "parquet", "config": {"path": str(output)}}
        runs = [_run(ctx, "conformance-incremental", source, target).rows]
        ctx.materialize("incremental", ctx.dataset(more, start_id=first + 1), append=True)
        runs.append(_run(ctx, "conformance-incremental", source, target).rows)
        runs.append(_run(ctx, "conformance-incremental", source, target).rows)
        ctx.record("rows_per_run", runs)
        _ids_exactly(pq.read_table(output), first + more, "after two increments")
        if runs != [first, more, 0]:
            raise CheckFailed(f"the three runs delivered {runs} rows, expected {[first, more, 0]}")


class WriterIncremental(Check):
    id = "writer.incremental"
    title = "incremental runs through the runtime: no duplicates, no gaps"
    kind = "writer"
    level = "certified"

    def run(self, ctx: Context) -> None:
        first, more = ctx.rows, max(1, ctx.rows // 2)
        sources = ctx.workdir / "writer-incremental"
        table = ctx.dataset(first)
        data = materialize(table, "parquet", sources)
        values = ctx.output("incremental")
        source = {
            "plugin": "parquet",
            "config": {"path": data["source"]},
            "incremental": {"cursor_field": "id"},
        }
        target = {"plugin": ctx.project.connector, "config": ctx.config(values)}
        runs = [_run(ctx, "conformance-writer-incremental", source, target).rows]
        materialize(ctx.dataset(more, start_id=first + 1), "parquet", sources, append=True)
        runs.append(_run(ctx, "conformance-writer-incremental", source, target).rows)
        runs.append(_run(ctx, "conformance-writer-incremental", source, target).rows)
        ctx.record("rows_per_run", runs)
        _ids_exactly(ctx.read_back(values, table.schema), first + more, "after two increments")


class PerformanceFloor(Check):
    id = "performance.floor"
    title = f"at least {MIN_ROWS_PER_SECOND} rows/s and at most {MAX_PEAK_RSS_MB} MiB peak RSS"
    kind = "any"
    level = "certified"

    def run(self, ctx: Context) -> None:
        table = ctx.dataset(ctx.perf_rows)
        if ctx.project.kind == "reader":
            values = ctx.materialize("performance", table)
            size = dataset_bytes(ctx.project.fixture, values)
            result = measure(
                "reader", ctx.project.connector, [ctx.config(values)], dataset_bytes=size
            )
        else:
            input_file = ctx.workdir / "performance.arrow"
            size = write_ipc(table, input_file)
            configs = [ctx.config(ctx.output("performance"))]
            result = measure(
                "writer", ctx.project.connector, configs, dataset_bytes=size, input_file=input_file
            )
        for key, value in result.to_json().items():
            ctx.record(key, value)
        if result.rows != table.num_rows:
            raise CheckFailed(f"the measured run moved {result.rows} of {table.num_rows} rows")
        problems = []
        if result.rows_per_second < MIN_ROWS_PER_SECOND:
            problems.append(f"{result.rows_per_second:,.0f} rows/s < {MIN_ROWS_PER_SECOND:,}")
        if result.peak_rss_mb > MAX_PEAK_RSS_MB:
            problems.append(f"peak RSS {result.peak_rss_mb:,.0f} MiB > {MAX_PEAK_RSS_MB:,}")
        if problems:
            raise CheckFailed("below the performance floor: " + "; ".join(problems))


class Signed(Check):
    id = "trust.signed"
    title = "the distribution carries a valid signature (publish attestation)"
    kind = "any"
    level = "certified"

    def run(self, ctx: Context) -> None:
        dist = ctx.target.dist
        if dist is None:
            raise CheckFailed(
                "no distribution file was tested, so there is no signature to check "
                "(test a wheel: `dativo-pkg test --dist WHEEL`)"
            )
        candidates = [dist.with_name(dist.name + s) for s in (KEYLESS_SUFFIX, KEY_SUFFIX)]
        found = [p for p in candidates if p.is_file()]
        if not found:
            raise CheckFailed(
                f"no {KEYLESS_SUFFIX} or {KEY_SUFFIX} beside {dist.name}: sign it with "
                "`dativo-pkg sign` (keyless) or `dativo-pkg sign --key KEY`"
            )
        subject = statement_subject(dist)
        problems = []
        for path in found:
            document = _load(path)
            if is_key_bundle(document) and not ctx.target.publishers:
                problems.append(
                    f"{path.name} is signed with a publisher key, and no publisher key was "
                    "given to verify it with (dativo-pkg test --publisher-key KEY.pub)"
                )
                continue
            try:
                verified = verify_signature(
                    ctx.target.trust_roots(),
                    document,
                    subject,
                    publishers=ctx.target.publishers,
                )
            except DativoError as exc:
                problems.append(f"{path.name}: {exc}")
                continue
            ctx.record(
                "signer", {"issuer": verified.signer.issuer, "identity": verified.signer.identity}
            )
            ctx.record("method", verified.kind)
            return
        raise CheckFailed("; ".join(problems))


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckFailed(f"cannot read {path.name}: {exc}") from exc
