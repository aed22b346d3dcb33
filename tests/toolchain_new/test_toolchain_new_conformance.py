"""The rendered python projects pass the conformance suite unchanged: CLI and pytest entry."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Built, Project, dativo_pkg

pytest.importorskip("dativo_conformance")

#: Only the signature is missing: these wheels are not signed here (trust is tested elsewhere).
UNSIGNED = {"trust.signed"}


@pytest.mark.parametrize("kind", ["reader", "writer"])
def test_rendered_project_passes_dativo_pkg_test(
    projects: dict[str, Project], tmp_path: Path, kind: str
) -> None:
    project = tmp_path / projects[kind].path.name
    shutil.copytree(projects[kind].path, project, ignore=shutil.ignore_patterns("*.egg-info"))
    proc = dativo_pkg("test", project, "--json")  # builds the wheel itself, then tests it
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["level"] == "verified"
    failed = {c["id"]: c["reason"] for c in report["checks"] if c["status"] != "passed"}
    assert set(failed) <= UNSIGNED, failed
    (wheel,) = (project / "dist").glob("*.whl")
    assert (project / "dist" / f"{wheel.name}.conformance.json").is_file()


def test_rendered_tests_run_the_suite_under_pytest(
    built: dict[str, Built], plugin_site: Path, tmp_path: Path
) -> None:
    """`pytest` in the project: the one-call test file yields passing tests per check.

    Both templates carry the same file; the writer's run stands for both (time).
    """
    kind = "writer"
    project = built[kind].project.path
    env = {**os.environ, "PYTHONPATH": str(plugin_site)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-rA",
            "--basetemp",
            str(tmp_path / "basetemp"),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    passed = [line for line in proc.stdout.splitlines() if line.startswith("PASSED")]
    assert len(passed) >= 10, proc.stdout[-3000:]
    assert any("bad_config" in line or "bad-config" in line for line in passed)
