"""One entry point for every signature: keyless (PEP 740 / certificate bundle) or key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from dativo_pkg.trust._errors import SignatureInvalid, SignerMismatch
from dativo_pkg.trust._identity import Publisher, SignerIdentity
from dativo_pkg.trust._keybundle import verify_key_bundle
from dativo_pkg.trust._roots import TrustRoots
from dativo_pkg.trust._statement import PUBLISH_PREDICATE, Subject, check_statement

__all__ = ["Verified", "is_key_bundle", "verify_signature"]


@dataclass(frozen=True)
class Verified:
    """A signature that verified: by whom, and what it claims about the subject."""

    signer: SignerIdentity
    predicate_type: str
    predicate: dict[str, Any] | None
    kind: Literal["keyless", "key"]


def is_key_bundle(document: Mapping[str, Any]) -> bool:
    """Whether ``document`` is a Sigstore bundle whose verification material is a public key."""
    material = document.get("verificationMaterial")
    return isinstance(material, Mapping) and "publicKey" in material


def verify_signature(
    roots: TrustRoots,
    signature: Mapping[str, Any],
    subject: Subject,
    *,
    predicate_type: str = PUBLISH_PREDICATE,
    publishers: Sequence[Publisher] = (),
) -> Verified:
    """Verify ``signature`` offline as a claim of ``predicate_type`` about ``subject``.

    With ``publishers``, the signer must be one of them; without, any keyless
    signer is accepted (the caller applies its own policy) and a key
    signature cannot be checked.
    """
    if not isinstance(signature, Mapping):
        raise SignatureInvalid(f"the signature for {subject.name} is not a JSON object")
    what = subject.name
    if is_key_bundle(signature):
        signed = verify_key_bundle(signature, publishers, what)
        predicate = check_statement(signed.payload, subject, predicate_type)
        return Verified(signed.signer, predicate_type, predicate, "key")
    keyless = roots.verify(signature, what)
    predicate = check_statement(keyless.payload, subject, predicate_type)
    if publishers and not any(p.matches(keyless.signer) for p in publishers):
        raise SignerMismatch(what, keyless.signer, publishers)
    return Verified(keyless.signer, predicate_type, predicate, "keyless")
