"""Smoke test of the PostgreSQL reader benchmark (bench/postgres/run.py).

Runs the real command on tiny tables (1,000 lineitem and 2,000 narrow rows),
one repetition, in a fresh database, and checks what it reports: every tool
that can run read every row, a tool whose library or program is missing is
reported as failed and the run goes on, the ratios are in the JSON and in the
terminal tables. Nothing about speed is asserted.

The Rust reader is built with the benchmark's own ``--build`` when the plugin
project and cargo are there (cargo's target directory is the one the other
tests share, so the compile is done once); otherwise it must be reported as
"not installed".
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]
RUN = REPO / "bench" / "postgres" / "run.py"
RUST_PROJECT = REPO / "plugins" / "postgres-rs"
SCALE = "0.001"
ROWS = {"lineitem": 1_000, "narrow": 2_000}
LIBRARIES = {"psycopg": "psycopg", "adbc": "adbc_driver_postgresql", "connectorx": "connectorx"}
NUMERIC_COLUMNS = ("l_quantity", "l_extendedprice", "l_discount", "l_tax")


def bench(url: str, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "DATIVO_PLUGIN_PATH"}
    env |= {"COLUMNS": "200", **extra_env}
    return subprocess.run(
        [sys.executable, str(RUN), "--url", url, "--rows-scale", SCALE, "--repeat", "1", *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=1800,
        check=False,
    )


def can_build_rust() -> bool:
    return (RUST_PROJECT / "pyproject.toml").is_file() and shutil.which("cargo") is not None


def may_copy_to_server_files(url: str) -> bool:
    """COPY ... TO '/dev/null' (the server floor) needs superuser or pg_write_server_files."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT rolsuper OR pg_has_role(current_user, 'pg_write_server_files', 'member') "
            "FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    return bool(row and row[0])


def expected_status(tool: str, url: str) -> str:
    if tool in ("postgres_rs", "postgres_rs_p2"):
        return "ok" if can_build_rust() else "not installed"
    if tool in LIBRARIES:
        return "ok" if importlib.util.find_spec(LIBRARIES[tool]) else "failed"
    if tool == "psql":
        return "ok" if shutil.which("psql") else "failed"
    if tool == "server":
        return "ok" if shutil.which("psql") and may_copy_to_server_files(url) else "failed"
    return "ok"  # postgres: the Python default reader, always there


def test_every_contender_reads_every_row_and_the_json_has_the_ratios(pg_url: str) -> None:
    build = ["--build"] if can_build_rust() else []
    proc = bench(pg_url, "--json", *build)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert pg_url not in proc.stdout + proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)

    assert set(result["tables"]) == set(ROWS)
    for key, table in result["tables"].items():
        assert table["rows"] == ROWS[key]
        assert table["copy_bytes"] > 0
        tools = table["tools"]
        assert list(tools) == [
            "postgres_rs",
            "postgres_rs_p2",
            "postgres",
            "psycopg",
            "adbc",
            "connectorx",
            "psql",
            "server",
        ]
        for tool, entry in tools.items():
            assert entry["status"] == expected_status(tool, pg_url), (key, tool, entry)
            if entry["status"] == "ok":
                # Every contender that ran produced the same row count: the table's.
                assert entry["rows"] == ROWS[key], (key, tool, entry)
                assert entry["seconds"] > 0 and len(entry["runs"]) == 1
                assert entry["rows_per_s"] > 0 and entry["mb_per_s"] > 0
                if tool != "server":
                    assert entry["peak_rss_mb"] > 0
            elif entry["status"] == "failed":
                assert entry["reason"], (key, tool, entry)

        ratios = table["ratios"]
        ran = [tool for tool, entry in tools.items() if entry["status"] == "ok"]
        if "server" in ran:
            assert ratios["to_server_floor"]["server"] == 1.0
            for tool in ran:
                assert ratios["to_server_floor"][tool] > 0
                assert ratios["read_to_server_floor"][tool] > 0
        if {"postgres", "psycopg"} <= set(ran):
            assert ratios["python_default_vs_psycopg"] > 0
        if "postgres_rs" in ran:
            for peer in ran:
                if peer not in ("postgres_rs", "postgres_rs_p2"):
                    assert ratios["postgres_rs_speedup"][peer] > 0
            assert ratios["postgres_rs_vs_python_default"] > 0
            assert ratios["partitions_2_speedup"] > 0
        assert {goal["goal"] for goal in table["goals"]}

    lineitem = result["tables"]["lineitem"]["tools"]
    assert lineitem["postgres"]["types"] == dict.fromkeys(NUMERIC_COLUMNS, "decimal128(15, 2)")
    if lineitem["postgres_rs"]["status"] == "ok":
        exact = dict.fromkeys(NUMERIC_COLUMNS, "decimal128(15, 2)")
        assert lineitem["postgres_rs"]["types"] == exact
        assert lineitem["postgres_rs_p2"]["types"] == exact


def test_the_terminal_report_prints_the_tables_and_ratios(pg_url: str) -> None:
    proc = bench(pg_url, "--tools", "postgres,psycopg", "--tools", "psql", "--table", "narrow")
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = proc.stdout
    assert "narrow: bench_pg_narrow, 2,000 rows" in out
    assert "postgres (Python default)" in out and "psycopg named cursor" in out
    assert "ADBC fetch_arrow_table" not in out  # only the tools asked for
    assert "Python default vs psycopg cursor" in out
    assert "rs speed-up" in out and "/ floor" in out
    assert pg_url not in out + proc.stderr


def test_an_unknown_tool_is_refused_with_the_known_ones(pg_url: str) -> None:
    proc = bench(pg_url, "--tools", "postgres,duckdb")
    assert proc.returncode == 2
    assert "unknown tools: duckdb" in proc.stderr
    assert "postgres_rs" in proc.stderr  # the hint lists the choices


def test_a_tool_whose_library_fails_is_reported_and_the_run_goes_on(
    pg_url: str, tmp_path: Path
) -> None:
    broken = tmp_path / "connectorx"
    broken.mkdir()
    (broken / "__init__.py").write_text("raise ImportError('connectorx is broken here')\n")
    proc = bench(
        pg_url,
        "--tools",
        "connectorx,postgres",
        "--table",
        "narrow",
        "--json",
        PYTHONPATH=str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    tools = json.loads(proc.stdout)["tables"]["narrow"]["tools"]
    assert tools["connectorx"]["status"] == "failed"
    assert tools["connectorx"]["reason"] == "ImportError: connectorx is broken here"
    assert tools["postgres"]["status"] == "ok" and tools["postgres"]["rows"] == ROWS["narrow"]
