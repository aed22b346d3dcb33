"""The registry's tables (SQLAlchemy 2 declarative). Migrations live in ``migrations/``.

Published files are immutable and a filename is never reused: a file row is
never deleted (``deleted_at`` marks a removal), and ``files.filename`` is
unique across all of history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "CATALOG_STALE",
    "Attachment",
    "Base",
    "CatalogEntry",
    "CatalogPlugin",
    "CatalogText",
    "File",
    "Project",
    "Publisher",
    "Release",
    "Role",
    "Token",
    "User",
]


def _now() -> Any:
    return func.now()


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: DateTime(timezone=True), dict[str, Any]: JSON}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())


class Token(Base):
    """An API token. Only its SHA-256 is stored; ``prefix`` identifies it for revocation."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    #: Normalized project names this token may upload to; null means any.
    projects: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)

    user: Mapped[User] = relationship()


#: Projects whose catalog entry is older than their last change (see :mod:`.catalog`).
CATALOG_STALE = "catalog_serial IS NULL OR catalog_serial != serial"


class Project(Base):
    __tablename__ = "projects"
    # Normally empty: finding the stale ones reads this index, not the table.
    __table_args__ = (
        Index(
            "ix_projects_catalog_stale",
            "id",
            sqlite_where=text(CATALOG_STALE),
            postgresql_where=text(CATALOG_STALE),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: PEP 503 normalized name: the key of every lookup.
    normalized: Mapped[str] = mapped_column(String(200), unique=True)
    #: The name as first uploaded.
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())
    #: Bumped on every change to the project's files, for cache validation.
    serial: Mapped[int] = mapped_column(BigInteger, default=0)
    #: The ``serial`` its catalog entry was computed at (:mod:`.catalog`); null: never.
    catalog_serial: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    releases: Mapped[list[Release]] = relationship(back_populates="project")


class Role(Base):
    __tablename__ = "roles"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))  # "owner" | "maintainer"


class Release(Base):
    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("project_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    #: The version as written in METADATA (PEP 440 canonical form in ``canonical``).
    version: Mapped[str] = mapped_column(String(100))
    canonical: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The core metadata fields of the first uploaded file (name -> value or list).
    metadata_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The plugin manifest (dativo-plugin.json) when the release carries a plugin.
    manifest: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    yanked: Mapped[bool] = mapped_column(Boolean, default=False)
    yanked_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())

    project: Mapped[Project] = relationship(back_populates="releases")
    files: Mapped[list[File]] = relationship(back_populates="release")


class File(Base):
    __tablename__ = "files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    #: Unique across all of history: a filename is never reused.
    filename: Mapped[str] = mapped_column(String(300), unique=True)
    packagetype: Mapped[str] = mapped_column(String(20))  # "bdist_wheel" | "sdist"
    python_version: Mapped[str] = mapped_column(String(50))
    requires_python: Mapped[str | None] = mapped_column(String(200), nullable=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    #: SHA-256 of the core metadata file served per PEP 658 (wheels only).
    metadata_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: PEP 740 attestations as uploaded by twine (each verified before the file was published).
    attestations: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    #: The PEP 740 provenance document built from the verified attestations (Integrity API).
    provenance: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True), nullable=True
    )
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    uploaded_at: Mapped[dt.datetime] = mapped_column(server_default=_now())
    deleted_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    #: Times the file was served (GET, not HEAD or 304); see :mod:`.catalog`.
    downloads: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    release: Mapped[Release] = relationship(back_populates="files")


class Attachment(Base):
    """A conformance report or benchmark result attached to a release.

    A signed one is an in-toto statement about one of the release's files:
    ``body`` is then its predicate, ``signature`` the signed statement as sent,
    and the subject and signer columns say what was verified.
    """

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "conformance" | "benchmark"
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())
    #: The signed statement (PEP 740 attestation or Sigstore bundle) as sent; null if unsigned.
    signature: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    subject_filename: Mapped[str | None] = mapped_column(String(300), nullable=True)
    subject_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    signer_issuer: Mapped[str | None] = mapped_column(String(300), nullable=True)
    signer_identity: Mapped[str | None] = mapped_column(String(500), nullable=True)


class Publisher(Base):
    """Who may sign a project's files: an OIDC identity (keyless Sigstore) or a public key.

    ``project`` is a normalized name, not a foreign key: a publisher may be
    registered before the project's first upload (like PyPI's pending
    publishers), so that even the first upload must be signed by it.

    A key publisher is named the way a key signer is (``SignerIdentity``):
    issuer ``"publisher-key"``, identity its key id. So ``issuer`` and
    ``identity`` are never null and the unique constraint holds for both
    kinds (SQL counts nulls as distinct).
    """

    __tablename__ = "publishers"
    __table_args__ = (UniqueConstraint("project", "kind", "issuer", "identity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # "oidc" | "key"
    #: OIDC: the issuer URL and the certificate identity (a SAN, or a workflow without "@ref").
    issuer: Mapped[str] = mapped_column(String(300))
    identity: Mapped[str] = mapped_column(String(500))
    #: Key: the SubjectPublicKeyInfo PEM and its id ("sha256:<hex of the DER>").
    public_key_pem: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())


class CatalogEntry(Base):
    """A project as the marketplace lists it: its newest installable plugin release.

    Derived data, written only by :func:`dativo_registry.catalog.refresh_catalog`.
    Narrow on purpose (what search filters, sorts and shows). The indexed text
    is :class:`CatalogText`; on PostgreSQL its ``tsvector`` is a column of this
    table (``search_vector``, outside this metadata: :mod:`dativo_registry.fulltext`),
    so that a search matches, filters and sorts without a join.
    """

    __tablename__ = "catalog"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"))
    name: Mapped[str] = mapped_column(String(200))
    normalized: Mapped[str] = mapped_column(String(200), unique=True)
    version: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The manifest's plugins, defaults filled in (kind, connector, language, api, ...).
    plugins: Mapped[list[Any]] = mapped_column(JSON)
    certification: Mapped[str | None] = mapped_column(String(20), nullable=True)
    #: 0 without a level, else 1 + the level's index in ``certification.LEVELS``.
    certification_rank: Mapped[int] = mapped_column(Integer)
    signer: Mapped[str | None] = mapped_column(String(500), nullable=True)
    verified_publisher: Mapped[bool] = mapped_column(Boolean)
    #: Downloads of all the project's files.
    downloads: Mapped[int] = mapped_column(BigInteger, index=True)
    throughput_ratio: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    updated: Mapped[dt.datetime] = mapped_column(index=True)


class CatalogPlugin(Base):
    """One plugin of a catalog entry, for filters that must hold for one plugin together."""

    __tablename__ = "catalog_plugins"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("catalog.project_id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    connector: Mapped[str] = mapped_column(String(200), index=True)
    language: Mapped[str] = mapped_column(String(50))


class CatalogText(Base):
    """The text of a catalog entry that full-text search covers.

    The full-text index over these columns (an FTS5 table on SQLite, the
    ``tsvector`` column ``catalog.search_vector`` that triggers on this table
    keep in step on PostgreSQL) lives outside this metadata:
    :mod:`dativo_registry.fulltext`.
    """

    __tablename__ = "catalog_text"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("catalog.project_id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Name, connectors, kinds, languages, capabilities, plugin descriptions, keywords.
    search_text: Mapped[str] = mapped_column(Text)
    #: The start of the README (core metadata ``Description``).
    description_text: Mapped[str] = mapped_column(Text)
