"""The Rust build backend: registered, its tools named with install hints, failures clear
and leaving nothing behind."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from toolchain_rust_support import RustProject, copy_project, dativo_pkg, patch_file

from dativo_pkg.build import BACKENDS, BuildLog
from dativo_pkg.build._rust import JOBS_ENV, RustBackend, maturin_command


def test_registered_for_rust_with_cargo_and_maturin() -> None:
    assert BACKENDS["rust"] is RustBackend
    names = [Path(tool.name).name for tool in RustBackend.tools]
    assert names == ["cargo", "maturin"]
    assert all(tool.install_hint for tool in RustBackend.tools)
    assert "rustup" in RustBackend.tools[0].install_hint


def test_environment_keeps_target_dir_absolute_and_caps_jobs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CARGO_TARGET_DIR", "relative-target")
    monkeypatch.setenv(JOBS_ENV, "1")
    env = RustBackend._env()
    assert env["CARGO_TARGET_DIR"] == str(tmp_path / "relative-target")
    assert env["CARGO_BUILD_JOBS"] == "1"
    monkeypatch.delenv("CARGO_TARGET_DIR")
    monkeypatch.delenv(JOBS_ENV)
    assert RustBackend._env() == {}


def test_missing_cargo_is_named_with_how_to_install(
    rust_project: RustProject, tmp_path: Path
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    out = tmp_path / "dist"
    proc = dativo_pkg("build", rust_project.path, "--out-dir", out, env={"PATH": str(empty)})
    assert proc.returncode == 2, proc.stderr
    assert "cargo" in proc.stderr and "rustup" in proc.stderr
    assert not out.exists()


def test_compile_error_is_reported_and_leaves_nothing(
    rust_project: RustProject, tmp_path: Path
) -> None:
    broken = copy_project(rust_project, tmp_path / "src")
    patch_file(
        broken.core_crate / "src" / "lib.rs",
        "mod discover;",
        'mod discover;\nfn broken_on_purpose() -> u32 { "not a number" }',
    )
    out = tmp_path / "dist"
    proc = dativo_pkg("build", broken.path, "--out-dir", out)
    assert proc.returncode == 2, proc.stderr
    assert "build command failed" in proc.stderr
    assert "mismatched types" in proc.stderr  # the compiler's own words, from the log tail
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".dist")]


def test_maturin_is_found_beside_the_interpreter_without_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """maturin is a dependency of dativo-pkg: an unactivated virtualenv still finds it."""
    monkeypatch.setenv("PATH", str(tmp_path))
    maturin = maturin_command()
    assert Path(maturin) == Path(sys.executable).parent / "maturin"
    assert os.access(maturin, os.X_OK)
    assert "maturin" in BuildLog().run([maturin, "--version"], cwd=tmp_path)
