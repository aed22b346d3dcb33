"""`dativo-pkg test` certifies the go-reader template's wheel as it is, and names the
checks a deliberately broken Go reader fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from toolchain_go_support import dativo

from dativo_pkg.build import build_project

# Each breakage is a patch of the template's Go source: (file, old text, new text).
BREAKAGES: dict[str, tuple[str, str, str]] = {
    # Nulls become zero values / empty strings.
    "drops-nulls": (
        "internal/csvsource/source.go",
        "b.Field(i).AppendNull()",
        "b.Field(i).AppendEmptyValue()",
    ),
    # `schema` reports one column fewer than the batches `read` streams.
    "schema-differs": (
        "main.go",
        "w := ipc.NewWriter(stdout, ipc.WithSchema(src.Schema()))\n\treturn w.Close()",
        "w := ipc.NewWriter(stdout, ipc.WithSchema(arrow.NewSchema("
        "src.Schema().Fields()[1:], nil)))\n\treturn w.Close()",
    ),
}


def _test_report(wheel: Path, cwd: Path) -> tuple[int, dict[str, Any]]:
    result = dativo("test", "--dist", str(wheel), "--json", cwd=cwd)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


def _statuses(report: dict[str, Any]) -> dict[str, str]:
    return {check["id"]: check["status"] for check in report["checks"]}


def test_the_template_passes_the_suite_unchanged(go_wheel: Path, go_project: Path) -> None:
    code, report = _test_report(go_wheel, go_project)
    assert code == 0, report
    assert report["level"] == "verified"  # certified also needs a signature: see tests/journey
    assert report["plugin"]["language"] == "go"
    statuses = _statuses(report)
    for check in (
        "contract.manifest",
        "contract.entry-point",
        "contract.bad-config",
        "reader.schema-stable",
        "reader.nulls-and-types",
        "reader.deterministic",
        "reader.unreachable",
        "reader.close-releases",
        "reader.incremental",
    ):
        assert statuses[check] == "passed", (check, report)
    saved = Path(f"{go_wheel}.conformance.json")
    assert json.loads(saved.read_text())["subject"] == report["subject"]


def test_the_projects_pytest_file_runs_the_suite_against_the_installed_plugin(
    go_project: Path, plugin_site: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=go_project,
        env={**os.environ, "DATIVO_PLUGIN_PATH": str(plugin_site)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary, summary
    assert "test_reader_nulls_and_types" in _collected(go_project, plugin_site)


def _collected(project: Path, site: Path) -> str:
    """The test ids pytest collects from the project's one-call conformance file."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env={**os.environ, "DATIVO_PLUGIN_PATH": str(site)},
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout


@pytest.mark.parametrize(
    ("breakage", "failing"),
    [
        ("drops-nulls", {"reader.nulls-and-types"}),
        ("schema-differs", {"reader.schema-stable"}),
    ],
)
def test_a_broken_go_reader_fails_the_suite_with_the_checks_named(
    breakage: str,
    failing: set[str],
    render: Callable[[str], Path],
    go_env: None,
) -> None:
    project = render(breakage)
    file, old, new = BREAKAGES[breakage]
    source = project / file
    assert old in source.read_text(), f"the template changed: update the {breakage} patch"
    source.write_text(source.read_text().replace(old, new))
    (wheel,) = build_project(project, project / "dist").wheels

    code, report = _test_report(wheel, project)
    assert code == 3
    assert report["level"] != "verified"
    statuses = _statuses(report)
    failed = {check for check, status in statuses.items() if status in ("failed", "error")}
    assert failing <= failed, statuses
    reasons = " ".join(str(c["reason"]) for c in report["checks"] if c["id"] in failing)
    assert reasons.strip()
    # What is not broken still passes: the suite names the culprit, not everything.
    assert statuses["contract.manifest"] == "passed"
    assert statuses["reader.check"] == "passed"
