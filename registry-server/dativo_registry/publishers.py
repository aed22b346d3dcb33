"""A project's publishers: who may sign its files (``dativo-registry publisher ...``).

A publisher is an OIDC identity at an issuer (a keyless Sigstore signer,
e.g. a GitHub Actions workflow) or a public key (offline signing). Once a
project has one, every upload to it must carry a signature by one of them
(:mod:`.provenance`). Publishers are keyed by the normalized project name,
so they can be registered before the project's first upload.

These functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

from typing import Any

from packaging.utils import InvalidName, canonicalize_name
from sqlalchemy import select
from sqlalchemy.orm import Session

from dativo_pkg.trust import KEY_ISSUER, Publisher, TrustError
from dativo_registry.errors import Conflict, NotFound, RegistryError
from dativo_registry.models import Publisher as PublisherRow

__all__ = [
    "add_publisher",
    "key_publisher",
    "list_publishers",
    "oidc_publisher",
    "project_publishers",
    "publisher_json",
    "remove_publisher",
    "to_publisher",
]


def oidc_publisher(issuer: str, identity: str) -> Publisher:
    """A keyless publisher; RegistryError unless the issuer is an http(s) URL."""
    if not issuer.startswith(("https://", "http://")):
        raise RegistryError(
            f"--issuer {issuer!r} is not a URL: give the OIDC issuer, e.g. "
            "https://token.actions.githubusercontent.com for GitHub Actions"
        )
    try:
        return Publisher.oidc(issuer, identity)
    except TrustError as exc:
        raise RegistryError(exc.message) from exc


def key_publisher(pem: bytes) -> Publisher:
    """A key publisher from a PEM public key; RegistryError if it is not one."""
    try:
        return Publisher.from_public_key(pem)
    except TrustError as exc:
        raise RegistryError(
            f"not a usable public key: {exc.message}; give the .pub file that "
            "`dativo-pkg key generate` wrote (a PEM SubjectPublicKeyInfo)"
        ) from exc


def add_publisher(session: Session, project: str, publisher: Publisher) -> PublisherRow:
    """Register ``publisher`` for ``project`` (any spelling); Conflict if it is already there."""
    normalized = _normalize(project)
    issuer, identity = _key(publisher)
    existing = session.scalars(
        select(PublisherRow).where(
            PublisherRow.project == normalized,
            PublisherRow.kind == publisher.kind,
            PublisherRow.issuer == issuer,
            PublisherRow.identity == identity,
        )
    ).one_or_none()
    if existing is not None:
        raise Conflict(f"{publisher.describe()} is already a publisher of {normalized}")
    row = PublisherRow(
        project=normalized,
        kind=publisher.kind,
        issuer=issuer,
        identity=identity,
        public_key_pem=publisher.public_key_pem,
        key_id=publisher.key_id,
    )
    session.add(row)
    _refresh_catalog(session, normalized)
    return row


def list_publishers(session: Session, project: str | None = None) -> list[PublisherRow]:
    """The publishers of ``project`` (any spelling), or of every project; oldest first."""
    query = select(PublisherRow).order_by(PublisherRow.project, PublisherRow.id)
    if project is not None:
        query = query.where(PublisherRow.project == _normalize(project))
    return list(session.scalars(query))


def remove_publisher(
    session: Session,
    project: str,
    *,
    issuer: str | None = None,
    identity: str | None = None,
    key_id: str | None = None,
) -> PublisherRow:
    """Remove the OIDC publisher ``issuer`` + ``identity``, or the key ``key_id``.

    NotFound if the project has no such publisher.
    """
    normalized = _normalize(project)
    if key_id is not None:
        where = [PublisherRow.kind == "key", PublisherRow.key_id == key_id]
        wanted = f"publisher key {key_id}"
    elif issuer is not None and identity is not None:
        where = [
            PublisherRow.kind == "oidc",
            PublisherRow.issuer == issuer,
            PublisherRow.identity == identity,
        ]
        wanted = f"{identity} (issuer {issuer})"
    else:
        raise RegistryError("name the publisher: --issuer and --identity, or --key-id")
    row = session.scalars(
        select(PublisherRow).where(PublisherRow.project == normalized, *where)
    ).one_or_none()
    if row is None:
        raise NotFound(
            f"{wanted} is not a publisher of {normalized}; "
            f"`dativo-registry publisher list --project {normalized}` shows them"
        )
    session.delete(row)
    _refresh_catalog(session, normalized)
    return row


def project_publishers(session: Session, normalized_project: str) -> list[Publisher]:
    """The publishers of a project (normalized name), as the trust layer takes them."""
    rows = session.scalars(
        select(PublisherRow)
        .where(PublisherRow.project == normalized_project)
        .order_by(PublisherRow.id)
    )
    return [to_publisher(row) for row in rows]


def to_publisher(row: PublisherRow) -> Publisher:
    if row.kind == "key":
        return Publisher(kind="key", public_key_pem=row.public_key_pem)
    return Publisher(kind="oidc", issuer=row.issuer, identity=row.identity)


def publisher_json(row: PublisherRow) -> dict[str, Any]:
    """What ``publisher list --json`` prints of one publisher."""
    return {
        "project": row.project,
        "kind": row.kind,
        "issuer": row.issuer if row.kind == "oidc" else None,
        "identity": row.identity if row.kind == "oidc" else None,
        "key_id": row.key_id,
        "public_key": row.public_key_pem,
        "created_at": row.created_at.isoformat() if row.created_at else None,
    }


def _key(publisher: Publisher) -> tuple[str, str]:
    """``(issuer, identity)`` as stored: a key is named like a key signer, by its id."""
    if publisher.kind == "key":
        assert publisher.key_id is not None
        return KEY_ISSUER, publisher.key_id
    assert publisher.issuer is not None and publisher.identity is not None
    return publisher.issuer, publisher.identity


def _refresh_catalog(session: Session, normalized: str) -> None:
    """Flush, and recompute the project's catalog entry (verified publisher, certification)."""
    from dativo_registry.catalog import refresh_catalog  # catalog -> certification -> here

    refresh_catalog(session, normalized)


def _normalize(project: str) -> str:
    try:
        return canonicalize_name(project, validate=True)
    except InvalidName as exc:
        raise RegistryError(
            f"invalid project name {project!r}: use letters, digits, and . _ - inside"
        ) from exc
