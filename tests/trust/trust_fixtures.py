"""The real Sigstore fixtures (../shared/fixtures/sigstore) and who signed them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
