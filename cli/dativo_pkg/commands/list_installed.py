"""``dativo-pkg list``: what the lockfile records, and whether it is installed."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import Distribution, distributions
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from dativo_pkg.install import INSTALLER_NAME, PLUGIN_GROUPS, Environment, Lockfile

__all__ = ["ListSettings", "list_installed"]


@dataclass(frozen=True)
class ListSettings:
    lockfile: Path = Path("dativo.lock")
    prefix: Path | None = None


def list_installed(settings: ListSettings) -> list[dict[str, Any]]:
    """One record per locked distribution, then any dativo-pkg installed but not locked.

    ``status`` is ``installed``, ``missing``, ``other-version`` (installed, but
    not the locked version) or ``unlocked`` (installed by dativo-pkg, absent
    from this lockfile).
    """
    lock = Lockfile.load(settings.lockfile)
    environment = Environment(settings.prefix)
    records = []
    for entry in lock:
        dist = environment.installed(entry.name)
        status = "missing" if dist is None else "installed"
        if dist is not None and dist.version != entry.version:
            status = "other-version"
        signer = entry.signer
        records.append(
            {
                "name": entry.name,
                "version": entry.version,
                "status": status,
                "installed_version": dist.version if dist else None,
                "plugin": entry.plugin,
                "provides": _provides(dist),
                "signer": {"identity": signer.identity, "issuer": signer.issuer}
                if signer
                else None,
                "filename": entry.filename,
                "sha256": entry.sha256,
                "index": entry.index,
            }
        )
    for dist in _installed_by_us(environment):
        name = canonicalize_name(dist.metadata["Name"] or "")
        if lock.get(name) is None:
            records.append(
                {
                    "name": name,
                    "version": None,
                    "status": "unlocked",
                    "installed_version": dist.version,
                    "plugin": bool(_provides(dist)),
                    "provides": _provides(dist),
                    "signer": None,
                    "filename": None,
                    "sha256": None,
                    "index": None,
                }
            )
    return records


def _provides(dist: Distribution | None) -> list[str]:
    """``reader NAME`` / ``writer NAME`` for each plugin entry point (no import, no manifest)."""
    if dist is None:
        return []
    return [
        f"{group.rsplit('.', 1)[-1][:-1]} {ep.name}"
        for group in PLUGIN_GROUPS
        for ep in sorted(dist.entry_points.select(group=group), key=lambda ep: ep.name)
    ]


def _installed_by_us(environment: Environment) -> list[Distribution]:
    found = []
    for dist in distributions(path=environment.site_dirs):
        if (dist.read_text("INSTALLER") or "").strip() == INSTALLER_NAME:
            found.append(dist)
    return sorted(found, key=lambda d: canonicalize_name(d.metadata["Name"] or ""))
