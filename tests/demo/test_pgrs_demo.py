"""`make demo`'s PostgreSQL part, run as CI runs it: demo/postgres_rs_demo.py end to end.

It builds the Rust reader (Cargo output shared in build/cargo-target), signs and
certifies it, publishes it to a fresh registry that requires signatures,
installs it verified and runs PostgreSQL → Parquet with it and with the
Python default reader. Here the demo's files go to a temporary directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[2]
ROWS = 3_000

pytestmark = pytest.mark.postgres


def test_demo_builds_publishes_installs_and_runs_the_rust_reader(
    pg_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "CARGO_BUILD_JOBS": "2",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "demo" / "postgres_rs_demo.py"), "--url", pg_url,
         "--rows", str(ROWS), "--bench-rows", "2000", "--template", "python-reader",
         "--workdir", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=1800, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "conformance level: certified" in result.stdout
    assert "registry: dativo-postgres-rs 0.1.0, certified, with benchmark, conformance" in (
        result.stdout
    )

    work = tmp_path / "out" / "postgres-rs"
    for plugin in ("postgres_rs", "postgres"):
        tables = [pq.read_table(p) for p in sorted((work / f"out-{plugin}").glob("*.parquet"))]
        assert sum(t.num_rows for t in tables) == ROWS, plugin
    rust = pq.read_table(work / "out-postgres_rs").sort_by("order_id")
    python = pq.read_table(work / "out-postgres").sort_by("order_id")
    assert str(rust.schema.field("amount").type) == "decimal128(12, 2)"
    assert rust.column("amount").to_pylist() == python.column("amount").to_pylist()

    assert "published demo-python-reader: certified" in result.stdout
    lock = tomllib.loads((work / "dativo.lock").read_text())
    (package,) = [p for p in lock["package"] if p["name"] == "dativo-postgres-rs"]
    assert package["plugin"] is True
    assert package["signer-issuer"] == "publisher-key"
    assert (tmp_path / "registry").is_dir()
    index = json.loads((tmp_path / "marketplace" / "index.json").read_text())
    assert index["signed"]["version"] == 1 and index["signatures"]
    names = {plugin["name"] for plugin in index["signed"]["plugins"]}
    assert names == {"dativo-postgres-rs", "demo-python-reader"}
    assert (tmp_path / "marketplace" / "plugins" / "dativo-postgres-rs" / "index.html").is_file()
    assert f"--data-dir {tmp_path / 'registry'}" in result.stdout
