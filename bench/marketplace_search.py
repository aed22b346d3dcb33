"""Marketplace search with 10,000 plugins: latency of search and plugin pages, per database.

    python bench/marketplace_search.py [--plugins 10000] [--requests 300]
        [--url postgresql://USER@HOST:PORT/DB] [--no-sqlite] [--rounds 3] [--json] [--out FILE]

For each backend (SQLite in a temporary data dir; PostgreSQL in a fresh
database created on the server ``--url`` names, dropped afterwards) the
database is filled with ``--plugins`` plugin projects straight through
SQLAlchemy (``_marketplace_fill.py``: projects, releases with manifests and
READMEs, files, publishers, signed reports and benchmarks, then the
registry's own catalog refresh; then vacuumed and analyzed, as autovacuum
would have), the real ``dativo-registry serve`` is started on it (one
worker, no access log), and httpx asks it, one request at a time over
loopback, ``--requests`` times each:

- ``search``: ``GET /api/v1/plugins`` with a mix of full-text queries
  (words, two words, prefixes), filters (kind, language, certification,
  signed), the five sorts and later pages;
- ``search page``: ``GET /?q=...`` with the same mix, if the web
  marketplace serves ``/`` (HTML);
- ``plugin page``: ``GET /plugins/{name}`` (HTML) if the web marketplace
  serves it, else ``GET /api/v1/plugins/{name}``.

Each HTTP series is reported twice: server-side, the goal's measure (the
``Server-Timing: app;dur=`` the registry puts on every response: request
received to response started, so routing, the handler with its database
work, and rendering), and as ``(client)``, client-side wall clock over
loopback (request sent to body read, adding HTTP and the client: an upper
bound). ``search (in-process)`` times ``search_plugins`` alone on a session,
as the server calls it: the database part, with how many plugins the
searches match. p50/p95/p99 in ms and p95 against the 50 ms goal.
Warm-up requests (30) are not counted. On a shared machine, ``--rounds 3``
repeats every series and keeps the round with the median p95; the JSON has
every round's p95 and the 1-minute load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

sys.path.insert(0, str(Path(__file__).parent))
from _marketplace_fill import CONNECTORS, WORDS, fill

from dativo_registry import db
from dativo_registry.config import Settings
from dativo_registry.timing import HEADER, parse_duration

BIN = Path(sys.executable).parent
GOAL_MS = 50.0
WARMUP = 30
console = Console(stderr=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(data_dir: Path, database_url: str | None) -> Iterator[str]:
    """``dativo-registry serve`` on the database for the block; its base URL."""
    port = free_port()
    argv = [str(BIN / "dativo-registry"), "serve", "--data-dir", str(data_dir)]
    argv += ["--port", str(port), "--no-access-log"]
    argv += ["--database-url", database_url] if database_url else []
    log = data_dir / "serve.log"
    proc = subprocess.Popen(
        argv, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"dativo-registry serve exited:\n{log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/simple/", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("dativo-registry serve did not start within 120 s")
            time.sleep(0.1)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


@contextmanager
def fresh_postgres(server_url: str) -> Iterator[str]:
    """A new database on the server of ``server_url``, dropped afterwards."""
    import psycopg
    from psycopg import sql

    name = f"dativo_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{server_url.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def search_params(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """A mix of what people type and click: words, prefixes, filters, sorts, pages."""
    mix: list[dict[str, Any]] = []
    for _ in range(count):
        roll = rng.random()
        params: dict[str, Any] = {}
        if roll < 0.7:
            word = rng.choice(WORDS + CONNECTORS)
            params["q"] = rng.choice(
                [word, f"{word} {rng.choice(WORDS)}", word[: max(3, len(word) // 2)]]
            )
        if rng.random() < 0.3:
            params["kind"] = rng.choice(["reader", "writer"])
        if rng.random() < 0.15:
            params["language"] = rng.choice(["python", "rust", "go"])
        if rng.random() < 0.15:
            params["certification"] = rng.choice(["compatible", "verified", "certified"])
        if rng.random() < 0.15:
            params["signed"] = "true"
        if rng.random() < 0.4:
            params["sort"] = rng.choice(["name", "newest", "downloads", "throughput"])
        if rng.random() < 0.2:
            params["page"] = rng.randint(2, 5)
        mix.append(params)
    return mix


def timed(call: Callable[[], object], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def rank(p: float) -> float:  # nearest rank
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]

    p95 = rank(95)
    return {
        "p50_ms": round(rank(50), 2),
        "p95_ms": round(p95, 2),
        "p99_ms": round(rank(99), 2),
        "p95_vs_goal": round(p95 / GOAL_MS, 3),
        "n": len(samples),
    }


def measure(url: str, names: list[str], requests: int, seed: int) -> dict[str, dict[str, float]]:
    rng = random.Random(seed)
    searches = search_params(rng, requests + WARMUP)
    pages = [rng.choice(names) for _ in range(requests + WARMUP)]
    results = {}
    with httpx.Client(base_url=url, timeout=30) as client:
        web_search = _is_html(client.get("/", params={"q": "postgres"}))
        web_page = _is_html(client.get(f"/plugins/{names[0]}"))

        def series(label: str, path: Callable[[int], str], params: list[dict[str, Any]]) -> None:
            position = iter(range(len(params)))
            server: list[float] = []

            def one() -> None:
                i = next(position)
                response = client.get(path(i), params=params[i])
                if response.status_code != 200:
                    raise RuntimeError(f"{label}: {response.status_code} for {response.url}")
                duration = parse_duration(response.headers.get(HEADER))
                if duration is None:
                    raise RuntimeError(f"{label}: no Server-Timing header from {response.url}")
                server.append(duration)

            timed(one, WARMUP)
            del server[:]
            client_side = percentiles(timed(one, requests))
            results[label] = percentiles(server)
            results[f"{label} (client)"] = client_side

        series("search", lambda _: "/api/v1/plugins", searches)
        if web_search:
            series("search page", lambda _: "/", searches)
        no_params: list[dict[str, Any]] = [{} for _ in pages]
        if web_page:
            series("plugin page", lambda i: f"/plugins/{pages[i]}", no_params)
        else:
            series("plugin page (API)", lambda i: f"/api/v1/plugins/{pages[i]}", no_params)
    return results


def _is_html(response: httpx.Response) -> bool:
    return response.status_code == 200 and "text/html" in response.headers.get("content-type", "")


def in_process(
    data_dir: Path, database_url: str | None, requests: int, seed: int
) -> dict[str, float]:
    """search_plugins alone, on one session per call (as one request has); also how many
    plugins the searches match (median and 90th percentile of their totals)."""
    from sqlalchemy.orm import Session

    from dativo_registry.search import SearchParams, search_plugins

    engine = db.make_engine(Settings(data_dir=data_dir, database_url=database_url))
    mix = search_params(random.Random(seed), requests + WARMUP)
    position = iter(range(len(mix)))

    totals: list[int] = []

    def one() -> None:
        params = dict(mix[next(position)])
        params["signed"] = params.get("signed") == "true"
        with Session(engine) as session:
            totals.append(search_plugins(session, SearchParams(**params)).total)

    try:
        timed(one, WARMUP)
        stats = percentiles(timed(one, requests))
    finally:
        engine.dispose()
    counted = sorted(totals[WARMUP:])
    stats["matches_p50"] = counted[len(counted) // 2]
    stats["matches_p90"] = counted[int(len(counted) * 0.9)]
    return stats


def run_backend(
    label: str, data_dir: Path, database_url: str | None, args: argparse.Namespace
) -> dict[str, Any]:
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(Settings(data_dir=data_dir, database_url=database_url))
    try:
        db.upgrade(engine)
        started = time.perf_counter()
        names = fill(engine, args.plugins, seed=args.seed)
        fill_seconds = time.perf_counter() - started
        settle(engine)
    finally:
        engine.dispose()
    console.log(f"{label}: {args.plugins:,} plugins written in {fill_seconds:.1f} s")
    load_before = os.getloadavg()[0]
    rounds: list[dict[str, dict[str, float]]] = []
    with serving(data_dir, database_url) as url:
        for _ in range(args.rounds):
            rounds.append(measure(url, names, args.requests, args.seed))
    for n in range(args.rounds):
        rounds[n]["search (in-process)"] = in_process(
            data_dir, database_url, args.requests, args.seed
        )
    return {
        "backend": label,
        "fill_seconds": round(fill_seconds, 1),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "series": {label: _median_round(rounds, label) for label in rounds[0]},
    }


SETTLE = {"sqlite": ("VACUUM", "ANALYZE"), "postgresql": ("VACUUM ANALYZE",)}


def settle(engine: Engine) -> None:
    """Vacuum and analyze after the bulk fill, as autovacuum would have in a registry that
    grew to this size: the planner's statistics and the visibility map are then those of
    a steady state, not of a table written a second ago."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for statement in SETTLE[engine.dialect.name]:
            conn.exec_driver_sql(statement)


