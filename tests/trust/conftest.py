"""Shared material for the trust tests: the real Sigstore fixtures and one verifier set."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from dativo_pkg.trust import TrustRoots


@pytest.fixture(scope="session")
def production() -> TrustRoots:
    return TrustRoots.load(["production"])


@pytest.fixture(scope="session")
def staging() -> TrustRoots:
    return TrustRoots.load(["staging"])


@pytest.fixture
def copy_fixture(tmp_path: Path) -> Callable[[Path], Path]:
    """Copy a fixture distribution (and its attestation) into tmp_path before changing it."""

    def copy(dist: Path) -> Path:
        shutil.copy(dist, tmp_path / dist.name)
        shutil.copy(dist.parent / f"{dist.name}.publish.attestation", tmp_path)
        return tmp_path / dist.name

    return copy
