"""Fixtures for `dativo-pkg new` and `dativo-pkg build`: projects rendered, built and installed.

Everything runs the real command line in a subprocess (``python -m dativo_pkg``),
so exit codes, stdout and stderr are the ones a user sees. The projects are
rendered and built once per session; the wheels are installed with the
``installer`` library into a private site directory that tests put on
``DATIVO_PLUGIN_PATH``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.sources import WheelFile

#: The python templates and the project name each is rendered with in this session.
PROJECT_NAMES = {"reader": "tnew-reader", "writer": "tnew-writer"}


def dativo_pkg(
    *args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``dativo-pkg ARGS`` with this interpreter; never raises on a non-zero exit."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "dativo_pkg", *map(str, args)],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, (
        f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    return proc


def install_wheels(wheels: Sequence[Path], site: Path) -> None:
    """Install ``wheels`` into the flat site directory ``site`` (scripts in site/bin)."""
    scheme = {key: str(site) for key in ("purelib", "platlib", "headers", "data")}
    scheme["scripts"] = str(site / "bin")
    for wheel in wheels:
        destination = SchemeDictionaryDestination(
            scheme, interpreter=sys.executable, script_kind="posix"
        )
        with WheelFile.open(wheel) as source:
            install(source, destination, {"INSTALLER": b"tests"})


@dataclass(frozen=True)
class Project:
    kind: str
    path: Path
    connector: str
    package: str


@dataclass(frozen=True)
class Built:
    project: Project
    wheel: Path
    sdist: Path


@pytest.fixture(scope="session")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Project]:
    """Both python templates rendered with --no-input (session scoped; do not modify)."""
    where = tmp_path_factory.mktemp("rendered")
    made = {}
    for kind, name in PROJECT_NAMES.items():
        proc = ok(
            dativo_pkg(
                "new", kind, "--lang", "python", name, "--no-input", "--output-dir", where, "--json"
            )
        )
        info = json.loads(proc.stdout)
        made[kind] = Project(
            kind=kind,
            path=Path(info["path"]),
            connector=info["connector"],
            package=info["package_name"],
        )
    return made


@pytest.fixture(scope="session")
def built(
    projects: dict[str, Project], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Built]:
    """The rendered projects built with `dativo-pkg build` into a separate directory each."""
    result = {}
    for kind, project in projects.items():
        out = tmp_path_factory.mktemp(f"dist-{kind}")
        info = json.loads(ok(dativo_pkg("build", project.path, "--out-dir", out, "--json")).stdout)
        (wheel,) = info["wheels"]
        (sdist,) = info["sdists"]
        result[kind] = Built(project=project, wheel=Path(wheel), sdist=Path(sdist))
    return result


@pytest.fixture(scope="session")
def plugin_site(built: dict[str, Built], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private site directory holding both built wheels (for DATIVO_PLUGIN_PATH)."""
    site = tmp_path_factory.mktemp("site")
    install_wheels([b.wheel for b in built.values()], site)
    return site
