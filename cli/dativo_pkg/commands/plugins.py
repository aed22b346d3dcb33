"""``dativo-pkg plugins``: what readers and writers are installed."""

from __future__ import annotations

from typing import Any

from dativo_pkg.discovery import Kind, installed_plugins

__all__ = ["list_plugins"]


def list_plugins(kind: Kind | None = None) -> list[dict[str, Any]]:
    """One record per installed plugin, as ``--json`` prints it."""
    return [
        {
            "kind": p.kind,
            "connector": p.connector,
            "distribution": p.distribution,
            "version": p.version,
            "language": p.language,
            "api": p.api,
            "entry_point": p.entry_point.value,
            "capabilities": p.spec.capabilities if p.spec else [],
            "config_schema": p.spec.config_schema if p.spec else None,
        }
        for p in installed_plugins(kind)
    ]
