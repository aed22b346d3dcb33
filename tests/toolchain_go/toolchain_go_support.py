"""Helpers shared by the go-reader template tests (a unique module name, unlike conftest)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.sources import WheelFile

NAME = "acme-go-csv"
CONNECTOR = "acme_go_csv"
PACKAGE = "dativo_acme_go_csv"
#: Module downloads may be needed (a fresh module cache): go.sum pins them.
GO_ENV = {"GOFLAGS": "-mod=mod"}


def dativo(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "dativo_pkg", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **GO_ENV, **(env or {})},
        timeout=timeout,
        check=False,
    )


def install_wheel(wheel: Path, site: Path) -> Path:
    """Install ``wheel`` into ``site`` with the `installer` library, as dativo-pkg install does."""
    scheme = {key: str(site) for key in ("purelib", "platlib")}
    scheme |= {key: str(site / key) for key in ("headers", "scripts", "data")}
    destination = SchemeDictionaryDestination(
        scheme, interpreter=sys.executable, script_kind="posix"
    )
    with WheelFile.open(wheel) as source:
        install(source, destination, additional_metadata={"INSTALLER": b"dativo-pkg"})
    return site
