"""``dativo-pkg build``: build a plugin project's distributions into ``dist/``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dativo_pkg.build import BuildFailed, BuildResult, build_project

__all__ = ["BuildSettings", "build"]


@dataclass(frozen=True)
class BuildSettings:
    project: Path
    #: Where the distributions go; default ``<project>/dist``.
    out_dir: Path | None = None
    progress: bool = False


def build(settings: BuildSettings) -> BuildResult:
    """Build the project with the backend of its language (see :mod:`dativo_pkg.build`)."""
    if not settings.project.is_dir():
        raise BuildFailed(
            f"{settings.project} is not a directory",
            hint="pass the directory of a plugin project (the one holding pyproject.toml)",
        )
    out_dir = settings.out_dir or settings.project / "dist"
    return build_project(settings.project, out_dir, progress=settings.progress)
