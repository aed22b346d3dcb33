"""Run one contender process and measure it: wall seconds and its own peak RSS.

The clock runs from just before the fork to the moment ``os.wait4`` reaps the
child, so interpreter start-up and exit are in the time (each tool runs in a
fresh process). A run that exceeds the timeout is killed (its whole process
group) and counts as failed.

Peak RSS is the child's own ``ru_maxrss``, measured by GNU time (``/usr/bin/time
-f %M``) when it is installed. Not by this process: ``getrusage(RUSAGE_CHILDREN)``
is the maximum over every child so far, and even ``wait4``'s per-child value
includes the runner's own RSS, because Linux carries the high-water mark of the
forked copy of the parent across ``exec`` (a 10 MB psql shows as 41 MB).
``/usr/bin/time`` is a small process, so what it forks adds about 1.5 MB.
Without it, ``wait4``'s value is used and ``RSS_METHOD`` says so.
"""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

__all__ = ["RSS_METHOD", "RunFailed", "Sample", "Summary", "run_once", "summarize"]

GNU_TIME = "/usr/bin/time"
_HAVE_GNU_TIME = os.access(GNU_TIME, os.X_OK)
RSS_METHOD = (
    "GNU time %M of the tool's process"
    if _HAVE_GNU_TIME
    else "wait4 ru_maxrss (includes the runner's RSS at fork: /usr/bin/time is not installed)"
)


class RunFailed(Exception):
    """A run exited non-zero, timed out, or printed nothing usable."""


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_rss_mb: float
    stdout: str


@dataclass
class Summary:
    """The median of a contender's runs; ``runs`` keeps every wall time."""

    seconds: float
    peak_rss_mb: float
    runs: list[float] = field(default_factory=list)


def _drain(stream: IO[bytes], into: list[bytes]) -> threading.Thread:
    def read() -> None:
        into.append(stream.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _last_line(raw: bytes) -> str:
    lines = [line for line in raw.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def run_once(argv: Sequence[str], env: Mapping[str, str], timeout: float) -> Sample:
    """Run ``argv`` to completion; raise RunFailed with the reason it gave."""
    with tempfile.NamedTemporaryFile(prefix="bench-pg-rss-", suffix=".txt") as rss_file:
        sample = _run(argv, env, timeout, rss_file.name if _HAVE_GNU_TIME else None)
        if _HAVE_GNU_TIME:
            sample = Sample(sample.seconds, _gnu_time_rss(Path(rss_file.name)), sample.stdout)
    return sample


def _gnu_time_rss(path: Path) -> float:
    """MB from the last line of ``time -f %M -o FILE`` (KiB); earlier lines say how it ended."""
    lines = path.read_text().split()
    try:
        return int(lines[-1]) / 1024
    except (IndexError, ValueError) as exc:
        raise RunFailed(f"/usr/bin/time wrote no peak RSS: {lines[-3:]}") from exc


def _run(argv: Sequence[str], env: Mapping[str, str], timeout: float, rss: str | None) -> Sample:
    if rss is not None:
        argv = [GNU_TIME, "-f", "%M", "-o", rss, *argv]
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env),
        start_new_session=True,  # a timeout kills the tool, not just /usr/bin/time
    )
    assert proc.stdout is not None and proc.stderr is not None
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [_drain(proc.stdout, out), _drain(proc.stderr, err)]
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        with contextlib.suppress(ProcessLookupError):  # it ended just now
            os.killpg(proc.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    for reader in readers:
        reader.join()
    proc.stdout.close()
    proc.stderr.close()
    if timed_out.is_set():
        raise RunFailed(f"timed out after {timeout:.0f} s")
    if proc.returncode != 0:
        reason = _last_line(err[0] if err else b"") or f"exit status {proc.returncode}"
        raise RunFailed(reason.removeprefix("failed: "))
    return Sample(
        seconds=seconds,
        peak_rss_mb=usage.ru_maxrss / 1024,  # KiB on Linux
        stdout=(out[0] if out else b"").decode("utf-8", "replace"),
    )


def summarize(samples: Sequence[Sample]) -> Summary:
    """Median wall time; peak RSS as the maximum over the runs."""
    return Summary(
        seconds=statistics.median(s.seconds for s in samples),
        peak_rss_mb=max(s.peak_rss_mb for s in samples),
        runs=[round(s.seconds, 4) for s in samples],
    )
