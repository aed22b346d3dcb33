"""What publishing tools call besides the upload: the upload policy, and attaching reports.

``GET /api/v1/projects/{project}/upload-policy`` tells ``dativo-pkg publish``
whether files must be signed and by whom, before it uploads anything.

Conformance reports and benchmark results are attached to a release by
anyone who may upload to the project (the same API tokens twine uses), and
returned with the release. An attachment is a signed in-toto statement about
one of the release's files (a PEP 740 attestation, or a Sigstore bundle
signed with a publisher key), verified against the project's publishers
(:mod:`.provenance`) and stored with its signer; an unsigned JSON body is
accepted only for a project without publishers on a registry that does not
require signatures.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Request, status
from packaging.utils import InvalidName, canonicalize_name
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from dativo_registry import auth
from dativo_registry.catalog import refresh_catalog
from dativo_registry.deps import get_session
from dativo_registry.errors import NotFound
from dativo_registry.lookup import find_release
from dativo_registry.models import Attachment
from dativo_registry.provenance import verify_statement
from dativo_registry.publishers import list_publishers, publisher_json

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "AttachmentOut",
    "PublisherOut",
    "UploadPolicy",
    "attachment_out",
    "router",
]

router = APIRouter(prefix="/api/v1", tags=["publishing"])

#: Largest accepted conformance report or benchmark result, serialized.
MAX_ATTACHMENT_BYTES = 1 << 20

SessionDep = Annotated[Session, Depends(get_session)]


class SubjectOut(BaseModel):
    """The release file a signed statement is about."""

    filename: str
    sha256: str


class SignerOut(BaseModel):
    """Who signed a statement: an OIDC identity, or issuer "publisher-key" and a key id."""

    issuer: str
    identity: str


class AttachmentOut(BaseModel):
    id: int
    kind: str = Field(examples=["conformance", "benchmark"])
    body: dict[str, Any] = Field(description="The report: the signed statement's predicate")
    uploader: str | None
    created_at: dt.datetime
    signature: dict[str, Any] | None = Field(
        default=None, description="The signed statement as sent; null if unsigned"
    )
    subject: SubjectOut | None = None
    signer: SignerOut | None = None


class PublisherOut(BaseModel):
    """A registered publisher: an OIDC identity at an issuer, or a public key."""

    project: str
    kind: str = Field(examples=["oidc", "key"])
    issuer: str | None = Field(description="OIDC issuer URL; null for a key")
    identity: str | None = Field(description="Certificate identity (SAN); null for a key")
    key_id: str | None = Field(description="sha256:<hex> of the public key; null for OIDC")
    public_key: str | None = Field(description="PEM SubjectPublicKeyInfo; null for OIDC")
    created_at: dt.datetime | None


class UploadPolicy(BaseModel):
    """What an upload to a project (existing or not yet) must carry."""

    project: str = Field(description="The normalized project name")
    signatures_required: bool = Field(
        description="Files and attachments must be signed by one of ``publishers``: the project "
        "has publishers, or the registry runs with --require-signatures"
    )
    publishers: list[PublisherOut]


@router.get("/projects/{project}/upload-policy", summary="What uploads to a project must carry")
def upload_policy(project: str, request: Request, session: SessionDep) -> UploadPolicy:
    """Whether uploads to ``project`` (which need not exist yet) must be signed, and by whom.

    ``dativo-pkg publish`` asks before uploading anything, so that it refuses
    unsigned files itself instead of being refused halfway.
    """
    try:
        normalized = canonicalize_name(project, validate=True)
    except InvalidName as exc:
        raise NotFound(f"no project named {project!r}: that is not a valid project name") from exc
    rows = list_publishers(session, normalized)
    return UploadPolicy(
        project=normalized,
        signatures_required=bool(rows) or request.app.state.settings.require_signatures,
        publishers=[PublisherOut.model_validate(publisher_json(row)) for row in rows],
    )


@router.post(
    "/plugins/{project}/{version}/conformance",
    status_code=status.HTTP_201_CREATED,
    summary="Attach a conformance report to a release",
    responses={401: {"description": "No valid API token"}, 403: {"description": "Not allowed"}},
)
def attach_conformance(
    project: str,
    version: str,
    body: Annotated[dict[str, Any], Body(description="The signed statement (or bare report)")],
    request: Request,
    session: SessionDep,
) -> AttachmentOut:
    """Store a conformance report with the release.

    The body is a signed in-toto statement (predicate type
    ``https://dativo.dev/attestations/conformance/v1``) about one of the
    release's files: a PEP 740 attestation, or a Sigstore bundle signed with
    a publisher key. It must verify against the project's publishers. A bare
    JSON report is accepted only when the project has no publishers and the
    registry does not require signatures.

    Authenticate as twine does (HTTP Basic, user ``__token__``, an API token as
    password) or with ``Authorization: Bearer <token>``; the token must allow
    uploads to the project.
    """
    return _attach(session, request, project, version, "conformance", body)


@router.post(
    "/plugins/{project}/{version}/benchmarks",
    status_code=status.HTTP_201_CREATED,
    summary="Attach benchmark results to a release",
    responses={401: {"description": "No valid API token"}, 403: {"description": "Not allowed"}},
)
def attach_benchmark(
    project: str,
    version: str,
    body: Annotated[dict[str, Any], Body(description="The signed statement (or bare results)")],
    request: Request,
    session: SessionDep,
) -> AttachmentOut:
    """Store benchmark results with the release: like a conformance report, with predicate
    type ``https://dativo.dev/attestations/benchmark/v1``."""
    return _attach(session, request, project, version, "benchmark", body)


def _attach(
    session: Session,
    request: Request,
    project: str,
    version: str,
    kind: Literal["conformance", "benchmark"],
    body: dict[str, Any],
) -> AttachmentOut:
    """Authenticate like an upload, verify a signed body, then store it with the release."""
    token = auth.authenticate(session, request.headers.get("authorization"))
    auth.authorize_upload(session, token, canonicalize_name(project))
    release = find_release(session, project, version)
    if len(_strict_json(body, kind)) > MAX_ATTACHMENT_BYTES:
        raise HTTPException(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            f"a {kind} attachment may be at most {MAX_ATTACHMENT_BYTES} bytes of JSON; "
            "attach a summary and link to the full results",
        )
    state = request.app.state
    signed = verify_statement(session, state.trust_roots, state.settings, release, kind, body)
    attachment = Attachment(release_id=release.id, kind=kind, body=body, uploader_id=token.user_id)
    if signed is not None:
        attachment.body = signed.predicate
        attachment.signature = signed.signature
        attachment.subject_filename = signed.subject.name
        attachment.subject_sha256 = signed.subject.sha256
        attachment.signer_issuer = signed.signer.issuer
        attachment.signer_identity = signed.signer.identity
    session.add(attachment)
    refresh_catalog(session, release.project)  # certification, throughput
    session.commit()
    return attachment_out(attachment, token.user.name)


def attachment_out(a: Attachment, uploader: str | None) -> AttachmentOut:
    return AttachmentOut(
        id=a.id,
        kind=a.kind,
        body=a.body,
        uploader=uploader,
        created_at=a.created_at,
        signature=a.signature,
        subject=SubjectOut(filename=a.subject_filename, sha256=a.subject_sha256)
        if a.subject_filename and a.subject_sha256
        else None,
        signer=SignerOut(issuer=a.signer_issuer, identity=a.signer_identity)
        if a.signer_issuer and a.signer_identity
        else None,
    )


def _strict_json(body: dict[str, Any], kind: str) -> bytes:
    """``body`` as UTF-8 JSON; 422 if it holds what JSON cannot: NaN, infinities, bad text.

    Python's JSON parser accepts ``NaN``, ``Infinity`` and unpaired surrogate
    escapes (``"\\ud800"``). PostgreSQL refuses the first two, and no UTF-8
    response can carry the third: stored, either would break every later
    read of the release.
    """
    try:
        return json.dumps(body, ensure_ascii=False, allow_nan=False).encode()
    except ValueError as exc:  # UnicodeEncodeError is a ValueError too
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"the {kind} attachment is not strict JSON ({exc}): numbers must be finite "
            "and text valid Unicode",
        ) from exc
