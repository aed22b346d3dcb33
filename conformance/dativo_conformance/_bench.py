"""``dativo-pkg bench``: the plugin against a built-in baseline on the standard dataset.

Each side runs in its own fresh subprocess (see :mod:`dativo_conformance._measure`),
``repeats`` times; the best run (highest rows/s) counts. MB/s is the
dataset's bytes on disk divided by seconds: for readers the files (or table)
the side reads, for writers the dataset as an uncompressed Arrow IPC file
(the same number for both sides, so the ratio compares like with like).

Baselines (``baseline`` in ``[tool.dativo.conformance]``, default the
fixture's): readers ``csv`` (each part file in turn: the built-in reader
reads one file), ``parquet`` (the directory), ``postgres`` (the table);
writers ``csv`` and ``parquet`` (a directory), ``postgres`` (a table).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dativo_conformance._context import Context
from dativo_conformance._fixtures import dataset_bytes, materialize
from dativo_conformance._measure import Measurement, measure, write_ipc
from dativo_conformance._report import SUITE_NAME, SUITE_VERSION
from dativo_conformance._runner import open_context
from dativo_conformance._target import Target
from dativo_pkg.errors import ConfigError
from dativo_pkg.trust import statement_subject

__all__ = ["READER_BASELINES", "WRITER_BASELINES", "run_benchmark"]

Say = Callable[[str], None]
#: A side of the benchmark: (connector, configs for run ``n``, dataset bytes).
_Side = tuple[str, Callable[[int], list[dict[str, Any]]], int]


def _csv_files(values: dict[str, str]) -> list[dict[str, Any]]:
    return [{"path": str(p)} for p in sorted(Path(values["source"]).glob("*.csv"))]


#: Built-in reader -> (fixture it reads, configs for the materialized dataset).
READER_BASELINES: dict[str, tuple[str, Callable[[dict[str, str]], list[dict[str, Any]]]]] = {
    "csv": ("csv", _csv_files),
    "parquet": ("parquet", lambda v: [{"path": v["source"]}]),
    "postgres": ("postgres", lambda v: [{"url": v["postgres_url"], "table": v["source"]}]),
}
#: Built-in writer -> config for a fresh target (values of ``Context.output``).
WRITER_BASELINES: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
    "csv": lambda v: {"path": v["output"]},
    "parquet": lambda v: {"path": v["output"]},
    "postgres": lambda v: {"url": v["postgres_url"], "table": v["table"]},
}


def _reader_sides(ctx: Context, rows: int) -> tuple[_Side, _Side]:
    project = ctx.project
    table = ctx.dataset(rows)
    values = ctx.materialize("bench", table)
    size = dataset_bytes(project.fixture, values)
    plugin: _Side = (project.connector, lambda _: [ctx.config(values)], size)
    name = project.baseline_plugin
    if name not in READER_BASELINES:
        raise ConfigError(
            f"no built-in reader {name!r} to compare with",
            hint=f"set baseline to one of {', '.join(READER_BASELINES)}",
        )
    fixture, configs = READER_BASELINES[name]
    base_values = values
    if fixture != project.fixture:
        base_values = materialize(
            table,
            fixture,
            ctx.workdir / "baseline",
            postgres_url=ctx.postgres_url,
            name="bench_baseline",
        )
    baseline: _Side = (name, lambda _: configs(base_values), dataset_bytes(fixture, base_values))
    return plugin, baseline


def _writer_sides(ctx: Context, rows: int, input_file: Path) -> tuple[_Side, _Side]:
    project = ctx.project
    size = write_ipc(ctx.dataset(rows), input_file)
    name = project.baseline_plugin
    if name not in WRITER_BASELINES:
        raise ConfigError(
            f"no built-in writer {name!r} to compare with",
            hint=f"set baseline to one of {', '.join(WRITER_BASELINES)}",
        )
    config = WRITER_BASELINES[name]
    plugin: _Side = (
        project.connector,
        lambda n: [ctx.config(ctx.output(f"bench-plugin-{n}"))],
        size,
    )
    baseline: _Side = (name, lambda n: [config(ctx.output(f"bench-baseline-{n}"))], size)
    return plugin, baseline


def _best(
    kind: str, side: _Side, repeats: int, input_file: Path | None, say: Say
) -> list[Measurement]:
    connector, configs, size = side
    runs = []
    for n in range(repeats):
        say(f"{connector}: run {n + 1} of {repeats}")
        runs.append(measure(kind, connector, configs(n), dataset_bytes=size, input_file=input_file))
    return sorted(runs, key=lambda m: m.rows_per_second, reverse=True)


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def run_benchmark(
    target: Target,
    *,
    rows: int = 100_000,
    repeats: int = 3,
    postgres_url: str | None = None,
    say: Say | None = None,
) -> dict[str, Any]:
    """Benchmark the plugin and its baseline; the results (a benchmark statement's predicate)."""
    tell: Say = say or (lambda _: None)
    plugin = target.plugin
    kind = target.project.kind
    with open_context(target, postgres_url=postgres_url, rows=rows, perf_rows=rows) as ctx:
        input_file = ctx.workdir / "bench.arrow" if kind == "writer" else None
        if input_file is not None:
            sides = _writer_sides(ctx, rows, input_file)
        else:
            sides = _reader_sides(ctx, rows)
        measured = [_best(kind, side, repeats, input_file, tell) for side in sides]
    results = [
        {
            "role": role,
            "plugin": side[0] if role == "plugin" else f"{side[0]} (built-in)",
            **runs[0].to_json(),
            "runs": [m.to_json() for m in runs],
        }
        for role, side, runs in zip(("plugin", "baseline"), sides, measured, strict=True)
    ]
    best, base = measured[0][0], measured[1][0]
    subject = None
    if target.dist is not None:
        digest = statement_subject(target.dist)
        subject = {"filename": digest.name, "sha256": digest.sha256}
    return {
        "suite": {"name": SUITE_NAME, "version": SUITE_VERSION},
        "plugin": {
            "kind": kind,
            "connector": target.project.connector,
            "distribution": plugin.distribution,
            "version": plugin.version,
            "language": plugin.language,
        },
        "subject": subject,
        "dataset": {"rows": rows, "fixture": target.project.fixture, "bytes": sides[0][2]},
        "repeats": repeats,
        "results": results,
        "ratios": {
            "rows_per_second": _ratio(best.rows_per_second, base.rows_per_second),
            "mb_per_second": _ratio(best.mb_per_second, base.mb_per_second),
            "peak_rss": _ratio(best.peak_rss_bytes, base.peak_rss_bytes),
        },
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
