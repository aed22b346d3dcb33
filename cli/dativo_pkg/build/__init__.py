"""``dativo-pkg build``: the right build backend for each plugin language.

:func:`build_project` reads ``[tool.dativo] language`` from the project's
``pyproject.toml``, picks the backend registered for it (Python: ``build``;
Rust: ``maturin``; Go: ``go build`` + a platform wheel), checks that every
tool the backend needs is on PATH before anything runs, and builds into a
temporary directory beside ``out_dir``. Only when the build succeeded are the
distributions moved into ``out_dir``, so a failed build leaves nothing
behind. A distribution replacing one of the same name but different bytes
takes its side files (``DIST.*``: attestations, reports) with it, since they
describe bytes that no longer exist.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dativo_pkg.build._backend import Backend, BuildLog, Tool
from dativo_pkg.build._errors import BuildFailed, ToolchainMissing
from dativo_pkg.build._go import GoBackend
from dativo_pkg.build._python import PythonBackend
from dativo_pkg.build._rust import RustBackend

__all__ = [
    "BACKENDS",
    "Backend",
    "BuildFailed",
    "BuildLog",
    "BuildResult",
    "Tool",
    "ToolchainMissing",
    "build_project",
    "project_language",
]

#: Build backends by the language named in ``[tool.dativo] language``.
BACKENDS: dict[str, type[Backend]] = {
    backend.language: backend for backend in (PythonBackend, RustBackend, GoBackend)
}


@dataclass(frozen=True)
class BuildResult:
    """What a build produced, already in its final place."""

    language: str
    wheels: list[Path] = field(default_factory=list)
    sdists: list[Path] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "wheels": [str(p) for p in self.wheels],
            "sdists": [str(p) for p in self.sdists],
        }


def read_pyproject(project: Path) -> dict[str, Any]:
    """The parsed ``pyproject.toml`` of ``project``; BuildFailed if missing or invalid."""
    path = project / "pyproject.toml"
    if not path.is_file():
        raise BuildFailed(
            f"{project} is not a plugin project: it has no pyproject.toml",
            hint="run in a project made by `dativo-pkg new`, or pass its directory",
        )
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BuildFailed(
            f"cannot read {path}: {exc}", hint="fix the TOML syntax at the place named"
        ) from exc


def project_language(project: Path) -> str:
    """The project's ``[tool.dativo] language``, checked against the known backends."""
    data = read_pyproject(project)
    tool = data.get("tool", {}).get("dativo", {})
    language = tool.get("language") if isinstance(tool, dict) else None
    known = ", ".join(sorted(BACKENDS))
    if language is None:
        raise BuildFailed(
            f"{project / 'pyproject.toml'} does not say the plugin's language",
            hint=f'add [tool.dativo] language = "python" (one of: {known})',
        )
    if language not in BACKENDS:
        raise BuildFailed(
            f"no build backend for language {language!r} in {project / 'pyproject.toml'}",
            hint=f"[tool.dativo] language must be one of: {known}",
        )
    return str(language)


def check_tools(backend: type[Backend]) -> None:
    """Raise ToolchainMissing for the first tool of ``backend`` that is not on PATH."""
    for tool in backend.tools:
        if shutil.which(tool.name) is None:
            raise ToolchainMissing(
                f"building a {backend.language} plugin needs `{tool.name}`, which is not on PATH",
                hint=tool.install_hint,
            )


def build_project(project: Path, out_dir: Path, *, progress: bool = False) -> BuildResult:
    """Build ``project`` with its language's backend; put the distributions in ``out_dir``."""
    project = project.resolve()
    out_dir = out_dir.resolve()
    language = project_language(project)
    backend_cls = BACKENDS[language]
    check_tools(backend_cls)
    log = BuildLog()
    with (
        _writable(out_dir),
        _created_dirs(out_dir.parent),
        _status(progress, f"building {project.name} ({language})"),
    ):
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.building-", dir=out_dir.parent))
        try:
            built = backend_cls().build(project, staging, log)
            dists = [p for p in built if p.suffix == ".whl" or p.name.endswith(".tar.gz")]
            if not any(p.suffix == ".whl" for p in dists):
                raise BuildFailed(
                    f"the {language} build of {project.name} produced no wheel\n{log.tail()}",
                    hint="check the project's build configuration",
                )
            out_dir.mkdir(exist_ok=True)
            final = [_publish(p, out_dir) for p in dists]
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return BuildResult(
        language=language,
        wheels=sorted(p for p in final if p.suffix == ".whl"),
        sdists=sorted(p for p in final if p.name.endswith(".tar.gz")),
    )


def _publish(built: Path, out_dir: Path) -> Path:
    """Move ``built`` into ``out_dir``; drop side files of a different older file."""
    target = out_dir / built.name
    if target.exists() and not filecmp.cmp(target, built, shallow=False):
        for side in out_dir.glob(f"{built.name}.*"):
            side.unlink()
    os.replace(built, target)
    return target


@contextmanager
def _writable(out_dir: Path) -> Iterator[None]:
    """Turn a failure to create or write the output directory into BuildFailed."""
    try:
        yield
    except OSError as exc:
        raise BuildFailed(
            f"cannot write the distributions to {out_dir}: {exc.strerror or exc}",
            hint="choose an output directory you can write to (--out-dir)",
        ) from exc


@contextmanager
def _created_dirs(directory: Path) -> Iterator[None]:
    """Create ``directory`` (and missing parents); remove what was created on failure."""
    missing = [p for p in (directory, *directory.parents) if not p.exists()]
    directory.mkdir(parents=True, exist_ok=True)
    try:
        yield
    except BaseException:
        for path in missing:  # deepest first
            try:
                path.rmdir()
            except OSError:
                break
        raise


@contextmanager
def _status(progress: bool, text: str) -> Iterator[None]:
    """A spinner on stderr while the build runs, when asked (on a terminal)."""
    if not progress:
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(text):
        yield
