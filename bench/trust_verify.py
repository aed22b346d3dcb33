"""Offline verification of 100 attestations through one verifier, against pypi-attestations.

    python bench/trust_verify.py [--count 100]

Three ways to verify ``--count`` distributions, all offline, in one run:

- ``dativo keyless``: the real PEP 740 attestations of the fixtures
  (production and staging Sigstore), through one ``TrustRoots`` built once;
- ``pypi-attestations``: the same attestations through
  ``Attestation.verify(..., offline=True)``, the peer, which builds its
  verifier on every call;
- ``dativo key``: ``--count`` distinct distributions signed with a publisher
  key (Sigstore bundle format).

Prints milliseconds per distribution and ratios; the building of the roots is
reported on its own line.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pypi_attestations import Attestation, Distribution
from rich.console import Console
from rich.table import Table
from sigstore.verify.policy import Identity

from dativo_pkg.trust import (
    PUBLISH_PREDICATE,
    Publisher,
    Subject,
    TrustRoots,
    generate_private_key,
    public_key_pem,
    sign_with_key,
    statement_subject,
    verify_signature,
)

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "sigstore"
CASES = [
    # (file, instance, issuer, identity)
    (
        "pypi_attestations-0.0.19.tar.gz",
        "production",
        "https://token.actions.githubusercontent.com",
        "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml"
        "@refs/tags/v0.0.19",
    ),
    (
        "rfc8785-0.1.2-py3-none-any.whl",
        "staging",
        "https://github.com/login/oauth",
        "william@yossarian.net",
    ),
]


def _timed(count: int, verify_one: Callable[[int], object]) -> float:
    verify_one(0)  # warm: imports and first-call caches are not what is measured
    started = time.perf_counter()
    for i in range(count):
        verify_one(i)
    return (time.perf_counter() - started) / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    console = Console()

    started = time.perf_counter()
    roots = TrustRoots.load(["production", "staging"])
    roots_ms = (time.perf_counter() - started) * 1000

    fixtures: list[
        tuple[Subject, dict[str, Any], Publisher, Attestation, Distribution, str, str]
    ] = []
    for filename, instance, issuer, identity in CASES:
        dist = FIXTURES / filename
        raw = json.loads((FIXTURES / f"{filename}.publish.attestation").read_text())
        fixtures.append(
            (
                statement_subject(dist),
                raw,
                Publisher.oidc(issuer, identity),
                Attestation.model_validate(raw),
                Distribution.from_file(dist),
                instance,
                identity,
            )
        )

    def dativo_keyless(i: int) -> object:
        subject, raw, publisher, *_ = fixtures[i % len(fixtures)]
        return verify_signature(roots, raw, subject, publishers=[publisher])

    def pypi_attestations(i: int) -> object:
        _, _, publisher, attestation, dist, instance, identity = fixtures[i % len(fixtures)]
        policy = Identity(identity=identity, issuer=publisher.issuer)
        return attestation.verify(policy, dist, staging=instance == "staging", offline=True)

    key = generate_private_key()
    key_publisher = Publisher.from_public_key(public_key_pem(key))
    signed = [
        (subject, sign_with_key(key, subject, predicate_type=PUBLISH_PREDICATE))
        for subject in (
            Subject(f"dativo_bench_{i}-1.0-py3-none-any.whl", f"{i:064x}")
            for i in range(args.count)
        )
    ]

    def dativo_key(i: int) -> object:
        subject, bundle = signed[i]
        return verify_signature(roots, bundle, subject, publishers=[key_publisher])

    results = {
        "dativo keyless (one TrustRoots)": _timed(args.count, dativo_keyless),
        "pypi-attestations Attestation.verify": _timed(args.count, pypi_attestations),
        "dativo key (publisher key)": _timed(args.count, dativo_key),
    }
    peer = results["pypi-attestations Attestation.verify"]
    table = Table(title=f"offline verification of {args.count} distributions")
    for column in ("how", "ms / distribution", "vs pypi-attestations"):
        table.add_column(column, justify="left" if column == "how" else "right")
    for name, ms in results.items():
        table.add_row(name, f"{ms:.2f}", f"{ms / peer:.3f}x")
    console.print(table)
    console.print(f"building the trust roots once (production + staging): {roots_ms:.0f} ms")


if __name__ == "__main__":
    main()
