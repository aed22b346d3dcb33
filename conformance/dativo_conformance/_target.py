"""What the suite tests: one installed plugin, its project settings and, optionally, its wheel."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dativo_conformance._project import ProjectConfig, load_project
from dativo_pkg.discovery import InstalledPlugin, find_plugin
from dativo_pkg.trust import Publisher, TrustRoots

__all__ = ["Target"]


@dataclass(frozen=True)
class Target:
    """The plugin under test, found through discovery like the runtime finds it.

    ``dist`` is the distribution file the installed plugin came from (its
    digest goes into the report, and the ``signed`` check looks beside it for
    a signature). ``publishers`` are the keys or identities a signature must
    come from; keyless signatures are verified against ``sigstore_instances``.
    """

    project: ProjectConfig
    dist: Path | None = None
    publishers: tuple[Publisher, ...] = ()
    sigstore_instances: tuple[str, ...] = ("production",)
    trust_configs: tuple[Path, ...] = field(default_factory=tuple)

    @classmethod
    def from_path(cls, path: Path, *, dist: Path | None = None) -> Target:
        return cls(project=load_project(path), dist=dist)

    @property
    def kind(self) -> str:
        return self.project.kind

    @property
    def connector(self) -> str:
        return self.project.connector

    @functools.cached_property
    def plugin(self) -> InstalledPlugin:
        """The installed plugin (raises PluginNotFound when it is not installed)."""
        return find_plugin(self.project.kind, self.project.connector)

    def trust_roots(self) -> TrustRoots:
        return TrustRoots.load(self.sigstore_instances, self.trust_configs)


def publishers_from_keys(paths: Sequence[Path]) -> tuple[Publisher, ...]:
    """Publishers for public key files (PEM), as ``dativo-pkg key generate`` writes them."""
    return tuple(Publisher.from_public_key(path.read_bytes()) for path in paths)
