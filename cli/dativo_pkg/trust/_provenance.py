"""PEP 740 provenance documents: verified attestations grouped by publisher.

The registry serves one per file (the Integrity API); installers read it and
verify every attestation themselves. The publisher objects are information,
not proof: a keyless signer is read from the certificate, and a key is used
only when the reader trusts it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from dativo_pkg.errors import TrustError
from dativo_pkg.trust._errors import SignatureInvalid
from dativo_pkg.trust._identity import Publisher

__all__ = ["ProvenanceEntry", "build_provenance", "parse_provenance"]

_GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
_GITHUB_WORKFLOW = re.compile(r"https://github\.com/([^/]+/[^/]+)/\.github/workflows/([^@]+)")


@dataclass(frozen=True)
class ProvenanceEntry:
    """One attestation and the publisher it was verified against."""

    publisher: Publisher
    signature: dict[str, Any]


def build_provenance(entries: Sequence[ProvenanceEntry]) -> dict[str, Any]:
    bundles: dict[str, dict[str, Any]] = {}
    for entry in entries:
        publisher = _publisher_object(entry.publisher)
        key = json.dumps(publisher, sort_keys=True)
        bundles.setdefault(key, {"publisher": publisher, "attestations": []})
        bundles[key]["attestations"].append(entry.signature)
    return {"version": 1, "attestation_bundles": list(bundles.values())}


def _publisher_object(publisher: Publisher) -> dict[str, Any]:
    if publisher.kind == "key":
        return {
            "kind": "PublisherKey",
            "key_id": publisher.key_id,
            "public_key": publisher.public_key_pem,
        }
    found = _GITHUB_WORKFLOW.match(publisher.identity or "")
    if publisher.issuer == _GITHUB_ISSUER and found:
        return {
            "kind": "GitHub",
            "repository": found.group(1),
            "workflow": found.group(2),
            "issuer": publisher.issuer,
            "identity": publisher.identity,
        }
    return {"kind": "Sigstore", "issuer": publisher.issuer, "identity": publisher.identity}


class _Bundle(BaseModel):
    model_config = ConfigDict(extra="forbid")
    publisher: dict[str, Any]
    attestations: list[dict[str, Any]]


class _Provenance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    attestation_bundles: list[_Bundle]


def parse_provenance(document: bytes | Mapping[str, Any]) -> list[ProvenanceEntry]:
    try:
        if isinstance(document, bytes):
            model = _Provenance.model_validate_json(document)
        else:
            model = _Provenance.model_validate(document)
    except ValidationError as exc:
        raise SignatureInvalid(f"the provenance document is malformed: {exc}") from exc
    if model.version != 1:
        raise SignatureInvalid(f"unsupported provenance version {model.version} (expected 1)")
    return [
        ProvenanceEntry(publisher=_publisher(bundle.publisher), signature=signature)
        for bundle in model.attestation_bundles
        for signature in bundle.attestations
    ]


def _publisher(raw: Mapping[str, Any]) -> Publisher:
    try:
        if raw.get("kind") == "PublisherKey":
            return Publisher.from_public_key(str(raw["public_key"]))
        if raw.get("kind") == "GitHub" and "identity" not in raw:  # as PyPI serves it
            workflow = f"https://github.com/{raw['repository']}/.github/workflows/{raw['workflow']}"
            return Publisher.oidc(_GITHUB_ISSUER, workflow)
        return Publisher.oidc(str(raw["issuer"]), str(raw["identity"]))
    except (KeyError, TrustError) as exc:
        raise SignatureInvalid(
            f"the provenance document names a malformed publisher: {exc}"
        ) from exc
