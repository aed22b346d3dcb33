"""Find the Rust reader (``postgres_rs``), or build and install it with ``--build``.

Found the way a job finds it: dativo_pkg discovery of the ``dativo.readers``
entry point ``postgres_rs``, in site-packages or in a ``DATIVO_PLUGIN_PATH``
directory. ``--build`` runs ``dativo-pkg build plugins/postgres-rs`` (cargo's
target in ``build/cargo-target``, shared with the tests, at most 2 jobs) and
installs the wheel with ``installer`` into a temporary flat site directory,
which then goes first on ``DATIVO_PLUGIN_PATH`` for the contender processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.sources import WheelFile

__all__ = ["CONNECTOR", "BuildFailed", "build_and_install", "locate"]

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "plugins" / "postgres-rs"
CARGO_TARGET = REPO / "build" / "cargo-target"
CONNECTOR = "postgres_rs"
PLUGIN_PATH_ENV = "DATIVO_PLUGIN_PATH"


class BuildFailed(Exception):
    """``dativo-pkg build`` of the Rust reader did not produce a wheel."""


def locate(plugin_path: str | None) -> str | None:
    """``"<distribution> <version>"`` of the installed Rust reader, or None.

    ``plugin_path`` is the DATIVO_PLUGIN_PATH the contenders will run with.
    Discovery runs in a child process so this process's import state is not
    what is looked at (and a broken install cannot take the runner down).
    """
    env = {**os.environ}
    if plugin_path:
        env[PLUGIN_PATH_ENV] = plugin_path
    probe = (
        "from dativo_pkg.discovery import find_plugin\n"
        f"p = find_plugin('reader', {CONNECTOR!r})\n"
        "print(p.distribution, p.version)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


def build_and_install(work: Path) -> Path:
    """Build the plugin's wheel into ``work/dist``, install it into ``work/site``; the site."""
    env = {
        **os.environ,
        "CARGO_TARGET_DIR": str(CARGO_TARGET),
        "CARGO_BUILD_JOBS": "2",
        # maturin is installed beside this interpreter
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    argv = [sys.executable, "-m", "dativo_pkg", "build", str(PROJECT)]
    argv += ["--out-dir", str(work / "dist"), "--json"]
    proc = subprocess.run(
        argv, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
    )
    if proc.returncode != 0:
        tail = " ".join(proc.stderr.strip().splitlines()[-3:])
        raise BuildFailed(f"dativo-pkg build exited {proc.returncode}: {tail[-400:]}")
    try:
        wheels = json.loads(proc.stdout)["wheels"]
    except (ValueError, KeyError) as exc:
        raise BuildFailed(f"dativo-pkg build printed no wheel list: {exc}") from exc
    if len(wheels) != 1:
        raise BuildFailed(f"expected one wheel, dativo-pkg build made {len(wheels)}")
    site = work / "site"
    site.mkdir(parents=True, exist_ok=True)
    scheme = {key: str(site) for key in ("purelib", "platlib", "headers", "data")}
    scheme["scripts"] = str(site / "bin")
    destination = SchemeDictionaryDestination(
        scheme, interpreter=sys.executable, script_kind="posix"
    )
    with WheelFile.open(Path(wheels[0])) as source:
        install(source, destination, {"INSTALLER": b"bench-postgres"})
    return site
