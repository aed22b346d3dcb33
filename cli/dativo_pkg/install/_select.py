"""Which files of a project page may satisfy a requirement, best first.

A version qualifies when the requirement's PEP 440 specifier contains it
(pre-releases only when the specifier names one), it is not yanked (unless
pinned with ``==``), its ``requires-python`` admits this interpreter, it has
a wheel whose tags this platform supports (plugins and their dependencies
install from wheels only, never by running a build), and it is not older
than the version the lockfile records (unless pinned with ``==``). Every
rejection is kept with its reason, for the error message when nothing fits.
"""

from __future__ import annotations

import functools
import platform
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag, sys_tags
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import Version

from dativo_pkg.install._index import IndexFile

__all__ = ["Choice", "is_pinned", "python_fits", "select_files"]


@dataclass(frozen=True)
class Choice:
    """The best wheel of one version."""

    version: Version
    file: IndexFile


def is_pinned(specifier: SpecifierSet) -> bool:
    """Whether ``specifier`` names exactly one version (``==X`` or ``===X``, no wildcard)."""
    return any(s.operator in ("==", "===") and not s.version.endswith(".*") for s in specifier)


def select_files(
    name: NormalizedName,
    files: Iterable[IndexFile],
    specifier: SpecifierSet,
    *,
    locked: Version | None,
    rejections: list[str],
) -> list[Choice]:
    """The qualifying versions of ``name``, newest first, each with its best wheel."""
    pinned = is_pinned(specifier)
    by_version: dict[Version, list[IndexFile]] = {}
    for file in files:
        version = _wheel_version(name, file.filename)
        if version is not None:
            by_version.setdefault(version, []).append(file)
        elif not file.filename.endswith(".whl"):
            rejections.append(f"{file.filename}: not a wheel (dativo-pkg installs wheels only)")
        else:
            rejections.append(f"{file.filename}: not a valid wheel name for {name}")
    if by_version and not any(specifier.contains(v) for v in by_version):
        shown = ", ".join(str(v) for v in sorted(by_version, reverse=True)[:10])
        rejections.append(f"the index has {shown}")
    choices = []
    for version in sorted(by_version, reverse=True):
        reason = _version_problem(version, specifier, pinned, locked)
        if reason is None:
            best, reason = _best_file(by_version[version], pinned)
            if best is not None:
                choices.append(Choice(version, best))
                continue
        if reason:
            rejections.append(f"{version}: {reason}")
    return choices


def _wheel_version(name: NormalizedName, filename: str) -> Version | None:
    try:
        wheel_name, version, _, _ = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return None
    return version if canonicalize_name(wheel_name) == name else None


def _version_problem(
    version: Version, specifier: SpecifierSet, pinned: bool, locked: Version | None
) -> str | None:
    """None when ``version`` qualifies; else the reason ("" for outside the request)."""
    if not specifier.contains(version):
        return ""
    if locked is not None and version < locked and not pinned:
        return (
            f"older than {locked}, the version dativo.lock records "
            "(pin it with == to downgrade on purpose)"
        )
    return None


def _best_file(files: Sequence[IndexFile], pinned: bool) -> tuple[IndexFile | None, str]:
    """The wheel with the most specific supported tag, or the reason there is none."""
    reasons = []
    ranked = []
    for file in files:
        if file.yanked and not pinned:
            reasons.append(f"yanked ({file.yanked_reason or 'no reason given'})")
        elif not python_fits(file.requires_python):
            reasons.append(f"requires Python {file.requires_python}")
        elif (rank := _tag_rank(file.filename)) is None:
            reasons.append(f"{file.filename} does not fit this platform")
        else:
            ranked.append((rank, file.filename, file))
    if ranked:
        return min(ranked)[2], ""
    return None, "; ".join(dict.fromkeys(reasons))


def python_fits(requires_python: str | None) -> bool:
    if not requires_python:
        return True
    try:
        return SpecifierSet(requires_python).contains(platform.python_version(), prereleases=True)
    except InvalidSpecifier:
        return False


@functools.cache
def _tag_priorities() -> dict[Tag, int]:
    return {tag: rank for rank, tag in enumerate(sys_tags())}


def _tag_rank(filename: str) -> int | None:
    _, _, _, tags = parse_wheel_filename(filename)
    priorities = _tag_priorities()
    ranks = [priorities[t] for t in tags if t in priorities]
    return min(ranks) if ranks else None
