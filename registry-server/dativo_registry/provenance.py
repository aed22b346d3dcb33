"""Trust at the registry: verify what is signed before it is stored.

Uploads (:func:`verify_upload`): every attestation twine sent must verify,
offline, against the trusted Sigstore roots (keyless) or a registered key
of the project, as a PEP 740 publish statement about the uploaded file (its
filename and the SHA-256 the server computed); one that does not is always
refused. Then the policy:

- a project with publishers accepts a file only if at least one of its
  attestations is by one of them (a file signed both ways may carry a
  keyless attestation by someone else besides);
- with ``--require-signatures``, so does every project, and a project with
  no publisher accepts nothing (an administrator must add one first);
- otherwise an unsigned file is accepted, and a keyless attestation is
  accepted from any identity.

The attestations verified against a publisher (all of them, for a project
without publishers) become the file's PEP 740 provenance document, stored
with the file in its publish transaction and served by the Integrity API.
A refusal happens before anything is published.

Attachments (:func:`verify_statement`): a conformance report or benchmark
result may be a signed in-toto statement about one of the release's files;
it is verified the same way, against the same publishers.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dativo_pkg.trust import (
    BENCHMARK_PREDICATE,
    CONFORMANCE_PREDICATE,
    KEY_ISSUER,
    PUBLISH_PREDICATE,
    ProvenanceEntry,
    Publisher,
    SignerIdentity,
    SignerMismatch,
    Subject,
    TrustError,
    TrustRoots,
    Verified,
    build_provenance,
    is_key_bundle,
    verify_signature,
)
from dativo_registry.config import Settings
from dativo_registry.errors import UploadRefused
from dativo_registry.models import File, Release
from dativo_registry.publishers import project_publishers

__all__ = ["SignedStatement", "is_signed_statement", "verify_statement", "verify_upload"]

#: The predicate type each kind of attachment must carry.
ATTACHMENT_PREDICATES = {"conformance": CONFORMANCE_PREDICATE, "benchmark": BENCHMARK_PREDICATE}

_SIGN_HINT = (
    "sign it (`dativo-pkg sign FILE`, or `dativo-pkg sign --key KEY.pem FILE` for a key "
    "publisher) and upload with `twine upload --attestations FILE FILE.*.attestation`"
)


def verify_upload(
    session: Session,
    roots: TrustRoots,
    settings: Settings,
    project: str,
    subject: Subject,
    attestations: Sequence[Mapping[str, Any]] | None,
) -> dict[str, Any] | None:
    """The provenance document of an upload to ``project`` (normalized), or None if unsigned.

    Raises UploadRefused when the upload is not acceptable (see the module's policy).
    """
    publishers = project_publishers(session, project)
    if not attestations:
        _allow_unsigned(settings, project, publishers, subject.name, _SIGN_HINT)
        return None
    if settings.require_signatures and not publishers:
        raise _no_publisher(project)
    entries = []
    mismatch: SignerMismatch | None = None
    for attestation in attestations:
        try:
            verified = _verify(roots, attestation, subject, PUBLISH_PREDICATE, project, publishers)
        except SignerMismatch as exc:  # valid, by someone else: another one may be by a publisher
            mismatch = exc
            continue
        entries.append(ProvenanceEntry(_publisher(verified, publishers), dict(attestation)))
    if mismatch is not None and not entries:
        raise _not_a_publisher(mismatch, project)
    return build_provenance(entries)


@dataclass(frozen=True)
class SignedStatement:
    """A verified signed attachment: its claim, the signature, the file, the signer."""

    predicate: dict[str, Any]
    signature: dict[str, Any]
    subject: Subject
    signer: SignerIdentity


def is_signed_statement(body: Mapping[str, Any]) -> bool:
    """Whether an attachment body is a PEP 740 attestation or a Sigstore bundle."""
    pep740 = "envelope" in body and "verification_material" in body
    media_type = str(body.get("mediaType", ""))
    return pep740 or media_type.startswith("application/vnd.dev.sigstore.bundle")


def verify_statement(
    session: Session,
    roots: TrustRoots,
    settings: Settings,
    release: Release,
    kind: Literal["conformance", "benchmark"],
    body: Mapping[str, Any],
) -> SignedStatement | None:
    """Verify a signed attachment about one of ``release``'s files; None for an unsigned one.

    Raises UploadRefused when the body is not acceptable: a signed statement
    that does not verify, is by someone other than the project's publishers,
    or is about a file not in the release; an unsigned body when the project
    has publishers or the registry requires signatures.
    """
    project = release.project.normalized
    publishers = project_publishers(session, project)
    if not is_signed_statement(body):
        how = (
            f"send a signed statement instead: an in-toto statement with predicateType "
            f"{ATTACHMENT_PREDICATES[kind]} about one of the release's files, signed as a "
            "PEP 740 attestation or a Sigstore bundle (key)"
        )
        _allow_unsigned(settings, project, publishers, f"this {kind} attachment", how)
        return None
    if settings.require_signatures and not publishers:
        raise _no_publisher(project)
    file = _statement_file(session, release, body, kind)
    subject = Subject(file.filename, file.sha256)
    try:
        verified = _verify(roots, body, subject, ATTACHMENT_PREDICATES[kind], project, publishers)
    except SignerMismatch as exc:
        raise _not_a_publisher(exc, project) from exc
    return SignedStatement(
        predicate=verified.predicate or {},
        signature=dict(body),
        subject=subject,
        signer=verified.signer,
    )


# -- policy and messages ------------------------------------------------------------------


def _allow_unsigned(
    settings: Settings, project: str, publishers: Sequence[Publisher], what: str, how: str
) -> None:
    if publishers:
        raise UploadRefused(
            f"{what} carries no signature, but project {project} accepts only what is signed "
            f"by {_expected(publishers)}: {how}"
        )
    if settings.require_signatures:
        raise UploadRefused(
            f"{what} carries no signature, and this registry requires signatures: {how}; "
            f"project {project} also needs a publisher to verify it against "
            f"(`dativo-registry publisher add --project {project} ...`)"
        )


def _no_publisher(project: str) -> UploadRefused:
    return UploadRefused(
        f"this registry accepts only signatures by a project's publishers, and project "
        f"{project} has none: an administrator registers one with `dativo-registry publisher "
        f"add --project {project} --issuer URL --identity SAN` (keyless) or `... --key PUB.pem`"
    )


def _expected(publishers: Sequence[Publisher]) -> str:
    return "; or ".join(p.describe() for p in publishers)


def _verify(
    roots: TrustRoots,
    signature: Mapping[str, Any],
    subject: Subject,
    predicate_type: str,
    project: str,
    publishers: Sequence[Publisher],
) -> Verified:
    """``verify_signature``, a signature that does not verify refused with a message that
    says what to do. A valid one by someone else raises SignerMismatch (the caller decides)."""
    if is_key_bundle(signature) and not any(p.kind == "key" for p in publishers):
        raise UploadRefused(
            f"{subject.name}: signed with publisher key {_key_hint(signature)}, but that key is "
            f"not registered for project {project}: an administrator registers it with "
            f"`dativo-registry publisher add --project {project} --key PUB.pem`"
        )
    try:
        return verify_signature(
            roots, signature, subject, predicate_type=predicate_type, publishers=publishers
        )
    except SignerMismatch:
        raise
    except TrustError as exc:
        hint = f"; {exc.hint}" if exc.hint else ""
        raise UploadRefused(f"refused: {exc.message}{hint}") from exc


def _not_a_publisher(mismatch: SignerMismatch, project: str) -> UploadRefused:
    """The refusal of a valid signature by someone who is not a publisher of ``project``."""
    presented = mismatch.presented
    flag = (
        "--key PUB.pem"
        if presented.issuer == KEY_ISSUER
        else f"--issuer {presented.issuer} --identity {presented.identity}"
    )
    return UploadRefused(
        f"project {project}: {mismatch.message}: sign it as an expected publisher, or, if the "
        "signer is a new publisher of the project, an administrator registers it with "
        f"`dativo-registry publisher add --project {project} {flag}`"
    )


def _publisher(verified: Verified, publishers: Sequence[Publisher]) -> Publisher:
    """The registered publisher that vouches for ``verified``; its signer if there is none."""
    for publisher in publishers:
        if publisher.matches(verified.signer):
            return publisher
    return Publisher.oidc(verified.signer.issuer, verified.signer.identity)


def _key_hint(signature: Mapping[str, Any]) -> str:
    material = signature.get("verificationMaterial")
    key = material.get("publicKey") if isinstance(material, Mapping) else None
    hint = key.get("hint") if isinstance(key, Mapping) else None
    return str(hint) if hint else "(no key id)"


# -- which file a statement is about --------------------------------------------------------


def _statement_file(session: Session, release: Release, body: Mapping[str, Any], kind: str) -> File:
    """The release file whose SHA-256 the (not yet verified) statement names."""
    digest = _claimed_sha256(body)
    files = session.scalars(
        select(File).where(File.release_id == release.id, File.deleted_at.is_(None))
    ).all()
    for file in files:
        if file.sha256 == digest:
            return file
    names = ", ".join(sorted(f.filename for f in files)) or "none"
    raise UploadRefused(
        f"the signed {kind} statement is about sha256 {digest}, which is no file of "
        f"{release.project.name} {release.version} (its files: {names}): sign a statement "
        "about one of them"
    )


def _claimed_sha256(body: Mapping[str, Any]) -> str:
    """The SHA-256 in the statement's subject; verification checks it after the lookup."""
    try:
        if "envelope" in body:
            payload = base64.b64decode(body["envelope"]["statement"], validate=True)
        else:
            payload = base64.b64decode(body["dsseEnvelope"]["payload"], validate=True)
        statement = json.loads(payload)
        subjects = statement["subject"]
        if len(subjects) != 1:
            raise UploadRefused(
                f"a signed statement must name exactly one file; this one names {len(subjects)}"
            )
        return str(subjects[0]["digest"]["sha256"]).lower()
    except (KeyError, IndexError, TypeError, ValueError, binascii.Error) as exc:
        raise UploadRefused(
            f"the signed statement is malformed ({type(exc).__name__}: {exc}): send a PEP 740 "
            "attestation or a Sigstore bundle over an in-toto statement"
        ) from exc
