"""Signatures made with a publisher key, in the Sigstore bundle format (v0.3).

The bundle's verification material is the public key, named by its id in
``publicKey.hint``; its content is a DSSE envelope over an in-toto statement.
There is no certificate and no transparency-log entry: the verifier must
already hold the key (registered with the registry, or in the installer's
policy). Nothing here touches the network.

The model below validates the part of the bundle format a key signature
uses; it is tested to agree with sigstore-models' full one, whose import
alone would double the start-up time of ``dativo-pkg install``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Base64Bytes, BaseModel, ConfigDict, Field, ValidationError

from dativo_pkg.trust import _keys
from dativo_pkg.trust._errors import SignatureInvalid, SignerMismatch
from dativo_pkg.trust._identity import KEY_ISSUER, Publisher, SignerIdentity
from dativo_pkg.trust._statement import INTOTO_PAYLOAD_TYPE, Subject, statement_bytes

__all__ = ["BUNDLE_MEDIA_TYPE", "KeyBundle", "KeySigned", "sign_with_key", "verify_key_bundle"]

BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class _KeyHint(_Model):
    hint: str | None = None


class _Material(_Model):
    public_key: _KeyHint = Field(alias="publicKey")
    tlog_entries: list[dict[str, Any]] = Field(default=[], alias="tlogEntries")


class _Signature(_Model):
    sig: Base64Bytes
    keyid: str | None = None


class _Envelope(_Model):
    payload: Base64Bytes
    payload_type: str = Field(alias="payloadType")
    signatures: list[_Signature]


class KeyBundle(_Model):
    """A Sigstore bundle signed with a key: a key hint and a DSSE envelope."""

    media_type: Literal[
        "application/vnd.dev.sigstore.bundle.v0.3+json",
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
    ] = Field(alias="mediaType")
    verification_material: _Material = Field(alias="verificationMaterial")
    dsse_envelope: _Envelope = Field(alias="dsseEnvelope")


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what the signature actually covers."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def sign_with_key(
    key: _keys.PrivateKey,
    subject: Subject,
    *,
    predicate_type: str,
    predicate: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Sigstore bundle (a JSON-ready dict) signing a statement about ``subject``."""
    payload = statement_bytes(subject, predicate_type, predicate)
    signature = _keys.sign(key, pae(INTOTO_PAYLOAD_TYPE, payload))
    hint = _keys.key_id(key.public_key())
    document = {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {"publicKey": {"hint": hint}, "tlogEntries": []},
        "dsseEnvelope": {
            "payload": base64.b64encode(payload).decode(),
            "payloadType": INTOTO_PAYLOAD_TYPE,
            "signatures": [{"sig": base64.b64encode(signature).decode(), "keyid": hint}],
        },
    }
    KeyBundle.model_validate(document)  # what we write must load
    return document


@dataclass(frozen=True)
class KeySigned:
    """A key bundle whose signature verified: who signed, and the signed payload."""

    signer: SignerIdentity
    publisher: Publisher
    payload: bytes


def verify_key_bundle(
    document: Mapping[str, Any], publishers: Sequence[Publisher], what: str
) -> KeySigned:
    """Check the bundle's signature against the key publishers among ``publishers``."""
    try:
        bundle = KeyBundle.model_validate(document)
    except ValidationError as exc:
        raise SignatureInvalid(f"{what}: the Sigstore bundle is malformed: {exc}") from exc
    envelope = bundle.dsse_envelope
    material = bundle.verification_material.public_key
    if envelope.payload_type != INTOTO_PAYLOAD_TYPE or len(envelope.signatures) != 1:
        raise SignatureInvalid(
            f"{what}: expected one signature over an in-toto statement, got "
            f"{len(envelope.signatures)} over {envelope.payload_type!r}"
        )
    hint = material.hint or ""
    keys = [p for p in publishers if p.kind == "key"]
    if not keys:
        raise SignatureInvalid(
            f"{what} is signed with publisher key {hint or '(no key id)'}, "
            "which is not trusted here",
            hint="register the public key: `dativo-registry publisher add --key PUB.pem` on a "
            "registry, or list it in the installer's policy file",
        )
    candidates = [p for p in keys if p.key_id == hint] or ([] if hint else keys)
    if not candidates:
        raise SignerMismatch(what, SignerIdentity(KEY_ISSUER, hint), keys)
    signed = pae(envelope.payload_type, envelope.payload)
    for publisher in candidates:
        assert publisher.public_key_pem is not None
        key = _keys.load_public_key(publisher.public_key_pem.encode())
        if _keys.verify(key, envelope.signatures[0].sig, signed):
            signer = SignerIdentity(KEY_ISSUER, _keys.key_id(key))
            return KeySigned(signer=signer, publisher=publisher, payload=envelope.payload)
    raise SignatureInvalid(
        f"{what}: the signature does not verify with publisher key {hint or '(no key id)'}",
        hint="the statement or signature was changed after signing; sign again",
    )
