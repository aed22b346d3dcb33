"""Shared benchmark plumbing: run each contender in a fresh process, take medians.

Each measurement forks a new process and reads its own peak RSS from
``wait4`` (not the maximum over all children), so contenders never share
warm caches inside one interpreter. The OS page cache is shared: every run
reads the same input, and the first, cold run of each round is not special-
cased — the order of contenders alternates between rounds instead.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

__all__ = ["Contender", "Result", "measure", "print_table", "save"]


@dataclass(frozen=True)
class Contender:
    name: str
    argv: Sequence[str]
    env: dict[str, str] | None = None


@dataclass
class Result:
    name: str
    seconds: float
    peak_rss_mb: float
    runs: list[float]


def _run_once(contender: Contender) -> tuple[float, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(
        contender.argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(contender.env or {})},
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{contender.name} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024  # KiB on Linux


def measure(contenders: Sequence[Contender], repeat: int, console: Console) -> list[Result]:
    """Run every contender ``repeat`` times, alternating the order; medians."""
    samples: dict[str, list[tuple[float, float]]] = {c.name: [] for c in contenders}
    for round_no in range(repeat):
        order = contenders if round_no % 2 == 0 else list(reversed(contenders))
        for contender in order:
            seconds, rss = _run_once(contender)
            samples[contender.name].append((seconds, rss))
            console.log(
                f"round {round_no + 1}/{repeat}: {contender.name}: {seconds:.2f} s, {rss:.0f} MB"
            )
    return [
        Result(
            name=c.name,
            seconds=statistics.median(s for s, _ in samples[c.name]),
            peak_rss_mb=max(r for _, r in samples[c.name]),
            runs=[s for s, _ in samples[c.name]],
        )
        for c in contenders
    ]


def print_table(
    console: Console,
    title: str,
    results: Sequence[Result],
    *,
    baseline: str,
    rows: int,
    mbytes: float,
) -> None:
    base = next(r for r in results if r.name == baseline)
    table = Table(title=title)
    for column in ("contender", "median s", "rows/s", "MB/s", "peak RSS MB", f"time vs {baseline}"):
        table.add_column(column, justify="right" if column != "contender" else "left")
    for r in results:
        table.add_row(
            r.name,
            f"{r.seconds:.2f}",
            f"{rows / r.seconds:,.0f}",
            f"{mbytes / r.seconds:,.1f}",
            f"{r.peak_rss_mb:,.0f}",
            f"{r.seconds / base.seconds:.3f}x",
        )
    console.print(table)


def save(path: Path, payload: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2))
