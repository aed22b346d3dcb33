"""Throughput and peak memory of one plugin, measured in a fresh subprocess.

The subprocess (:mod:`dativo_conformance._probe`) finds the plugin through
discovery exactly like the runtime, so Python, Rust and executable plugins
are measured the same way. A reader reads every batch of each config in
turn; a writer writes the dataset (loaded from an Arrow IPC file before the
clock starts) and commits. Peak RSS is the larger of the process's own and
its children's (an executable plugin's program), from ``getrusage``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from dativo_pkg.errors import PluginError

__all__ = ["Measurement", "measure", "probe_environment", "write_ipc"]

_MIB = 1 << 20


@dataclass(frozen=True)
class Measurement:
    """One timed run: rows, seconds, dataset bytes and peak resident memory."""

    rows: int
    seconds: float
    bytes: int
    peak_rss_bytes: int

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def mb_per_second(self) -> float:
        return self.bytes / _MIB / self.seconds if self.seconds > 0 else 0.0

    @property
    def peak_rss_mb(self) -> float:
        return self.peak_rss_bytes / _MIB

    def to_json(self) -> dict[str, Any]:
        return {
            "rows_per_second": round(self.rows_per_second, 1),
            "mb_per_second": round(self.mb_per_second, 2),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "rows": self.rows,
            "seconds": round(self.seconds, 4),
            "bytes": self.bytes,
        }


def probe_environment() -> dict[str, str]:
    """The environment of a probe: this one, with this process's import path."""
    env = dict(os.environ)
    paths = [p for p in sys.path if p and Path(p).exists()]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def write_ipc(table: pa.Table, path: Path) -> int:
    """Write ``table`` as an Arrow IPC file (a writer's input); its size in bytes."""
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return path.stat().st_size


def measure(
    kind: str,
    connector: str,
    configs: list[dict[str, Any]],
    *,
    dataset_bytes: int,
    input_file: Path | None = None,
) -> Measurement:
    """Run the plugin once in a subprocess; raise PluginError if the run fails."""
    request = {"kind": kind, "connector": connector, "configs": configs}
    if input_file is not None:
        request["input"] = str(input_file)
    done = subprocess.run(
        [sys.executable, "-m", "dativo_conformance._probe"],
        input=json.dumps(request, default=str),
        capture_output=True,
        text=True,
        env=probe_environment(),
        check=False,
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise PluginError(
            f"the measured run of {kind} {connector!r} failed (exit {done.returncode}): {tail}",
            hint="run the same config with `dativo-pkg run` to see the whole error",
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return Measurement(
        rows=int(result["rows"]),
        seconds=float(result["seconds"]),
        bytes=dataset_bytes,
        peak_rss_bytes=int(result["peak_rss_bytes"]),
    )
