"""``dativo-pkg test``: run the conformance suite against the wheel that gets published.

Without ``--dist`` the project is built first (``dativo-pkg build``). The
wheel is installed into a private directory (never into the running
environment) and its plugin found through discovery, exactly as a user's
runtime will find it. Every check of every level runs; the report goes next
to the wheel as ``DIST.conformance.json`` (written atomically), and
:func:`require_level` turns "the requested level was not reached" into
:class:`~dativo_pkg.errors.ConformanceFailed` (exit 3).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dativo_pkg._internal.files import write_atomically
from dativo_pkg.errors import ConfigError, ConformanceFailed

if TYPE_CHECKING:
    from rich.console import Console, Group

    from dativo_conformance import Check, CheckResult, Level, Report

__all__ = [
    "CheckProgress",
    "ConformanceOutcome",
    "ConformanceSettings",
    "choose_wheel",
    "render_report",
    "require_level",
    "run_test",
]


@dataclass(frozen=True)
class ConformanceSettings:
    project: Path = Path(".")
    #: The wheel to test; None builds the project into ``project/dist`` first.
    dist: Path | None = None
    level: Level = "verified"
    postgres_url: str | None = None
    #: Public keys (PEM) of the publishers whose key signatures are accepted.
    publisher_keys: Sequence[Path] = ()
    sigstore_instances: Sequence[str] = ("production",)
    progress: bool = False


@dataclass(frozen=True)
class ConformanceOutcome:
    report: Report
    dist: Path
    report_path: Path

    def to_json(self) -> dict[str, Any]:
        return {**self.report.to_json(), "report_path": str(self.report_path)}


def choose_wheel(wheels: Sequence[Path]) -> Path:
    """The wheel this interpreter can install (the first such, in the order given)."""
    from packaging.tags import sys_tags
    from packaging.utils import parse_wheel_filename

    supported = set(sys_tags())
    for wheel in wheels:
        _, _, _, tags = parse_wheel_filename(wheel.name)
        if tags & supported:
            return wheel
    raise ConfigError(
        f"no wheel for this platform among {', '.join(w.name for w in wheels) or 'none'}",
        hint="build on this machine, or pass --dist with a wheel for it",
    )


def run_test(settings: ConformanceSettings, observer: Any = None) -> ConformanceOutcome:
    """Build (unless given a wheel), install privately, run the suite, write the report."""
    from dativo_conformance import Target, load_project, publishers_from_keys, run_suite
    from dativo_conformance._install import installed_wheel

    project = load_project(settings.project)
    dist = settings.dist or _build(settings.project, settings.progress)
    if not dist.is_file():
        raise ConfigError(f"{dist} does not exist", hint="build the project: dativo-pkg build")
    target = Target(
        project=project,
        dist=dist,
        publishers=_publishers(settings.publisher_keys, publishers_from_keys),
        sigstore_instances=tuple(settings.sigstore_instances),
    )
    with installed_wheel(dist):
        report = run_suite(
            target, level="certified", postgres_url=settings.postgres_url, observer=observer
        )
    report.requested_level = settings.level
    report_path = dist.with_name(f"{dist.name}.conformance.json")
    try:
        write_atomically(report_path, (json.dumps(report.to_json(), indent=2) + "\n").encode())
    except OSError as exc:
        raise ConfigError(f"cannot write {report_path}: {exc.strerror}") from exc
    return ConformanceOutcome(report=report, dist=dist, report_path=report_path)


def _publishers(keys: Sequence[Path], load: Any) -> tuple[Any, ...]:
    try:
        return tuple(load(list(keys)))
    except OSError as exc:
        raise ConfigError(f"cannot read a publisher key: {exc}", hint="pass the .pub file") from exc


def _build(project: Path, progress: bool) -> Path:
    from dativo_pkg.build import build_project

    result = build_project(project, project / "dist", progress=progress)
    return choose_wheel(result.wheels)


def require_level(report: Report, level: Level) -> None:
    """Raise ConformanceFailed unless ``report`` reached ``level``, naming each failure."""
    from dativo_conformance import LEVELS

    rank = LEVELS.index(level)
    blocking = [c for c in report.failed if LEVELS.index(c.level) <= rank]
    if report.level is not None and LEVELS.index(report.level) >= rank:
        return
    reasons = "; ".join(f"{c.id}: {c.reason}" for c in blocking) or "checks were not run"
    raise ConformanceFailed(
        f"{report.plugin.kind} {report.plugin.connector!r} did not reach {level} "
        f"(reached: {report.level or 'none'}): {reasons}",
        hint="fix the failing checks; `dativo-pkg test --json` gives every check's details",
    )


_STYLES = {
    "passed": "[green]passed[/green]",
    "failed": "[red]failed[/red]",
    "error": "[red]error[/red]",
    "not-applicable": "[dim]n/a[/dim]",
}


def _summary(measurements: dict[str, Any], width: int = 48) -> str:
    text = ", ".join(f"{k}={v}" for k, v in measurements.items() if not isinstance(v, dict | list))
    return text if len(text) <= width else text[: width - 1] + "…"


def render_report(report: Report) -> Group:
    """The report for a terminal: one row per check, then each failure's reason in full."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=f"{report.plugin.kind} {report.plugin.connector} "
        f"({report.plugin.distribution} {report.plugin.version})",
    )
    table.add_column("check", no_wrap=True, min_width=27)
    table.add_column("level", no_wrap=True, min_width=10)
    table.add_column("result", no_wrap=True, min_width=6)
    table.add_column("seconds", justify="right", no_wrap=True, min_width=7)
    table.add_column("measurements", ratio=1)
    for check in report.checks:
        table.add_row(
            check.id,
            check.level,
            _STYLES[check.status],
            f"{check.seconds:.2f}",
            _summary(check.measurements),
        )
    lines: list[Any] = [table]
    for check in report.checks:
        if check.reason and check.status != "passed":
            line = Text(f"{check.status}: {check.id}: ", style="bold")
            line.append(check.reason, style="")
            lines.append(line)
    signer = f", signed by {report.signer['identity']}" if report.signer else ""
    lines.append(
        Text(
            f"level reached: {report.level or 'none'} (required: {report.requested_level})" + signer
        )
    )
    return Group(*lines)


class CheckProgress:
    """Prints each check as it finishes (stderr, on a terminal)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def started(self, check: type[Check]) -> None:
        pass

    def finished(self, result: CheckResult) -> None:
        self.console.print(
            f"{_STYLES[result.status]} {result.id} ({result.seconds:.2f}s)", highlight=False
        )
