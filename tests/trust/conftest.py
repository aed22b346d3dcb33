"""Shared material for the trust tests: the real Sigstore fixtures and one verifier set."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dativo_pkg.trust import TrustRoots

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "sigstore"
PROD_SDIST = FIXTURES / "pypi_attestations-0.0.19.tar.gz"
PROD_IDENTITY = (
    "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml"
    "@refs/tags/v0.0.19"
)
PROD_ISSUER = "https://token.actions.githubusercontent.com"
STAGING_WHEEL = FIXTURES / "rfc8785-0.1.2-py3-none-any.whl"
STAGING_IDENTITY = "william@yossarian.net"
STAGING_ISSUER = "https://github.com/login/oauth"


def attestation(dist: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (dist.parent / f"{dist.name}.publish.attestation").read_text()
    )
    return loaded


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
