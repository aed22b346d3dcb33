"""PostgreSQL reader benchmark: the Rust reader against the Python default, psycopg, ADBC,
ConnectorX and the psql and server floors.

    python bench/postgres/run.py --url postgresql://dativo@127.0.0.1:54329/dativo
    python bench/postgres/run.py --url ... --rows-scale 0.2 --tools postgres_rs,adbc,server
    python bench/postgres/run.py --url ... --build --json > result.json

Each tool reads each table in a fresh process, ``--repeat`` times (the order
of the tools reverses every round); the medians are reported with rows/s,
MB/s of the binary COPY stream, peak RSS and the ratios described in
``report.py``. A tool that is missing or fails is reported as such and the
run goes on. See README.md for the method and the results.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import psycopg
from contenders import TOOLS, URL_ENV, command, parse_output
from measure import RSS_METHOD, RunFailed, Sample, run_once, summarize
from report import TableResult, ToolResult, payload, print_report
from rich.console import Console
from rust_plugin import PLUGIN_PATH_ENV, BuildFailed, build_and_install, locate
from tables import TABLES, TableSpec, copy_bytes, ensure, server_version

from dativo_pkg.errors import ConfigError, DativoError, SourceUnreachable

RUST_TOOLS = ("postgres_rs", "postgres_rs_p2")


def _subset(raw: list[str] | None, known: Sequence[str], what: str) -> list[str]:
    if not raw:
        return list(known)
    picked = [item.strip() for value in raw for item in value.split(",") if item.strip()]
    unknown = sorted(set(picked) - set(known))
    if unknown:
        raise ConfigError(
            f"unknown {what}: {', '.join(unknown)}", hint=f"choose from {', '.join(known)}"
        )
    return [key for key in known if key in picked]  # the documented order, no repeats


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench-postgres", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument(
        "--url",
        default=os.environ.get(URL_ENV) or os.environ.get("DATIVO_TEST_PG_URL"),
        help=f"PostgreSQL URL (default: ${URL_ENV}, then $DATIVO_TEST_PG_URL); "
        "the tables are made there",
    )
    parser.add_argument(
        "--rows-scale",
        type=float,
        default=1.0,
        help="row-count factor: 1.0 = 1 M lineitem rows and 2 M narrow rows",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool (median)")
    parser.add_argument(
        "--tools",
        action="append",
        help=f"comma-separated subset of: {', '.join(TOOLS)}",
    )
    parser.add_argument(
        "--table", action="append", help=f"comma-separated subset of: {', '.join(TABLES)}"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--out", type=Path, help="also write the JSON to this file")
    parser.add_argument(
        "--build",
        action="store_true",
        help="build plugins/postgres-rs with dativo-pkg build and use that wheel",
    )
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="seconds one run may take before it fails"
    )
    return parser


def _prepare_rust(build: bool, work: Path, log: Console) -> tuple[str, str | None, str | None]:
    """The DATIVO_PLUGIN_PATH for the contenders, the reader's version, why it cannot run."""
    plugin_path = os.environ.get(PLUGIN_PATH_ENV, "")
    if build:
        log.log("building plugins/postgres-rs (dativo-pkg build, CARGO_BUILD_JOBS=2)")
        try:
            site = build_and_install(work)
        except BuildFailed as exc:
            return plugin_path, None, f"build failed: {exc}"
        plugin_path = os.pathsep.join(p for p in (str(site), plugin_path) if p)
    version = locate(plugin_path)
    return plugin_path, version, None if version else "not installed"


