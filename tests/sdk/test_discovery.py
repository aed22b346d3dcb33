"""Discovery of installed plugins through entry points, and what goes wrong there."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dativo_pkg.discovery import find_plugin, installed_plugins
from dativo_pkg.errors import CompatibilityError, PluginCrashed, PluginNotFound


def install(site: Path, dist: str, module: str, source: str, entry_points: str) -> None:
    """Lay out a distribution as pip installs it: module plus dist-info."""
    (site / f"{module}.py").write_text(source)
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATIVO_PLUGIN_PATH", str(tmp_path))
    monkeypatch.setattr(sys, "path", list(sys.path))  # loading a plugin extends sys.path
    return tmp_path


def test_plugins_on_the_plugin_path_are_found(site: Path) -> None:
    install(site, "dativo-x", "dx_ok", "X = 1\n", "[dativo.readers]\nxr = dx_ok:X\n")
    found = {(p.kind, p.connector): p for p in installed_plugins()}
    assert found[("reader", "xr")].distribution == "dativo-x"
    assert found[("reader", "csv")].distribution == "dativo-pkg"
    assert all(p.kind == "writer" for p in installed_plugins("writer"))


def test_a_plugin_that_fails_to_import_is_a_clear_error(site: Path) -> None:
    install(
        site,
        "dativo-y",
        "dy_broken",
        "import not_a_module\n",
        "[dativo.readers]\nyr = dy_broken:R\n",
    )
    with pytest.raises(PluginCrashed, match="failed to import: ModuleNotFoundError"):
        find_plugin("reader", "yr").create({})


def test_an_entry_point_that_is_not_a_plugin_class_is_refused(site: Path) -> None:
    install(site, "dativo-z", "dz_wrong", "R = 42\n", "[dativo.readers]\nzr = dz_wrong:R\n")
    with pytest.raises(CompatibilityError, match="is not a dativo reader class"):
        find_plugin("reader", "zr").create({})


def test_two_distributions_with_one_connector_name_are_ambiguous(site: Path) -> None:
    install(site, "dativo-a", "da_m", "R = 1\n", "[dativo.writers]\ndup = da_m:R\n")
    install(site, "dativo-b", "db_m", "R = 1\n", "[dativo.writers]\ndup = db_m:R\n")
    with pytest.raises(CompatibilityError, match="several distributions: dativo-a, dativo-b"):
        find_plugin("writer", "dup")


def test_an_unknown_name_lists_what_is_installed(site: Path) -> None:
    with pytest.raises(PluginNotFound, match=r"installed writers: csv, parquet, postgres\)"):
        find_plugin("writer", "s3")
