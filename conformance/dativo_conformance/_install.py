"""Install the wheel under test into a private directory, so the tested artifact is the one
that gets published.

The wheel is unpacked by the ``installer`` library into a fresh temporary
directory, which goes first on ``sys.path`` and on ``DATIVO_PLUGIN_PATH``
(so discovery, and every subprocess the suite starts, finds this copy
before any other install of the same project). Its requirements must
already be installed in the running environment: the suite tests the
plugin, not a resolver.
"""

from __future__ import annotations

import email.parser
import importlib
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.exceptions import InstallerError
from installer.sources import WheelFile
from installer.utils import get_launcher_kind
from packaging.requirements import InvalidRequirement, Requirement

from dativo_pkg.discovery import PLUGIN_PATH_ENV
from dativo_pkg.errors import ConfigError, DativoError

__all__ = ["MissingRequirements", "installed_wheel", "missing_requirements"]


class MissingRequirements(DativoError):
    """The wheel under test needs distributions the running environment does not have."""

    exit_code = 2


def _metadata(wheel: Path) -> list[str]:
    try:
        with zipfile.ZipFile(wheel) as archive:
            name = next((n for n in archive.namelist() if n.endswith(".dist-info/METADATA")), None)
            if name is None:
                raise ConfigError(f"{wheel.name} has no METADATA", hint="rebuild the wheel")
            text = archive.read(name).decode("utf-8")
    except (OSError, zipfile.BadZipFile) as exc:
        raise ConfigError(f"cannot read {wheel}: {exc}", hint="pass a wheel (.whl) file") from exc
    return email.parser.Parser().parsestr(text).get_all("Requires-Dist") or []


def missing_requirements(wheel: Path) -> list[str]:
    """Requirements of ``wheel`` (no extras) not satisfied by the running environment."""
    missing = []
    for line in _metadata(wheel):
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            missing.append(f"{line} (unparsable)")
            continue
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            missing.append(str(requirement))
            continue
        if not requirement.specifier.contains(installed, prereleases=True):
            missing.append(f"{requirement} (installed: {installed})")
    return missing


@contextmanager
def installed_wheel(wheel: Path) -> Iterator[Path]:
    """Install ``wheel`` privately for the duration of the block; yield its site directory."""
    if not wheel.is_file() or wheel.suffix != ".whl":
        raise ConfigError(f"{wheel} is not a wheel file", hint="pass --dist path/to/NAME.whl")
    missing = missing_requirements(wheel)
    if missing:
        raise MissingRequirements(
            f"{wheel.name} requires what is not installed here: {', '.join(missing)}",
            hint="install them into the environment running dativo-pkg "
            "(`pip install ...`), then test again",
        )
    root = Path(tempfile.mkdtemp(prefix="dativo-conformance-site-"))
    site = root / "site"
    scheme = {
        "purelib": str(site),
        "platlib": str(site),
        "headers": str(root / "include"),
        "scripts": str(root / "bin"),
        "data": str(root / "data"),
    }
    destination = SchemeDictionaryDestination(
        scheme, interpreter=sys.executable, script_kind=get_launcher_kind()
    )
    previous = os.environ.get(PLUGIN_PATH_ENV)
    try:
        try:
            with WheelFile.open(wheel) as source:
                source.validate_record()
                install(source, destination, {"INSTALLER": b"dativo-pkg test"})
        except (InstallerError, OSError, ValueError, zipfile.BadZipFile) as exc:
            raise ConfigError(
                f"cannot install {wheel.name} for testing: {exc}", hint="rebuild the wheel"
            ) from exc
        os.environ[PLUGIN_PATH_ENV] = os.pathsep.join(filter(None, [str(site), previous]))
        sys.path.insert(0, str(site))
        importlib.invalidate_caches()
        yield site
    finally:
        if previous is None:
            os.environ.pop(PLUGIN_PATH_ENV, None)
        else:
            os.environ[PLUGIN_PATH_ENV] = previous
        if str(site) in sys.path:
            sys.path.remove(str(site))
        shutil.rmtree(root, ignore_errors=True)
