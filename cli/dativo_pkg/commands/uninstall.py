"""``dativo-pkg uninstall``: remove distributions via their RECORD, and drop them from the lock."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import Distribution
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name

from dativo_pkg.install import Environment, InstallFailed, Lockfile

__all__ = ["Removal", "UninstallSettings", "uninstall"]

log = logging.getLogger(__name__)

SELF = canonicalize_name("dativo-pkg")


@dataclass(frozen=True)
class UninstallSettings:
    names: tuple[str, ...]
    lockfile: Path = Path("dativo.lock")
    prefix: Path | None = None


@dataclass
class Removal:
    """One distribution to remove: its installed version (None: not installed), its files."""

    name: NormalizedName
    version: str | None
    locked: bool
    dist: Distribution | None = field(repr=False, default=None)
    files: list[Path] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "removed_from_lockfile": self.locked,
            "files_removed": len(self.files),
        }


def uninstall(
    settings: UninstallSettings, confirm: Callable[[Sequence[Removal]], bool] | None = None
) -> list[Removal]:
    """Remove ``settings.names``; ``confirm`` (if given) sees the plan first and may say no.

    A name neither installed nor locked is skipped with a warning, as pip does.
    Returns the removals done ([] when ``confirm`` said no).
    """
    names = [canonicalize_name(n) for n in settings.names]
    if SELF in names:
        raise InstallFailed(
            "dativo-pkg does not uninstall itself",
            hint="remove it with pip (or the tool that installed it)",
        )
    lock = Lockfile.load(settings.lockfile)
    environment = Environment(settings.prefix)
    plan = []
    for name in dict.fromkeys(names):
        dist = environment.installed(name)
        if dist is None and lock.get(name) is None:
            log.warning("skipping %s: not installed in %s", name, environment.root)
            continue
        version = dist.version if dist else None
        plan.append(Removal(name, version, lock.get(name) is not None, dist))
    if not plan or (confirm is not None and not confirm(plan)):
        return []
    for removal in plan:
        if removal.dist is not None:
            removal.files = environment.uninstall(removal.dist)
        lock.remove(removal.name)
    if any(removal.locked for removal in plan):
        lock.save()
    return plan
