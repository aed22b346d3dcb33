"""A job killed mid-run and run again delivers every source row exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.dataset as ds
import pytest
import yaml

pytestmark = pytest.mark.usefixtures("with_test_plugins")


def write_job(tmp_path: Path, rows: int, sleep: float) -> Path:
    path = tmp_path / "job.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "orders",
                "source": {
                    "plugin": "seq",
                    "config": {"rows": rows, "batch_rows": 2, "sleep_per_batch": sleep},
                    "incremental": {"cursor_field": "updated"},
                },
                "target": {"plugin": "parquet", "config": {"path": "out"}},
            }
        )
    )
    return path


def start(tmp_path: Path, job: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dativo_pkg", "run", "--quiet", str(job)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def ids(tmp_path: Path) -> list[int]:
    out = tmp_path / "out"
    if not any(out.glob("*.parquet")):
        return []
    return sorted(ds.dataset(out, format="parquet").to_table()["id"].to_pylist())


def wait_for_staging(tmp_path: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not list((tmp_path / "out").glob(".dativo-staging-*/*.parquet")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the writer never started staging"
        time.sleep(0.05)
    time.sleep(0.3)  # a few more batches


@pytest.mark.parametrize(("signum", "exit_code"), [(signal.SIGKILL, -9), (signal.SIGTERM, 143)])
def test_killed_run_then_rerun_gives_every_row_once(
    tmp_path: Path, signum: signal.Signals, exit_code: int
) -> None:
    first = start(tmp_path, write_job(tmp_path, rows=5, sleep=0))
    assert first.wait(60) == 0, first.communicate()
    assert ids(tmp_path) == [1, 2, 3, 4, 5]

    victim = start(tmp_path, write_job(tmp_path, rows=40, sleep=0.1))
    wait_for_staging(tmp_path, victim)
    victim.send_signal(signum)
    assert victim.wait(60) == exit_code
    assert ids(tmp_path) == [1, 2, 3, 4, 5], "a killed run must not publish anything"

    again = start(tmp_path, write_job(tmp_path, rows=40, sleep=0))
    assert again.wait(60) == 0, again.communicate()
    assert ids(tmp_path) == list(range(1, 41))
    assert not list((tmp_path / "out").glob(".dativo-staging-*"))
