"""Helpers for the rust-reader tests (the fixtures are in conftest.py).

Everything runs the real command line (``python -m dativo_pkg``) in a
subprocess. Cargo compiles into one shared ``CARGO_TARGET_DIR`` under the
repository's ``build/cargo-target`` (gitignored), so the dependencies (arrow,
pyo3) compile once per machine, not once per project or per test; cargo runs
at most 2 jobs at a time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.sources import WheelFile

REPO = Path(__file__).resolve().parents[2]
#: Shared by every cargo build of the test session (and later sessions).
CARGO_TARGET = REPO / "build" / "cargo-target"
PROJECT_NAME = "trs-csv"


def cargo_env() -> dict[str, str]:
    """What every build in these tests runs with: the shared target dir, 2 jobs at most."""
    env = {"CARGO_TARGET_DIR": str(CARGO_TARGET), "CARGO_BUILD_JOBS": "2"}
    # maturin is installed beside this interpreter; make sure PATH finds it.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return env


def dativo_pkg(
    *args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``dativo-pkg ARGS`` with this interpreter; never raises on a non-zero exit."""
    full_env = {**os.environ, "COLUMNS": "200", **cargo_env(), **(env or {})}
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
        f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-6000:]}"
    )
    return proc


def install_wheel(wheel: Path, site: Path) -> None:
    """Install ``wheel`` into the flat site directory ``site`` (what DATIVO_PLUGIN_PATH names)."""
    scheme = {key: str(site) for key in ("purelib", "platlib", "headers", "data")}
    scheme["scripts"] = str(site / "bin")
    destination = SchemeDictionaryDestination(
        scheme, interpreter=sys.executable, script_kind="posix"
    )
    with WheelFile.open(wheel) as source:
        install(source, destination, {"INSTALLER": b"tests"})


def build(project: Path, out_dir: Path) -> tuple[Path, Path]:
    """`dativo-pkg build PROJECT --out-dir OUT`: the wheel and the sdist."""
    info = json.loads(ok(dativo_pkg("build", project, "--out-dir", out_dir, "--json")).stdout)
    (wheel,) = info["wheels"]
    (sdist,) = info["sdists"]
    return Path(wheel), Path(sdist)


@dataclass(frozen=True)
class RustProject:
    path: Path
    slug: str
    connector: str
    package: str

    @property
    def core_crate(self) -> Path:
        return self.path / "crates" / f"{self.slug}-core"


@dataclass(frozen=True)
class BuiltRust:
    project: RustProject
    wheel: Path
    sdist: Path
    site: Path


def render(where: Path, name: str = PROJECT_NAME) -> RustProject:
    """`dativo-pkg new reader --lang rust NAME --no-input` into ``where``."""
    proc = ok(
        dativo_pkg(
            "new", "reader", "--lang", "rust", name, "--no-input", "--output-dir", where, "--json"
        )
    )
    info = json.loads(proc.stdout)
    return RustProject(
        path=Path(info["path"]),
        slug=info["project_slug"],
        connector=info["connector"],
        package=info["package_name"],
    )


def copy_project(project: RustProject, where: Path) -> RustProject:
    """A private copy of ``project`` to patch (without build outputs)."""
    target = where / project.path.name
    shutil.copytree(project.path, target, ignore=shutil.ignore_patterns("dist", "target"))
    return RustProject(
        path=target, slug=project.slug, connector=project.connector, package=project.package
    )


def patch_file(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not found once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def run_command(argv: Sequence[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a tool (cargo) with the shared target dir; never raises on a non-zero exit."""
    return subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env={**os.environ, **cargo_env()},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