def _run_table(
    spec: TableSpec,
    args: argparse.Namespace,
    tools: list[str],
    env: dict[str, str],
    rust_problem: str | None,
    log: Console,
) -> TableResult:
    rows = spec.rows(args.rows_scale)
    ensure(args.url, spec, rows, log.log)
    size = copy_bytes(args.url, spec)
    result = TableResult(spec.key, spec.name, rows, size, spec.typed_columns)
    active: list[str] = []
    for key in tools:
        if key in RUST_TOOLS and rust_problem:
            status = "not installed" if rust_problem == "not installed" else "failed"
            result.tools[key] = ToolResult(key, status, reason=rust_problem)
        else:
            result.tools[key] = ToolResult(key, "ok")
            active.append(key)
    samples: dict[str, list[Sample]] = {key: [] for key in active}
    reads: dict[str, list[float]] = {key: [] for key in active}
    for round_no in range(args.repeat):
        for key in active if round_no % 2 == 0 else active[::-1]:
            tool, entry = TOOLS[key], result.tools[key]
            if entry.status != "ok":
                continue
            try:
                sample = run_once(command(tool, spec.name, args.url), env, args.timeout)
                outcome = parse_output(tool, sample.stdout)
                if outcome.rows != rows:
                    raise RunFailed(f"read {outcome.rows:,} rows, the table has {rows:,}")
            except (RunFailed, OSError, ValueError) as exc:
                entry.status, entry.reason = "failed", str(exc).replace(args.url, "<url>")
                log.log(f"{spec.key} round {round_no + 1}: {tool.label}: failed: {entry.reason}")
                continue
            samples[key].append(sample)
            if outcome.read_s is not None:
                reads[key].append(outcome.read_s)
            entry.rows, entry.schema, entry.version = outcome.rows, outcome.schema, outcome.version
            log.log(
                f"{spec.key} round {round_no + 1}/{args.repeat}: {tool.label}: "
                f"{sample.seconds:.2f} s, {sample.peak_rss_mb:.0f} MB"
            )
    for key in active:
        entry = result.tools[key]
        if entry.status == "ok":
            entry.summary = summarize(samples[key])
            entry.read_s = sorted(reads[key])[len(reads[key]) // 2] if reads[key] else None
    return result


def run(args: argparse.Namespace) -> int:
    log = Console(stderr=True, log_path=False, width=None if sys.stderr.isatty() else 160)
    if not args.url:
        raise ConfigError(
            "no PostgreSQL URL",
            hint=f"pass --url (e.g. --url $(scripts/pg.sh url)) or set {URL_ENV}",
        )
    if args.rows_scale <= 0 or args.repeat < 1:
        raise ConfigError(
            "--rows-scale must be > 0 and --repeat >= 1", hint="e.g. --rows-scale 0.2 --repeat 3"
        )
    tools = _subset(args.tools, list(TOOLS), "tools")
    specs = [TABLES[key] for key in _subset(args.table, list(TABLES), "tables")]
    try:
        version = server_version(args.url)
    except psycopg.Error as exc:
        raise SourceUnreachable(
            f"cannot connect to PostgreSQL: {type(exc).__name__}",
            hint="check --url; start the local server with scripts/pg.sh start",
        ) from None
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-pg-")))
        rust_version, rust_problem = None, None
        env = {**os.environ, URL_ENV: args.url}
        if any(key in RUST_TOOLS for key in tools):
            plugin_path, rust_version, rust_problem = _prepare_rust(args.build, work, log)
            env[PLUGIN_PATH_ENV] = plugin_path
            log.log(f"postgres_rs: {rust_version or rust_problem}")
        results = [_run_table(spec, args, tools, env, rust_problem, log) for spec in specs]
    meta = {
        "benchmark": "postgres-reader",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "server_version": version,
        "cpus": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()}",
        "python": platform.python_version(),
        "postgres_rs": rust_version,
        "rows_scale": args.rows_scale,
        "repeat": args.repeat,
        "peak_rss": RSS_METHOD,
        "seconds": "wall time of a fresh process per run, median; read_seconds: what the tool "
        "timed itself after importing its libraries",
    }
    document = payload(results, meta)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(document, indent=2) + "\n")
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print_report(Console(width=None if sys.stdout.isatty() else 160), results, args.repeat)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return run(args)
    except DativoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except psycopg.Error as exc:  # making the tables or measuring the COPY size
        message = " ".join(str(exc).split())
        print(f"error: PostgreSQL: {message}", file=sys.stderr)
        return SourceUnreachable.exit_code


if __name__ == "__main__":
    sys.exit(main())
