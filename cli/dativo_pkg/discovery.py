"""Find installed readers and writers through their entry points.

Plugins are ordinary distributions declaring entry points in the groups
``dativo.readers`` and ``dativo.writers``; the entry-point name is the
connector name used in job files. ``DATIVO_PLUGIN_PATH`` (directories
separated by ``os.pathsep``) adds places to look, like ``PYTHONPATH``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import Distribution, EntryPoint, distributions
from pathlib import Path
from typing import Any, Literal

from packaging.utils import canonicalize_name

from dativo_pkg.errors import CompatibilityError, PluginCrashed, PluginNotFound
from dativo_pkg.manifest import (
    MANIFEST_FILENAME,
    Manifest,
    PluginSpec,
    check_api_range,
    load_manifest,
)
from dativo_pkg.sdk import Reader, Writer

__all__ = ["InstalledPlugin", "Kind", "find_plugin", "installed_plugins"]

Kind = Literal["reader", "writer"]
GROUPS: dict[Kind, str] = {"reader": "dativo.readers", "writer": "dativo.writers"}
PLUGIN_PATH_ENV = "DATIVO_PLUGIN_PATH"


@dataclass(frozen=True)
class InstalledPlugin:
    """A reader or writer found in an installed distribution."""

    kind: Kind
    connector: str
    distribution: str
    version: str
    entry_point: EntryPoint
    spec: PluginSpec | None
    manifest_dir: Path | None

    @property
    def language(self) -> str:
        return self.spec.language if self.spec else "python"

    @property
    def api(self) -> str:
        return self.spec.api if self.spec else "unknown (no manifest)"

    def create(self, raw_config: Mapping[str, Any]) -> Reader[Any] | Writer[Any]:
        """Check compatibility, validate ``raw_config`` and build the plugin."""
        if self.spec is not None:
            check_api_range(self.spec.api, plugin=self.connector)
            if not self.spec.runs_in_process:
                return self._create_executable(raw_config)
        cls = self.load_class()
        check_api_range(cls.api_range, plugin=self.connector)
        return cls.from_config(raw_config, name=f"{self.kind} {self.connector!r}")

    def _create_executable(self, raw_config: Mapping[str, Any]) -> Reader[Any] | Writer[Any]:
        from dativo_pkg._internal.executable import ExecutableReader, ExecutableWriter

        assert self.spec is not None and self.spec.executable and self.manifest_dir
        executable = self.manifest_dir / self.spec.executable
        factory = ExecutableReader if self.kind == "reader" else ExecutableWriter
        return factory.create(executable, self.spec, raw_config)

    def load_class(self) -> type[Reader[Any]] | type[Writer[Any]]:
        """Import the class the entry point names; it must subclass Reader or Writer."""
        _extend_sys_path()
        try:
            obj = self.entry_point.load()
        except Exception as exc:
            raise PluginCrashed(
                f"{self.kind} {self.connector!r} from {self.distribution} failed to import: "
                f"{type(exc).__name__}: {exc}",
                hint=f"reinstall {self.distribution} or check its dependencies",
            ) from exc
        base = Reader if self.kind == "reader" else Writer
        if not (isinstance(obj, type) and issubclass(obj, base)):
            raise CompatibilityError(
                f"entry point {self.entry_point.value!r} of {self.distribution} is not a "
                f"dativo {self.kind} class",
                hint=f"the entry point must name a subclass of dativo_pkg.{base.__name__}",
            )
        return obj


def installed_plugins(kind: Kind | None = None) -> list[InstalledPlugin]:
    """Every installed plugin of ``kind`` (or both kinds), sorted by kind and connector."""
    manifests: dict[Path, Manifest] = {}
    found = [_describe(dist, ep, k, manifests) for dist, ep, k in _entry_points(kind)]
    return sorted(found, key=lambda p: (p.kind, p.connector, p.distribution))


def find_plugin(kind: Kind, connector: str) -> InstalledPlugin:
    """The one installed plugin of ``kind`` named ``connector``.

    Only the matching entry points are described (manifests read), so running
    a job costs one manifest read, however many plugins are installed.
    """
    candidates = list(_entry_points(kind))
    manifests: dict[Path, Manifest] = {}
    matches = [_describe(d, ep, k, manifests) for d, ep, k in candidates if ep.name == connector]
    if not matches:
        names = ", ".join(sorted({ep.name for _, ep, _ in candidates})) or "none"
        raise PluginNotFound(
            f"no {kind} named {connector!r} is installed (installed {kind}s: {names})",
            hint="check the spelling, or install the plugin with `dativo-pkg install`",
        )
    if len(matches) > 1:
        dists = ", ".join(p.distribution for p in matches)
        raise CompatibilityError(
            f"{kind} {connector!r} is provided by several distributions: {dists}",
            hint="uninstall all but one of them",
        )
    return matches[0]


def _entry_points(kind: Kind | None) -> Iterator[tuple[Distribution, EntryPoint, Kind]]:
    kinds: tuple[Kind, ...] = (kind,) if kind else ("reader", "writer")
    for dist in _distributions():
        for k in kinds:
            for ep in dist.entry_points.select(group=GROUPS[k]):
                yield dist, ep, k


def _extra_paths() -> list[str]:
    raw = os.environ.get(PLUGIN_PATH_ENV, "")
    return [p for p in raw.split(os.pathsep) if p]


def _extend_sys_path() -> None:
    for path in _extra_paths():
        if path not in sys.path:
            sys.path.append(path)


def _distributions() -> Iterator[Distribution]:
    seen: set[str] = set()
    for dist in distributions(path=[*_extra_paths(), *sys.path]):
        name = canonicalize_name(dist.metadata["Name"] or "")
        if name and name not in seen:
            seen.add(name)
            yield dist


def _describe(
    dist: Distribution, ep: EntryPoint, kind: Kind, manifests: dict[Path, Manifest]
) -> InstalledPlugin:
    """``manifests`` caches parsed manifests by directory: a distribution has one for all."""
    manifest_dir = _manifest_dir(dist, ep)
    spec = None
    if manifest_dir is not None:
        if manifest_dir not in manifests:
            manifests[manifest_dir] = load_manifest(manifest_dir / MANIFEST_FILENAME)
        spec = manifests[manifest_dir].find(kind, ep.name)
    return InstalledPlugin(
        kind=kind,
        connector=ep.name,
        distribution=dist.metadata["Name"],
        version=dist.version,
        entry_point=ep,
        spec=spec,
        manifest_dir=manifest_dir,
    )


def _manifest_dir(dist: Distribution, ep: EntryPoint) -> Path | None:
    """The directory of the top-level package of ``ep`` if it holds a manifest."""
    top_level = ep.value.split(":")[0].split(".")[0]
    for file in dist.files or ():
        if file.name == MANIFEST_FILENAME and file.parts[0] == top_level:
            return Path(str(dist.locate_file(file))).parent
    _extend_sys_path()
    try:
        spec = importlib.util.find_spec(top_level)
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / MANIFEST_FILENAME).is_file():
            return Path(location)
    return None