def _median_round(rounds: list[dict[str, dict[str, float]]], label: str) -> dict[str, Any]:
    """The stats of the round with the median p95, and every round's p95."""
    ordered = sorted((r[label] for r in rounds), key=lambda stats: stats["p95_ms"])
    return {**ordered[len(ordered) // 2], "p95_rounds_ms": [r[label]["p95_ms"] for r in rounds]}


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    table = Table(
        title=f"{args.plugins:,} plugins, {args.requests} sequential requests per series "
        "(server-side from Server-Timing; (client): over loopback; in-process: "
        "search_plugins alone)"
    )
    for column in ("backend", "series", "p50 ms", "p95 ms", "p99 ms", "p95 / 50 ms goal"):
        table.add_column(column, justify="left" if column in ("backend", "series") else "right")
    for backend in results:
        for label, stats in backend["series"].items():
            table.add_row(
                backend["backend"],
                label,
                f"{stats['p50_ms']:.1f}",
                f"{stats['p95_ms']:.1f}",
                f"{stats['p99_ms']:.1f}",
                f"{stats['p95_vs_goal']:.2f}x",
            )
    Console(stderr=args.json).print(table)


def _command(argv: list[str]) -> str:
    """The command line, any password in a URL hidden."""
    from sqlalchemy.engine import make_url

    shown = [
        make_url(arg).render_as_string(hide_password=True) if "://" in arg else arg for arg in argv
    ]
    return " ".join(["python", "bench/marketplace_search.py", *shown])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plugins", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300, help="per series")
    parser.add_argument("--url", help="PostgreSQL server URL: also measure on PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every series this many times and report the round with the median p95 "
        "(a shared machine's other load comes and goes)",
    )
    parser.add_argument("--json", action="store_true", help="results as JSON on stdout")
    parser.add_argument("--out", type=Path, help="also write the JSON results here")
    args = parser.parse_args(argv)
    if args.plugins < 1 or args.requests < 1 or args.rounds < 1:
        parser.error("--plugins, --requests and --rounds must be at least 1")

    results = []
    with tempfile.TemporaryDirectory(prefix="dativo-market-") as tmp:
        if not args.no_sqlite:
            results.append(run_backend("sqlite", Path(tmp) / "sqlite", None, args))
        if args.url:
            with fresh_postgres(args.url) as database_url:
                results.append(run_backend("postgresql", Path(tmp) / "pg", database_url, args))
    document = {
        "plugins": args.plugins,
        "requests_per_series": args.requests,
        "goal_ms": GOAL_MS,
        "measured": "server-side: the registry's Server-Timing app;dur (request received to "
        "response started); '(client)': client-side wall clock over loopback; sequential httpx "
        "requests, one server worker; 'search (in-process)' is search_plugins alone; of several "
        "rounds, the one with the median p95; load_average: the 1-minute load before and after",
        "cpus": os.cpu_count(),
        "command": _command(argv if argv is not None else sys.argv[1:]),
        "results": results,
    }
    report(results, args)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(document, indent=2) + "\n")
    if args.json:
        print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
