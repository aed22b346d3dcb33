"""Python plugins: ``python -m build``, a wheel and an sdist.

The build runs with the interpreter running dativo-pkg (``build`` is one of
its dependencies), so no external tool is needed. When every requirement of
the project's ``[build-system]`` is already installed in this environment
(setuptools for the templates), the build runs with ``--no-isolation``: no
virtual environment is created and nothing is downloaded, so it is fast and
works offline. Otherwise it runs isolated, as pip would, and fetches the
build requirements from the configured index.
"""

from __future__ import annotations

import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, ClassVar

from packaging.requirements import InvalidRequirement, Requirement

from dativo_pkg.build._backend import Backend, BuildLog, Tool

__all__ = ["PythonBackend", "build_requirements_installed"]

#: What PEP 517 assumes when a project has no [build-system] table.
DEFAULT_REQUIRES = ("setuptools>=40.8.0",)


def build_requirements_installed(pyproject: dict[str, Any]) -> bool:
    """Whether every ``[build-system] requires`` entry is satisfied in this environment."""
    system = pyproject.get("build-system", {})
    requires = system.get("requires", DEFAULT_REQUIRES) if isinstance(system, dict) else ()
    if not isinstance(requires, list | tuple):
        return False
    for raw in requires:
        try:
            req = Requirement(str(raw))
        except InvalidRequirement:
            return False
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            installed = version(req.name)
        except PackageNotFoundError:
            return False
        if req.specifier and not req.specifier.contains(installed, prereleases=True):
            return False
    return True


class PythonBackend(Backend):
    """Builds a pure-Python plugin with the PEP 517 frontend ``build``."""

    language: ClassVar[str] = "python"
    tools: ClassVar[tuple[Tool, ...]] = ()

    def build(self, project: Path, out_dir: Path, log: BuildLog) -> list[Path]:
        with (project / "pyproject.toml").open("rb") as fh:
            pyproject = tomllib.load(fh)
        argv = [sys.executable, "-m", "build", "--outdir", str(out_dir)]
        if build_requirements_installed(pyproject):
            log.note("build requirements installed here: building without isolation")
            argv.append("--no-isolation")
        else:
            log.note("build requirements missing here: building in an isolated environment")
        argv.append(str(project))
        log.run(argv, cwd=project)
        return sorted(out_dir.iterdir())
