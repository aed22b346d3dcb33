"""Publisher keys: offline signing in the Sigstore bundle format, and its verification."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from sigstore_models.bundle.v1 import Bundle
from trust_fixtures import PROD_SDIST

from dativo_pkg.trust import (
    BENCHMARK_PREDICATE,
    KEY_ISSUER,
    PUBLISH_PREDICATE,
    PrivateKey,
    Publisher,
    SignatureInvalid,
    SignerMismatch,
    Subject,
    SubjectMismatch,
    TrustError,
    TrustRoots,
    generate_private_key,
    key_id,
    load_private_key,
    private_key_pem,
    public_key_pem,
    sign_with_key,
    statement_subject,
    verify_signature,
)

SUBJECT = Subject("dativo_hello-1.0-py3-none-any.whl", "ab" * 32)


@pytest.fixture(scope="module")
def key() -> PrivateKey:
    return generate_private_key()


@pytest.fixture(scope="module")
def publisher(key: PrivateKey) -> Publisher:
    return Publisher.from_public_key(public_key_pem(key))


@pytest.fixture
def bundle(key: PrivateKey) -> dict[str, Any]:
    return sign_with_key(key, SUBJECT, predicate_type=PUBLISH_PREDICATE)


def test_the_bundle_is_a_sigstore_bundle_naming_the_public_key(
    bundle: dict[str, Any], key: PrivateKey
) -> None:
    loaded = Bundle.from_dict(bundle)
    assert loaded.verification_material.public_key is not None
    assert loaded.verification_material.public_key.hint == key_id(key.public_key())
    assert loaded.dsse_envelope is not None
    statement = json.loads(loaded.dsse_envelope.payload)
    assert statement["subject"] == [{"name": SUBJECT.name, "digest": {"sha256": SUBJECT.sha256}}]
    assert statement["predicateType"] == PUBLISH_PREDICATE


def test_verifies_against_the_registered_key(
    production: TrustRoots, bundle: dict[str, Any], publisher: Publisher, key: PrivateKey
) -> None:
    verified = verify_signature(production, bundle, SUBJECT, publishers=[publisher])
    assert verified.kind == "key"
    assert verified.signer.issuer == KEY_ISSUER
    assert verified.signer.identity == key_id(key.public_key()) == publisher.key_id


def test_another_key_is_refused_naming_both(
    production: TrustRoots, bundle: dict[str, Any], publisher: Publisher
) -> None:
    other = Publisher.from_public_key(public_key_pem(generate_private_key()))
    with pytest.raises(SignerMismatch) as caught:
        verify_signature(production, bundle, SUBJECT, publishers=[other])
    assert str(publisher.key_id) in str(caught.value)
    assert str(other.key_id) in str(caught.value)


def test_no_trusted_key_means_it_cannot_be_verified(
    production: TrustRoots, bundle: dict[str, Any]
) -> None:
    with pytest.raises(SignatureInvalid, match="not trusted here"):
        verify_signature(production, bundle, SUBJECT)


def _tamper(bundle: dict[str, Any], change: str) -> dict[str, Any]:
    forged = copy.deepcopy(bundle)
    envelope = forged["dsseEnvelope"]
    if change == "payload":
        statement = json.loads(base64.b64decode(envelope["payload"]))
        statement["subject"][0]["digest"]["sha256"] = "cd" * 32
        envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    elif change == "signature":
        sig = bytearray(base64.b64decode(envelope["signatures"][0]["sig"]))
        sig[-1] ^= 1
        envelope["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    elif change == "payload-type":
        envelope["payloadType"] = "text/plain"
    elif change == "two-signatures":
        envelope["signatures"].append(envelope["signatures"][0])
    return forged


@pytest.mark.parametrize("change", ["payload", "signature", "payload-type", "two-signatures"])
def test_tampering_is_refused(
    production: TrustRoots, bundle: dict[str, Any], publisher: Publisher, change: str
) -> None:
    with pytest.raises(SignatureInvalid):
        verify_signature(production, _tamper(bundle, change), SUBJECT, publishers=[publisher])


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        (Subject(SUBJECT.name, "cd" * 32), "not the file that was signed"),
        (Subject("dativo_other-1.0-py3-none-any.whl", SUBJECT.sha256), "is for dativo_hello"),
    ],
)
def test_the_subject_must_match(
    production: TrustRoots,
    bundle: dict[str, Any],
    publisher: Publisher,
    subject: Subject,
    message: str,
) -> None:
    with pytest.raises(SubjectMismatch, match=message):
        verify_signature(production, bundle, subject, publishers=[publisher])


def test_statements_carry_their_predicate(
    production: TrustRoots, key: PrivateKey, publisher: Publisher
) -> None:
    report = {"rows_per_second": 1234.5, "suite": "reader"}
    bundle = sign_with_key(key, SUBJECT, predicate_type=BENCHMARK_PREDICATE, predicate=report)
    verified = verify_signature(
        production, bundle, SUBJECT, predicate_type=BENCHMARK_PREDICATE, publishers=[publisher]
    )
    assert verified.predicate == report
    with pytest.raises(SubjectMismatch, match="benchmark"):
        verify_signature(production, bundle, SUBJECT, publishers=[publisher])


def test_ed25519_keys_work_too(production: TrustRoots) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    bundle = sign_with_key(key, SUBJECT, predicate_type=PUBLISH_PREDICATE)
    publisher = Publisher.from_public_key(public_key_pem(key))
    assert verify_signature(production, bundle, SUBJECT, publishers=[publisher]).kind == "key"


def test_private_keys_are_encrypted_and_need_their_passphrase(key: PrivateKey) -> None:
    pem = private_key_pem(key, b"correct horse")
    assert b"ENCRYPTED" in pem
    loaded = load_private_key(pem, b"correct horse")
    assert key_id(loaded.public_key()) == key_id(key.public_key())
    with pytest.raises(TrustError, match="passphrase is wrong"):
        load_private_key(pem, b"wrong")
    with pytest.raises(TrustError, match="needs its passphrase"):
        load_private_key(pem, None)
    with pytest.raises(TrustError, match="passphrase"):
        private_key_pem(key, b"")


def _rsa_public_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        (b"not a key", "not a PEM public key"),
        (b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "not a PEM public key"),
        (_rsa_public_pem(), "ECDSA"),
    ],
    ids=["text", "truncated", "rsa"],
)
def test_bad_public_keys_are_refused(pem: bytes, message: str) -> None:
    with pytest.raises(TrustError, match=message):
        Publisher.from_public_key(pem)


def test_signing_refuses_a_non_distribution_name(key: PrivateKey) -> None:
    with pytest.raises(SubjectMismatch, match="not a wheel or sdist"):
        sign_with_key(key, Subject("../../etc/passwd", "ab" * 32), predicate_type=PUBLISH_PREDICATE)


def test_fixture_sdist_can_be_key_signed(production: TrustRoots, key: PrivateKey) -> None:
    subject = statement_subject(PROD_SDIST)
    bundle = sign_with_key(key, subject, predicate_type=PUBLISH_PREDICATE)
    publisher = Publisher.from_public_key(public_key_pem(key))
    assert verify_signature(production, bundle, subject, publishers=[publisher]).signer
