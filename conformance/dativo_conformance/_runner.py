"""Run a suite: every check of the plugin's kind up to a level, each result in the report."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from dativo_conformance._check import Check, CheckFailed, Level, NotApplicable, suite
from dativo_conformance._context import Context
from dativo_conformance._fixtures import ScratchDatabase
from dativo_conformance._project import ProjectConfig, placeholders
from dativo_conformance._report import CheckResult, PluginInfo, Report, Status, SubjectInfo
from dativo_conformance._target import Target
from dativo_pkg.errors import ConfigError, DativoError
from dativo_pkg.trust import statement_subject

__all__ = ["RunObserver", "open_context", "run_check", "run_suite"]


class RunObserver(Protocol):
    """Told when each check starts and ends (the CLI shows progress with it)."""

    def started(self, check: type[Check]) -> None: ...

    def finished(self, result: CheckResult) -> None: ...


def _as_target(target: Target | ProjectConfig | Path | str) -> Target:
    if isinstance(target, Target):
        return target
    if isinstance(target, ProjectConfig):
        return Target(project=target)
    return Target.from_path(Path(target))


@contextlib.contextmanager
def open_context(
    target: Target,
    *,
    postgres_url: str | None = None,
    rows: int = 1000,
    perf_rows: int = 100_000,
) -> Iterator[Context]:
    """A context with a private working directory (and scratch database), removed after."""
    project = target.project
    needs_db = project.fixture == "postgres" or "postgres_url" in placeholders(project.config)
    if needs_db and not postgres_url:
        raise ConfigError(
            f"{project.kind} {project.connector!r} is tested against PostgreSQL, "
            "but no server was given",
            hint="pass --postgres-url postgresql://USER@HOST:PORT/postgres (the suite creates "
            "and drops a scratch database on it)",
        )
    workdir = Path(tempfile.mkdtemp(prefix="dativo-conformance-"))
    database = ScratchDatabase(postgres_url) if needs_db and postgres_url else None
    try:
        yield Context(target, workdir, database=database, rows=rows, perf_rows=perf_rows)
    finally:
        if database is not None:
            database.close()
        shutil.rmtree(workdir, ignore_errors=True)


def run_check(check: type[Check], ctx: Context) -> CheckResult:
    """Run one check; its outcome as a result (never raises for the plugin's faults)."""
    ctx.measurements = {}
    started = time.perf_counter()
    status: Status = "passed"
    reason: str | None = None
    try:
        check().run(ctx)
    except CheckFailed as exc:
        status, reason = "failed", exc.reason
    except NotApplicable as exc:
        status, reason = "not-applicable", exc.reason
    except DativoError as exc:
        status, reason = "failed", f"{type(exc).__name__}: {exc.message}"
    except Exception as exc:
        status, reason = "error", f"{type(exc).__name__}: {exc}"
    return CheckResult(
        id=check.id,
        title=check.title,
        level=check.level,
        status=status,
        reason=reason,
        seconds=round(time.perf_counter() - started, 3),
        measurements=dict(ctx.measurements),
    )


def run_suite(
    target: Target | ProjectConfig | Path | str,
    *,
    level: Level = "certified",
    postgres_url: str | None = None,
    rows: int = 1000,
    perf_rows: int = 100_000,
    observer: RunObserver | None = None,
    only: Sequence[str] = (),
) -> Report:
    """Run every check of the plugin's kind up to ``level``; the report says what it reached.

    ``only`` restricts the run to the checks with those ids (the level is then
    computed from those alone). Raises PluginNotFound when the plugin is not
    installed and ConfigError for a project the suite cannot test.
    """
    resolved = _as_target(target)
    plugin = resolved.plugin
    checks = suite(resolved.project.kind, level)
    if only:
        checks = [c for c in checks if c.id in only]
    subject = None
    if resolved.dist is not None:
        digest = statement_subject(resolved.dist)
        subject = SubjectInfo(filename=digest.name, sha256=digest.sha256)
    report = Report(
        plugin=PluginInfo(
            kind=resolved.project.kind,
            connector=resolved.project.connector,
            distribution=plugin.distribution,
            version=plugin.version,
            language=plugin.language,
        ),
        subject=subject,
        requested_level=level,
    )
    with open_context(resolved, postgres_url=postgres_url, rows=rows, perf_rows=perf_rows) as ctx:
        for check in checks:
            if observer is not None:
                observer.started(check)
            result = run_check(check, ctx)
            report.checks.append(result)
            if observer is not None:
                observer.finished(result)
    signer = next(
        (c.measurements["signer"] for c in report.checks if "signer" in c.measurements and c.ok),
        None,
    )
    report.signer = signer if isinstance(signer, dict) else None
    report.level = report.reached()
    return report
