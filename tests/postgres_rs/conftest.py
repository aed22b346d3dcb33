"""Fixtures for the Rust PostgreSQL reader (plugins/postgres-rs): built once, installed privately.

`postgres_rs_site` builds the plugin's wheel ONCE per test session with the real
command line (`dativo-pkg build plugins/postgres-rs --out-dir TMP --json`), cargo
compiling into the repository's shared ``build/cargo-target`` with at most 2 jobs,
and installs it with the `installer` library into a flat site directory. Tests
either point ``DATIVO_PLUGIN_PATH`` at that directory for subprocess runs
(`python -m dativo_pkg run job.yaml`) or use `postgres_rs_module`, which puts the
directory on ``sys.path`` and returns the imported ``dativo_postgres_rs`` module.

Without cargo the tests are skipped, except on CI, where they fail.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.sources import WheelFile

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "plugins" / "postgres-rs"
#: Shared by every cargo build of the repository's tests (dependencies compile once).
CARGO_TARGET = REPO / "build" / "cargo-target"


def _cargo_env() -> dict[str, str]:
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {"CARGO_TARGET_DIR": str(CARGO_TARGET), "CARGO_BUILD_JOBS": "2", "PATH": path}


def _install_wheel(wheel: Path, site: Path) -> None:
    scheme = {key: str(site) for key in ("purelib", "platlib", "headers", "data")}
    scheme["scripts"] = str(site / "bin")
    destination = SchemeDictionaryDestination(
        scheme, interpreter=sys.executable, script_kind="posix"
    )
    with WheelFile.open(wheel) as source:
        install(source, destination, {"INSTALLER": b"tests"})


@pytest.fixture(scope="session")
def postgres_rs_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin's wheel, built once per session by `dativo-pkg build`."""
    for tool in ("cargo", "rustc"):
        if shutil.which(tool) is None:
            if os.environ.get("CI"):
                pytest.fail(f"{tool} is not on PATH: CI must build the postgres-rs plugin")
            pytest.skip(f"{tool} is not on PATH (install Rust: https://rustup.rs)")
    out_dir = tmp_path_factory.mktemp("postgres-rs-dist")
    argv = [sys.executable, "-m", "dativo_pkg", "build", str(PLUGIN), "--out-dir", str(out_dir)]
    proc = subprocess.run(
        [*argv, "--json"],
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200", **_cargo_env()},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 0, (
        f"building plugins/postgres-rs failed (exit {proc.returncode})\n"
        f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-6000:]}"
    )
    wheels = json.loads(proc.stdout)["wheels"]
    assert len(wheels) == 1, wheels
    return Path(wheels[0])


@pytest.fixture(scope="session")
def postgres_rs_site(postgres_rs_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A flat site directory holding the installed dativo-postgres-rs wheel."""
    site = tmp_path_factory.mktemp("postgres-rs-site")
    _install_wheel(postgres_rs_wheel, site)
    return site


@pytest.fixture
def postgres_rs_module(postgres_rs_site: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The imported ``dativo_postgres_rs`` package, loaded from `postgres_rs_site`."""
    monkeypatch.setattr(sys, "path", [str(postgres_rs_site), *sys.path])
    module = sys.modules.get("dativo_postgres_rs")
    if module is None:
        module = importlib.import_module("dativo_postgres_rs")
    return module
