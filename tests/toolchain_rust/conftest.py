"""Fixtures for the rust-reader template: rendered, built once, installed privately.

Cargo runs as toolchain_rust_support says: one shared CARGO_TARGET_DIR under
build/cargo-target (gitignored), at most 2 jobs. Without cargo the tests are
skipped, except on CI, where they fail.
"""

from __future__ import annotations

import os
import shutil

import pytest
from toolchain_rust_support import BuiltRust, RustProject, build, install_wheel, render


@pytest.fixture(scope="session")
def rust_toolchain() -> None:
    """Skip (fail on CI) when cargo is missing: these tests compile Rust."""
    for tool in ("cargo", "rustc"):
        if shutil.which(tool) is None:
            if os.environ.get("CI"):
                pytest.fail(f"{tool} is not on PATH: CI must run the rust-reader tests")
            pytest.skip(f"{tool} is not on PATH (install Rust: https://rustup.rs)")


@pytest.fixture(scope="session")
def rust_project(rust_toolchain: None, tmp_path_factory: pytest.TempPathFactory) -> RustProject:
    """The rust-reader template rendered with --no-input (session scoped; do not modify)."""
    return render(tmp_path_factory.mktemp("rust-rendered"))


@pytest.fixture(scope="session")
def rust_built(rust_project: RustProject, tmp_path_factory: pytest.TempPathFactory) -> BuiltRust:
    """The rendered project built by `dativo-pkg build`, its wheel installed in a private site."""
    wheel, sdist = build(rust_project.path, tmp_path_factory.mktemp("rust-dist"))
    site = tmp_path_factory.mktemp("rust-site")
    install_wheel(wheel, site)
    return BuiltRust(project=rust_project, wheel=wheel, sdist=sdist, site=site)
