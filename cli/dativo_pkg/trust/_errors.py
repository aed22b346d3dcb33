"""The trust layer's errors: every refusal says what was expected and what was found."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dativo_pkg.errors import DativoError, TrustError

if TYPE_CHECKING:
    from dativo_pkg.trust._identity import Publisher, SignerIdentity

__all__ = ["SignatureInvalid", "SignerMismatch", "SigningError", "SubjectMismatch"]


class SignatureInvalid(TrustError):
    """Malformed, cryptographically bad, or made by a Sigstore instance not trusted here."""


class SubjectMismatch(TrustError):
    """A valid signature over a statement about another file, digest or predicate type."""


class SignerMismatch(TrustError):
    """A valid signature, by someone who is not among the expected publishers."""

    def __init__(
        self,
        what: str,
        presented: SignerIdentity,
        expected: Sequence[Publisher],
        *,
        hint: str | None = None,
    ) -> None:
        wanted = "; or ".join(p.describe() for p in expected) or "nobody (no publisher)"
        super().__init__(
            f"{what} is signed by {presented}, but the expected signer is {wanted}",
            hint=hint,
        )
        self.presented = presented
        self.expected = tuple(expected)


class SigningError(DativoError):
    """Signing failed (bad identity token, unreachable instance, bad key); nothing was written."""

    exit_code = 2
