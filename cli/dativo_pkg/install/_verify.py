"""Verify a downloaded distribution's provenance, and decide whether its signer is trusted.

Each attestation in the index's PEP 740 provenance is verified offline
against the file *as downloaded* (its filename and the sha256 computed
locally). Keyless signatures are checked against the trusted Sigstore roots;
key signatures against the key the provenance presents, which is only
trusted through its key id below. Who may sign a distribution:

1. the policy file's publishers for it, when the policy names it (a change
   between signers the policy allows needs no confirmation);
2. else the signer the lockfile recorded for it (trust on first use), unless
   the user accepts a new signer with ``--accept-new-signer NAME``; a
   distribution recorded as signed that arrives unsigned is such a change;
3. else, on first install, whoever validly signed it (then recorded).

With ``--locked`` the recorded signer is required, whatever the flags.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NoReturn

from packaging.utils import NormalizedName

from dativo_pkg.install._errors import LockMismatch, SignerChanged, UnsignedPlugin
from dativo_pkg.install._index import Fetcher, IndexFile
from dativo_pkg.install._wheel import LocalWheel
from dativo_pkg.install.lockfile import Lockfile
from dativo_pkg.install.policy import TrustPolicy
from dativo_pkg.trust import (
    ProvenanceEntry,
    Publisher,
    SignatureInvalid,
    SignerIdentity,
    SignerMismatch,
    Subject,
    TrustError,
    TrustRoots,
    is_key_bundle,
    parse_provenance,
    verify_signature,
)

__all__ = ["TrustContext", "verify_distribution"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrustContext:
    """Everything that decides whether a signer is accepted."""

    roots: TrustRoots
    policy: TrustPolicy
    lock: Lockfile
    allow_unsigned: bool = False
    accept_new_signer: frozenset[NormalizedName] = field(default_factory=frozenset)
    locked: bool = False


def verify_distribution(
    context: TrustContext, fetcher: Fetcher, file: IndexFile, wheel: LocalWheel
) -> SignerIdentity | None:
    """The accepted signer of ``wheel``; None only when unsigned and that is allowed."""
    what = f"{wheel.name} {wheel.version} ({wheel.filename})"
    locked = context.lock.get(wheel.name)
    recorded = locked.signer if locked is not None else None
    document = fetcher.provenance(file.provenance_url) if file.provenance_url else None
    if document is None:
        _refuse_unsigned(context, wheel.name, what, recorded)
        return None
    subject = Subject(wheel.filename, wheel.sha256)
    allowed = context.policy.publishers_for(wheel.name)
    entries = parse_provenance(document)
    signers = _valid_signers(context.roots, entries, subject, what, allowed or ())
    if allowed is not None:
        permitted = [s for s in signers if any(p.matches(s) for p in allowed)]
        if not permitted:
            _refuse_policy(context, wheel.name, what, signers[0], allowed)
        signers = permitted
    if recorded is None:
        log.info("trusting %s on first use: signed by %s", what, signers[0])
        return signers[0]
    if recorded in signers:
        return recorded
    if allowed is not None and not context.locked:
        log.warning("%s: new signer %s allowed by the policy (was %s)", what, signers[0], recorded)
        return signers[0]
    _accept_signer_change(context, wheel.name, what, recorded, str(signers[0]))
    return signers[0]


def _refuse_policy(
    context: TrustContext,
    name: NormalizedName,
    what: str,
    presented: SignerIdentity,
    allowed: Sequence[Publisher],
) -> NoReturn:
    raise SignerMismatch(
        what,
        presented,
        allowed,
        hint=f"the trust policy {context.policy.source} decides who may sign {name}; "
        "edit it if this signer is legitimate; nothing was installed",
    )


def _refuse_unsigned(
    context: TrustContext, name: NormalizedName, what: str, recorded: SignerIdentity | None
) -> None:
    """Raise unless installing ``what`` unsigned is allowed (then warn).

    A distribution locked as signed that arrives unsigned is a change of signer too.
    """
    if recorded is not None:
        _accept_signer_change(context, name, what, recorded, "nobody (no provenance)")
    if not context.allow_unsigned:
        raise UnsignedPlugin(
            f"{what} is not signed: the index has no provenance for it",
            hint="ask its publisher to sign it (`dativo-pkg sign`) and publish the signature, "
            "or pass --allow-unsigned to install it anyway",
        )
    log.warning("installing %s unsigned (--allow-unsigned)", what)


def _valid_signers(
    roots: TrustRoots,
    entries: list[ProvenanceEntry],
    subject: Subject,
    what: str,
    policy_keys: Sequence[Publisher],
) -> list[SignerIdentity]:
    """Who made each attestation that verifies; the first failure when none does.

    A key bundle is checked with the key the provenance presents and the policy's
    keys: which of them is *trusted* is decided by the caller, by key id.
    """
    signers: list[SignerIdentity] = []
    failures: list[TrustError] = []
    for entry in entries:
        keyed = is_key_bundle(entry.signature)
        presented = (entry.publisher, *policy_keys) if keyed else ()
        try:
            verified = verify_signature(roots, entry.signature, subject, publishers=presented)
        except TrustError as exc:
            log.info("an attestation of %s does not verify: %s", what, exc.message)
            failures.append(exc)
            continue
        signers.append(verified.signer)
    if signers:
        return list(dict.fromkeys(signers))
    if failures:
        raise failures[0]
    raise SignatureInvalid(f"the provenance of {what} holds no attestation")


def _accept_signer_change(
    context: TrustContext,
    name: NormalizedName,
    what: str,
    recorded: SignerIdentity,
    presented: str,
) -> None:
    """Refuse a signer other than ``recorded`` unless the user accepted it (never with --locked)."""
    if context.locked:
        raise LockMismatch(
            f"{what} is signed by {presented}, but dativo.lock records {recorded}",
            hint="install without --locked to review the change; nothing was installed",
        )
    if name not in context.accept_new_signer:
        raise SignerChanged(
            f"{what} is signed by {presented}, but dativo.lock records {recorded} as "
            f"the signer of {name}",
            hint=f"if the publisher really changed its signing identity, accept it with "
            f"--accept-new-signer {name}; nothing was installed",
        )
    log.warning("%s: new signer %s accepted (was %s)", what, presented, recorded)
