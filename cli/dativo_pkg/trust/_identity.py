"""Who signed (``SignerIdentity``) and who is expected to sign (``Publisher``).

A keyless signer is the identity Fulcio put in the certificate's SAN plus the
OIDC issuer that vouched for it. A key signer is the key's id,
``sha256:<hex of the DER SubjectPublicKeyInfo>``, under the pseudo-issuer
``publisher-key``: one shape for both, so lockfiles and messages need no
special case.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from dativo_pkg.errors import TrustError
from dativo_pkg.trust import _keys

__all__ = ["KEY_ISSUER", "Publisher", "SignerIdentity"]

#: The issuer of a key signer (its identity is the key id).
KEY_ISSUER = "publisher-key"


@dataclass(frozen=True)
class SignerIdentity:
    """Who made a valid signature."""

    issuer: str
    identity: str

    def __str__(self) -> str:
        if self.issuer == KEY_ISSUER:
            return f"publisher key {self.identity}"
        return f"{self.identity} (issuer {self.issuer})"


@dataclass(frozen=True)
class Publisher:
    """An expected signer: an OIDC identity at an issuer, or a public key."""

    kind: Literal["oidc", "key"]
    issuer: str | None = None
    #: The certificate SAN, exactly; or, without an ``@ref`` part, any ref of it.
    identity: str | None = None
    public_key_pem: str | None = None

    @classmethod
    def oidc(cls, issuer: str, identity: str) -> Publisher:
        if not issuer.strip() or not identity.strip():
            raise TrustError("a publisher needs both an OIDC issuer URL and an identity (SAN)")
        return cls(kind="oidc", issuer=issuer.strip(), identity=identity.strip())

    @classmethod
    def from_public_key(cls, pem: bytes | str) -> Publisher:
        raw = pem.encode() if isinstance(pem, str) else pem
        key = _keys.load_public_key(raw)
        return cls(kind="key", public_key_pem=_keys.public_pem(key))

    @functools.cached_property
    def key_id(self) -> str | None:
        """Computed once per publisher: every key verification compares it."""
        if self.public_key_pem is None:
            return None
        return _keys.key_id(_keys.load_public_key(self.public_key_pem.encode()))

    def matches(self, signer: SignerIdentity) -> bool:
        if self.kind == "key":
            return signer.issuer == KEY_ISSUER and signer.identity == self.key_id
        if signer.issuer != self.issuer or self.identity is None:
            return False
        if signer.identity == self.identity:
            return True
        # A workflow identity given without its ref accepts every ref of that workflow.
        return "@" not in self.identity and signer.identity.startswith(self.identity + "@")

    def describe(self) -> str:
        if self.kind == "key":
            return f"publisher key {self.key_id}"
        return f"{self.identity} (issuer {self.issuer})"
