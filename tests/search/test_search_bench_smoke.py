"""Smoke test of the marketplace search benchmark (bench/marketplace_search.py).

The real command on 200 plugins and 20 requests per series: it fills the
database, serves it, measures, and reports every series with its
percentiles (server-side from Server-Timing, and client-side) and its ratio
to the 50 ms goal, as JSON and as a table.
Nothing about speed is asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "marketplace_search.py"
SERIES = {"search", "search (client)", "search (in-process)"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH), "--plugins", "200", "--requests", "20", "--json", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_the_benchmark_reports_every_series(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    args = ["--out", str(tmp_path / "results.json")]
    if backend == "postgresql":
        args += ["--url", request.getfixturevalue("pg_server_url"), "--no-sqlite"]
    result = run(*args)
    assert result.returncode == 0, result.stderr[-3000:]

    document = json.loads(result.stdout)
    assert document == json.loads((tmp_path / "results.json").read_text())
    assert (document["plugins"], document["requests_per_series"], document["goal_ms"]) == (
        200,
        20,
        50.0,
    )
    assert "Server-Timing" in document["measured"]
    (measured,) = document["results"]
    assert measured["backend"] == backend
    series = measured["series"]
    assert set(series) >= SERIES
    assert {"plugin page", "plugin page (API)"} & set(series)
    for stats in series.values():
        assert stats["n"] == 20
        assert 0 < stats["p50_ms"] <= stats["p95_ms"] <= stats["p99_ms"]
        assert stats["p95_vs_goal"] == pytest.approx(stats["p95_ms"] / 50, abs=0.01)
    assert "p95 / 50 ms goal" in result.stderr  # the table
