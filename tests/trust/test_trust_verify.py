"""Keyless verification against the real Sigstore fixtures, fully offline."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sigstore.models import ClientTrustConfig
from trust_fixtures import (
    PROD_IDENTITY,
    PROD_ISSUER,
    PROD_SDIST,
    STAGING_IDENTITY,
    STAGING_ISSUER,
    STAGING_WHEEL,
    attestation,
)

from dativo_pkg.trust import (
    CONFORMANCE_PREDICATE,
    ProvenanceEntry,
    Publisher,
    SignatureInvalid,
    SignerMismatch,
    Subject,
    SubjectMismatch,
    TrustError,
    TrustRoots,
    build_provenance,
    parse_provenance,
    statement_subject,
    verify_signature,
)

WORKFLOW = PROD_IDENTITY.split("@")[0]


@pytest.mark.parametrize(
    "publisher",
    [
        Publisher.oidc(PROD_ISSUER, PROD_IDENTITY),
        Publisher.oidc(PROD_ISSUER, WORKFLOW),  # any ref of the workflow
    ],
    ids=["exact-san", "workflow-without-ref"],
)
def test_production_attestation_verifies_against_its_publisher(
    production: TrustRoots, publisher: Publisher
) -> None:
    verified = verify_signature(
        production, attestation(PROD_SDIST), statement_subject(PROD_SDIST), publishers=[publisher]
    )
    assert verified.signer.identity == PROD_IDENTITY
    assert verified.signer.issuer == PROD_ISSUER
    assert verified.kind == "keyless"


@pytest.mark.parametrize(
    "publisher",
    [
        Publisher.oidc(PROD_ISSUER, "https://github.com/evil/fork/.github/workflows/release.yml"),
        Publisher.oidc("https://accounts.google.com", PROD_IDENTITY),  # same SAN, other issuer
        Publisher.oidc(PROD_ISSUER, WORKFLOW.removesuffix(".yml")),  # a prefix is not a workflow
        Publisher.oidc(STAGING_ISSUER, STAGING_IDENTITY),
    ],
    ids=["other-repo", "other-issuer", "partial-prefix", "someone-else"],
)
def test_other_publishers_are_refused_naming_both_identities(
    production: TrustRoots, publisher: Publisher
) -> None:
    with pytest.raises(SignerMismatch) as caught:
        verify_signature(
            production,
            attestation(PROD_SDIST),
            statement_subject(PROD_SDIST),
            publishers=[publisher],
        )
    assert PROD_IDENTITY in str(caught.value)
    assert str(publisher.identity) in str(caught.value)


def test_without_publishers_any_keyless_signer_is_reported(production: TrustRoots) -> None:
    verified = verify_signature(production, attestation(PROD_SDIST), statement_subject(PROD_SDIST))
    assert verified.signer.identity == PROD_IDENTITY


def test_staging_attestation_needs_the_staging_roots(
    production: TrustRoots, staging: TrustRoots
) -> None:
    subject = statement_subject(STAGING_WHEEL)
    with pytest.raises(SignatureInvalid, match="staging"):
        verify_signature(production, attestation(STAGING_WHEEL), subject)
    verified = verify_signature(staging, attestation(STAGING_WHEEL), subject)
    assert (verified.signer.identity, verified.signer.issuer) == (STAGING_IDENTITY, STAGING_ISSUER)
    with pytest.raises(SignatureInvalid):  # and the reverse
        verify_signature(staging, attestation(PROD_SDIST), statement_subject(PROD_SDIST))


def test_a_trust_config_file_trusts_a_private_instance(tmp_path: Path) -> None:
    config = tmp_path / "trust_config.json"
    config.write_text(ClientTrustConfig.staging(offline=True)._inner.to_json())
    roots = TrustRoots.load([], [config])
    verified = verify_signature(roots, attestation(STAGING_WHEEL), statement_subject(STAGING_WHEEL))
    assert verified.signer.identity == STAGING_IDENTITY


@pytest.mark.parametrize(
    ("instances", "content", "message"),
    [
        (["prod"], None, "unknown Sigstore instance"),
        ([], "{not json", "not a JSON"),
        ([], '{"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"}', "not a"),
    ],
)
def test_bad_trust_roots_are_refused_clearly(
    tmp_path: Path, instances: list[str], content: str | None, message: str
) -> None:
    configs = []
    if content is not None:
        configs.append(tmp_path / "config.json")
        configs[0].write_text(content)
    with pytest.raises(TrustError, match=message):
        TrustRoots.load(instances, configs).preload()  # names and files are read by load


def test_one_changed_byte_is_refused(
    production: TrustRoots, copy_fixture: Callable[[Path], Path]
) -> None:
    dist = copy_fixture(PROD_SDIST)
    data = bytearray(dist.read_bytes())
    data[len(data) // 2] ^= 0x01
    dist.write_bytes(bytes(data))
    with pytest.raises(SubjectMismatch, match="not the file that was signed"):
        verify_signature(production, attestation(dist), statement_subject(dist))


def test_an_attestation_for_another_file_is_refused(production: TrustRoots) -> None:
    wrong = Subject(STAGING_WHEEL.name, statement_subject(PROD_SDIST).sha256)
    with pytest.raises(SubjectMismatch, match=re.escape("is for pypi_attestations-0.0.19.tar.gz")):
        verify_signature(production, attestation(PROD_SDIST), wrong)


def test_a_tampered_statement_breaks_the_signature(production: TrustRoots) -> None:
    forged = attestation(PROD_SDIST)
    statement = json.loads(base64.b64decode(forged["envelope"]["statement"]))
    statement["subject"][0]["digest"]["sha256"] = "0" * 64
    forged["envelope"]["statement"] = base64.b64encode(json.dumps(statement).encode()).decode()
    with pytest.raises(SignatureInvalid):
        verify_signature(production, forged, Subject(PROD_SDIST.name, "0" * 64))


@pytest.mark.parametrize(
    "document",
    [{}, {"version": 1}, {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}, []],
    ids=["empty", "no-material", "bare-bundle", "not-an-object"],
)
def test_malformed_attestations_are_refused(production: TrustRoots, document: object) -> None:
    with pytest.raises(SignatureInvalid):
        verify_signature(production, document, statement_subject(PROD_SDIST))  # type: ignore[arg-type]


def test_a_publish_attestation_is_not_a_conformance_statement(production: TrustRoots) -> None:
    with pytest.raises(SubjectMismatch, match="conformance"):
        verify_signature(
            production,
            attestation(PROD_SDIST),
            statement_subject(PROD_SDIST),
            predicate_type=CONFORMANCE_PREDICATE,
        )


def test_provenance_round_trips_and_still_verifies(production: TrustRoots) -> None:
    publisher = Publisher.oidc(PROD_ISSUER, WORKFLOW)
    document = build_provenance([ProvenanceEntry(publisher, attestation(PROD_SDIST))])
    bundle = document["attestation_bundles"][0]
    assert bundle["publisher"]["kind"] == "GitHub"
    assert bundle["publisher"]["repository"] == "trailofbits/pypi-attestations"
    (entry,) = parse_provenance(json.dumps(document).encode())
    assert entry.publisher == publisher
    verify_signature(
        production, entry.signature, statement_subject(PROD_SDIST), publishers=[entry.publisher]
    )


def test_pypi_style_github_publisher_is_read() -> None:
    document = {
        "version": 1,
        "attestation_bundles": [
            {
                "publisher": {
                    "kind": "GitHub",
                    "repository": "trailofbits/pypi-attestations",
                    "workflow": "release.yml",
                },
                "attestations": [attestation(PROD_SDIST)],
            }
        ],
    }
    (entry,) = parse_provenance(document)
    assert entry.publisher == Publisher.oidc(PROD_ISSUER, WORKFLOW)


@pytest.mark.parametrize(
    "document",
    [b"{", {"version": 2, "attestation_bundles": []}, {"attestation_bundles": [{}]}],
)
def test_malformed_provenance_is_refused(document: bytes | dict[str, object]) -> None:
    with pytest.raises(SignatureInvalid, match="provenance"):
        parse_provenance(document)
