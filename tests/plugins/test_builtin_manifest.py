"""The committed manifest of the built-in plugins matches their classes."""

from __future__ import annotations

from dativo_pkg.discovery import installed_plugins
from dativo_pkg.manifest import load_manifest
from dativo_pkg.plugins._manifest import MANIFEST_PATH, builtin_manifest, render


def test_the_committed_manifest_is_current() -> None:
    assert MANIFEST_PATH.read_text(encoding="utf-8") == render(), (
        "regenerate it: python -m dativo_pkg.plugins._manifest"
    )


def test_every_builtin_entry_point_has_a_manifest_entry() -> None:
    manifest = load_manifest(MANIFEST_PATH)
    builtins = [p for p in installed_plugins() if p.distribution == "dativo-pkg"]
    assert {(p.kind, p.connector) for p in builtins} == {
        (s.kind, s.connector) for s in manifest.plugins
    }
    assert all(p.spec is not None and p.spec.api == ">=1,<2" for p in builtins)
    assert builtin_manifest() == manifest
