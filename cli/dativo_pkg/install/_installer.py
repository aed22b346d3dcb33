"""Install verified local wheels into an environment, and remove distributions via RECORD.

The environment is the running interpreter's (``sys.prefix``'s sysconfig
paths), or a prefix like ``pip install --prefix``. Wheels are unpacked by the
``installer`` library (console scripts generated, ``INSTALLER`` set to
``dativo-pkg``). Installing several wheels is one transaction: an older
version of the same distribution is moved aside first, and if any wheel
fails, what was written is removed and what was moved aside is put back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import sysconfig
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import Distribution, PackageNotFoundError, distributions
from pathlib import Path
from typing import BinaryIO

from installer import install as install_wheel
from installer.destinations import SchemeDictionaryDestination
from installer.exceptions import InstallerError
from installer.records import RecordEntry
from installer.sources import WheelFile
from installer.utils import Scheme, get_launcher_kind
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from dativo_pkg.install._errors import InstallFailed
from dativo_pkg.install._wheel import LocalWheel

__all__ = ["INSTALLER_NAME", "Environment"]

log = logging.getLogger(__name__)

INSTALLER_NAME = "dativo-pkg"
#: Never replaced nor removed by ``dativo-pkg`` itself: upgrade it with pip.
SELF = canonicalize_name("dativo-pkg")


@dataclass(frozen=True)
class Environment:
    """Where distributions are installed: ``prefix`` (None: the running environment)."""

    prefix: Path | None = None

    @property
    def root(self) -> Path:
        return (self.prefix or Path(sys.prefix)).absolute()

    @property
    def paths(self) -> dict[str, str]:
        """The installer's scheme: purelib, platlib, headers, scripts, data."""
        if self.prefix is None:
            raw = sysconfig.get_paths()
        else:
            base = str(self.root)
            scheme = sysconfig.get_preferred_scheme("prefix")
            variables = {key: base for key in ("base", "platbase", "installed_base")}
            raw = sysconfig.get_paths(scheme, vars={**variables, "installed_platbase": base})
        return {
            "purelib": raw["purelib"],
            "platlib": raw["platlib"],
            "headers": raw["include"],
            "scripts": raw["scripts"],
            "data": raw["data"],
        }

    @property
    def site_dirs(self) -> list[str]:
        paths = self.paths
        return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))

    def installed(self, name: str) -> Distribution | None:
        """The distribution ``name`` installed in this environment's site directories."""
        wanted = canonicalize_name(name)
        for dist in distributions(path=self.site_dirs):
            try:
                found = dist.metadata["Name"] or ""
            except OSError:
                # A listing cached by a metadata finder (importlib_metadata's, once some
                # library imported it) can still name a .dist-info this transaction just
                # moved aside: it is not installed.
                continue
            if canonicalize_name(found) == wanted:
                return dist
        return None

    def available_version(self, name: str) -> Version | None:
        """The version of ``name`` importable here: this environment, then ``sys.path``."""
        dist = self.installed(name)
        if dist is None:
            try:
                dist = Distribution.from_name(name)
            except PackageNotFoundError:
                return None
        try:
            return Version(dist.version)
        except InvalidVersion:
            return None

    def install(self, wheels: Sequence[LocalWheel]) -> None:
        """Install ``wheels``, replacing older versions; all of them or none."""
        if not wheels:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        transaction = _Transaction(self)
        try:
            for wheel in wheels:
                old = self.installed(wheel.name)
                if old is not None:
                    _refuse_self(wheel.name, "replace")
                    log.info("replacing %s %s", old.metadata["Name"], old.version)
                    transaction.move_aside(old)
                transaction.install(wheel)
        except BaseException as exc:
            transaction.rollback()
            if isinstance(exc, InstallerError | OSError | ValueError):
                raise InstallFailed(
                    f"installing into {self.root} failed: {type(exc).__name__}: {exc}",
                    hint="nothing was changed; check the permissions and free space of "
                    "the environment, and that no other distribution owns these files",
                ) from exc
            raise
        transaction.commit()

    def uninstall(self, dist: Distribution) -> list[Path]:
        """Remove every file ``dist``'s RECORD names (and their bytecode); return them."""
        _refuse_self(canonicalize_name(dist.metadata["Name"] or ""), "uninstall")
        files = _recorded_files(dist, self.root)
        for path in files:
            path.unlink(missing_ok=True)
        _remove_empty_parents(files, self.site_dirs)
        return files


