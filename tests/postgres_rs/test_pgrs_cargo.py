"""The core crate's own Rust tests, run by `make test`: `cargo test --release -p postgres-rs-core`.

The unit tests decode hand-built binary COPY values; the integration tests
(crates/postgres-rs-core/tests/postgres.rs) read from the real server the suite
runs against. `--release` shares the compiled dependencies of the wheel build
in build/cargo-target.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "plugins" / "postgres-rs"
CARGO_TARGET = REPO / "build" / "cargo-target"

pytestmark = pytest.mark.postgres


def test_the_core_crate_tests_pass_against_the_real_server(pg_url: str) -> None:
    if shutil.which("cargo") is None:
        if os.environ.get("CI"):
            pytest.fail("cargo is not on PATH: CI must run the postgres-rs core tests")
        pytest.skip("cargo is not on PATH (install Rust: https://rustup.rs)")
    proc = subprocess.run(
        ["cargo", "test", "--release", "--locked", "-p", "postgres-rs-core"],
        cwd=PLUGIN,
        env={
            **os.environ,
            "CARGO_TARGET_DIR": str(CARGO_TARGET),
            "CARGO_BUILD_JOBS": "2",
            "DATIVO_TEST_PG_URL": pg_url,
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    passed = sum(int(n) for n in re.findall(r"test result: ok\. (\d+) passed", output))
    assert passed >= 20, output[-3000:]
    assert "skipped: DATIVO_TEST_PG_URL is not set" not in output
