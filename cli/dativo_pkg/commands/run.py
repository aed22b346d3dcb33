"""``dativo-pkg run`` and ``dativo-pkg check``: execute or check a job file."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from dativo_pkg._internal.redact import register_secrets
from dativo_pkg.job import LoadedJob, load_job
from dativo_pkg.runtime import RunObserver, RunSummary, build_reader, build_writer, run_job

__all__ = ["Cancelled", "CheckResult", "RunSettings", "check", "run"]


class Cancelled(KeyboardInterrupt):
    """The run was stopped by a signal; the writer has been told to abort."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass(frozen=True)
class RunSettings:
    job_file: Path


def load(settings: RunSettings) -> LoadedJob:
    loaded = load_job(settings.job_file)
    register_secrets(loaded.secrets)
    return loaded


def run(settings: RunSettings, observer: RunObserver | None = None) -> RunSummary:
    """Run the job once. SIGTERM aborts it cleanly, like Ctrl-C."""
    loaded = load(settings)
    with _sigterm_cancels():
        return run_job(loaded, observer)


@dataclass(frozen=True)
class CheckResult:
    job: str
    source: str
    target: str


def check(settings: RunSettings) -> CheckResult:
    """Validate the job and both configs, and check that both ends are reachable."""
    loaded = load(settings)
    with build_reader(loaded) as reader, build_writer(loaded) as writer:
        reader.check()
        writer.check()
    return CheckResult(loaded.name, loaded.job.source.display_name, loaded.job.target.display_name)


@contextmanager
def _sigterm_cancels() -> Iterator[None]:
    def cancel(signum: int, frame: FrameType | None) -> None:
        raise Cancelled(signum)

    previous = signal.signal(signal.SIGTERM, cancel)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