def _refuse_self(name: str, action: str) -> None:
    if name == SELF:
        raise InstallFailed(
            f"dativo-pkg does not {action} itself",
            hint="upgrade or remove dativo-pkg with pip (or the tool that installed it)",
        )


class _RecordingDestination(SchemeDictionaryDestination):
    """The installer's destination, remembering every path it writes (for a rollback)."""

    written: list[Path]

    def write_to_fs(
        self, scheme: Scheme, path: str, stream: BinaryIO, is_executable: bool
    ) -> RecordEntry:
        target = Path(os.path.abspath(Path(self.scheme_dict[scheme]) / path))
        entry = super().write_to_fs(scheme, path, stream, is_executable)
        self.written.append(target)
        return entry


class _Transaction:
    """Moves replaced files aside, records new ones; commit or roll back."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        purelib = Path(env.paths["purelib"])
        purelib.mkdir(parents=True, exist_ok=True)
        self.stash = Path(tempfile.mkdtemp(prefix=".dativo-pkg-replaced-", dir=purelib))
        self.moved: list[tuple[Path, Path]] = []
        self.written: list[Path] = []

    def move_aside(self, dist: Distribution) -> None:
        for path in _recorded_files(dist, self.env.root):
            if path.exists():
                aside = self.stash / str(len(self.moved))
                shutil.move(path, aside)
                self.moved.append((path, aside))

    def install(self, wheel: LocalWheel) -> None:
        destination = _RecordingDestination(
            scheme_dict=self.env.paths,
            interpreter=sys.executable,
            script_kind=get_launcher_kind(),
        )
        destination.written = self.written
        log.info("installing %s", wheel.filename)
        with WheelFile.open(wheel.path) as source:
            source.validate_record()
            install_wheel(source, destination, {"INSTALLER": INSTALLER_NAME.encode()})

    def rollback(self) -> None:
        for path in self.written:
            path.unlink(missing_ok=True)
        for original, aside in reversed(self.moved):
            original.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(aside, original)
        _remove_empty_parents(self.written, self.env.site_dirs)
        shutil.rmtree(self.stash, ignore_errors=True)

    def commit(self) -> None:
        shutil.rmtree(self.stash, ignore_errors=True)
        _remove_empty_parents([original for original, _ in self.moved], self.env.site_dirs)


def _recorded_files(dist: Distribution, root: Path) -> list[Path]:
    """Absolute paths of ``dist``'s files (RECORD, plus bytecode), all under ``root``."""
    if dist.files is None:
        raise InstallFailed(
            f"{dist.metadata['Name']} has no RECORD: dativo-pkg cannot tell its files",
            hint="remove it with the tool that installed it",
        )
    found = []
    for file in dist.files:
        path = Path(os.path.abspath(str(dist.locate_file(file))))
        if not path.is_relative_to(root):
            log.warning("not removing %s: outside the environment %s", path, root)
            continue
        found.append(path)
        if path.suffix == ".py":
            found.extend(path.parent.glob(f"__pycache__/{path.stem}.*.pyc"))
    return list(dict.fromkeys(found))


def _remove_empty_parents(files: Iterable[Path], site_dirs: Sequence[str]) -> None:
    """Remove the directories left empty, deepest first, never a site directory itself."""
    keep = {Path(os.path.abspath(d)) for d in site_dirs}
    parents = {p for f in files for p in f.parents if any(p.is_relative_to(k) for k in keep)}
    for directory in sorted(parents - keep, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):  # not empty, or already gone
            directory.rmdir()
