"""Rust plugins: ``maturin``, a platform wheel and an sdist.

A Rust plugin (see ``templates/rust-reader``) is a maturin project: a Cargo
workspace whose PyO3 crate compiles to an extension module inside a Python
package. The backend runs

* ``maturin build --release --out OUT`` — the wheel, for the interpreter
  running dativo-pkg (``--interpreter``; an ``abi3`` crate gives one wheel for
  every later CPython too), and
* ``maturin sdist --out OUT`` — the source distribution.

Both need ``cargo`` on PATH and ``maturin``. maturin is a dependency of
dativo-pkg, so when it is not on PATH (a virtualenv used without activating
it) the one installed beside the running interpreter is used: the tool is
then declared by its absolute path, which the PATH check accepts too.
Compiled artifacts go to the project's ``target/`` or to ``CARGO_TARGET_DIR``
when that is set (share one between projects to compile the dependencies
once). ``DATIVO_CARGO_JOBS`` caps cargo's parallel jobs (``CARGO_BUILD_JOBS``
is honoured as well).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import ClassVar

from dativo_pkg.build._backend import Backend, BuildLog, Tool

__all__ = ["RustBackend", "maturin_command"]

#: Environment variable capping cargo's parallel jobs for dativo-pkg builds.
JOBS_ENV = "DATIVO_CARGO_JOBS"


def maturin_command() -> str:
    """The maturin to run: ``maturin`` if on PATH, else the one beside this interpreter.

    Falls back to the bare name, so a missing maturin is reported as such.
    """
    if shutil.which("maturin"):
        return "maturin"
    beside = Path(sys.executable).parent / "maturin"
    return str(beside) if shutil.which(str(beside)) else "maturin"


class RustBackend(Backend):
    """Builds a PyO3 + maturin plugin: a platform wheel and an sdist."""

    language: ClassVar[str] = "rust"
    tools: ClassVar[tuple[Tool, ...]] = (
        Tool(
            "cargo",
            "install Rust with rustup (https://rustup.rs): "
            "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh",
        ),
        Tool(maturin_command(), "install maturin: pip install 'maturin>=1.9.4,<2'"),
    )

    def build(self, project: Path, out_dir: Path, log: BuildLog) -> list[Path]:
        maturin = maturin_command()
        env = self._env()
        if "CARGO_TARGET_DIR" in env:
            log.note(f"compiling into CARGO_TARGET_DIR={env['CARGO_TARGET_DIR']}")
        log.run(
            [
                maturin,
                "build",
                "--release",
                "--interpreter",
                sys.executable,
                "--out",
                str(out_dir),
            ],
            cwd=project,
            env=env,
        )
        log.run([maturin, "sdist", "--out", str(out_dir)], cwd=project, env=env)
        return sorted(out_dir.iterdir())

    @staticmethod
    def _env() -> dict[str, str]:
        """Variables for maturin and cargo: the job cap, and CARGO_TARGET_DIR kept absolute."""
        env: dict[str, str] = {}
        target = os.environ.get("CARGO_TARGET_DIR")
        if target:
            env["CARGO_TARGET_DIR"] = str(Path(target).resolve())
        jobs = os.environ.get(JOBS_ENV)
        if jobs:
            env["CARGO_BUILD_JOBS"] = jobs
        return env
