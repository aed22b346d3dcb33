"""What ``install`` reads from a downloaded wheel: its metadata and whether it is a plugin.

A distribution is a *plugin* when the wheel carries a ``dativo-plugin.json``
or declares a ``dativo.readers`` / ``dativo.writers`` entry point. A plugin
whose manifest's API range excludes this runtime does not fit.
"""

from __future__ import annotations

import configparser
import json
import zipfile
from dataclasses import dataclass
from email.parser import BytesParser
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version
from pydantic import ValidationError

from dativo_pkg.errors import CompatibilityError
from dativo_pkg.install._errors import NoMatchingDistribution
from dativo_pkg.manifest import MANIFEST_FILENAME, Manifest, check_api_range

__all__ = ["PLUGIN_GROUPS", "LocalWheel", "read_wheel"]

PLUGIN_GROUPS = ("dativo.readers", "dativo.writers")


@dataclass(frozen=True)
class LocalWheel:
    """A downloaded wheel whose sha256 has been checked, and what it says."""

    path: Path
    sha256: str
    name: NormalizedName
    version: Version
    requires_dist: tuple[Requirement, ...]
    requires_python: str | None
    is_plugin: bool
    #: Why this wheel does not fit this runtime (its plugin API range), or None.
    api_problem: str | None = None

    @property
    def filename(self) -> str:
        return self.path.name


def read_wheel(path: Path, sha256: str) -> LocalWheel:
    """Read METADATA, entry points and the plugin manifest of the wheel at ``path``."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            dist_info = _dist_info_dir(names, path.name)
            metadata = BytesParser().parsebytes(zf.read(f"{dist_info}/METADATA"))
            entry_points = _read_optional(zf, f"{dist_info}/entry_points.txt")
            manifests = [zf.read(n) for n in names if n.rsplit("/", 1)[-1] == MANIFEST_FILENAME]
        version = Version(metadata.get("Version", ""))
    except (OSError, zipfile.BadZipFile, KeyError, InvalidVersion) as exc:
        raise NoMatchingDistribution(
            f"{path.name} is not a readable wheel: {exc}",
            hint="the index serves a broken file; ask its publisher for a new release",
        ) from exc
    return LocalWheel(
        path=path,
        sha256=sha256,
        name=canonicalize_name(metadata.get("Name", "")),
        version=version,
        requires_dist=tuple(_requirements(metadata.get_all("Requires-Dist") or [], path.name)),
        requires_python=metadata.get("Requires-Python"),
        is_plugin=bool(manifests or _declares_plugins(entry_points)),
        api_problem=_api_problem(manifests),
    )


def _dist_info_dir(names: list[str], filename: str) -> str:
    candidates = {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}
    if len(candidates) != 1:
        raise KeyError(f"expected one .dist-info directory in {filename}, found {len(candidates)}")
    return candidates.pop()


def _read_optional(zf: zipfile.ZipFile, name: str) -> str:
    try:
        return zf.read(name).decode("utf-8")
    except KeyError:
        return ""


def _declares_plugins(entry_points: str) -> bool:
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    try:
        parser.read_string(entry_points)
    except configparser.Error:
        return False
    return any(parser.has_section(group) and parser.options(group) for group in PLUGIN_GROUPS)


def _requirements(lines: list[str], filename: str) -> list[Requirement]:
    try:
        return [Requirement(line) for line in lines]
    except InvalidRequirement as exc:
        raise NoMatchingDistribution(f"{filename} declares an invalid requirement: {exc}") from exc


def _api_problem(manifests: list[bytes]) -> str | None:
    for raw in manifests:
        try:
            manifest = Manifest.model_validate(json.loads(raw))
        except (ValueError, ValidationError) as exc:
            return f"its plugin manifest is invalid ({type(exc).__name__})"
        for spec in manifest.plugins:
            try:
                check_api_range(spec.api, plugin=spec.connector)
            except CompatibilityError as exc:
                return exc.message
    return None
