"""The publish step: make an inspected upload visible, all at once or not at all.

The blob is published first (synced, renamed to its content address): a
blob without a database row is invisible, so a crash right after that leaves
nothing visible. Then one transaction creates what is missing — the project
(its first uploader becomes owner), the release — inserts the file row and
bumps the project's serial. A crash before the commit leaves nothing; after
it, the complete file.

``files.filename`` is unique across all of history, so of two concurrent
uploads of one filename the database lets exactly one commit; the other gets
Conflict. Two uploads racing to create the same new project or release retry
once the winner has committed (and are then authorized against it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_version
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dativo_registry.auth import authorize_upload
from dativo_registry.catalog import refresh_catalog
from dativo_registry.distfile import DistInfo
from dativo_registry.errors import Conflict
from dativo_registry.models import File, Project, Release, Role, Token
from dativo_registry.storage import BlobStore, StagedBlob

__all__ = ["UploadForm", "file_exists", "filename_conflict", "publish_file"]

#: Creating a project or release can lose a race to another upload; then try again.
ATTEMPTS = 3


@dataclass(frozen=True)
class UploadForm:
    """The fields of twine's upload form that the registry uses (``content`` aside)."""

    filename: str
    name: str
    version: str
    filetype: str
    pyversion: str | None = None
    metadata_version: str | None = None
    sha256_digest: str | None = None
    md5_digest: str | None = None
    blake2_256_digest: str | None = None
    #: PEP 740 attestations, stored as uploaded (verified first by :mod:`.provenance`).
    attestations: list[Any] | None = None


def filename_conflict(filename: str) -> Conflict:
    return Conflict(
        f"file {filename} already exists (files are immutable and filenames are never "
        "reused): bump the version, or add a build tag to a wheel, and upload again"
    )


def file_exists(session: Session, filename: str) -> bool:
    """Whether ``filename`` was ever published (removed files included)."""
    return session.scalar(select(File.id).where(File.filename == filename)) is not None


def publish_file(
    session: Session,
    store: BlobStore,
    token: Token,
    form: UploadForm,
    staged: StagedBlob,
    info: DistInfo,
    provenance: dict[str, Any] | None = None,
) -> File:
    """Publish ``staged`` as ``form.filename`` of the release ``info`` describes.

    ``provenance`` is the file's verified PEP 740 provenance document (None:
    unsigned), stored in the same transaction as the file. Raises Forbidden if
    ``token`` may not upload to the project, Conflict if the filename exists
    or existed.
    """
    staged.publish()
    metadata_sha256 = (
        store.put_bytes(info.metadata_bytes) if info.packagetype == "bdist_wheel" else None
    )
    for attempt in range(1, ATTEMPTS + 1):
        try:
            file = _insert(session, token, form, staged, info, metadata_sha256, provenance)
            session.commit()
            return file
        except IntegrityError:
            session.rollback()
            if file_exists(session, form.filename):
                raise filename_conflict(form.filename) from None
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover - for mypy


def _insert(
    session: Session,
    token: Token,
    form: UploadForm,
    staged: StagedBlob,
    info: DistInfo,
    metadata_sha256: str | None,
    provenance: dict[str, Any] | None,
) -> File:
    """Add the rows of one upload to the session (flushed, not committed).

    The project is looked up before the permission check, never after: each
    statement may see newer commits (SQLite's driver and PostgreSQL's READ
    COMMITTED alike), so a project created by someone else in between is then
    seen by the check, which refuses, rather than only by the lookup, which
    would let this upload into a project it does not own. A project created
    after both lookups makes the insert below fail, and the retry refuses.
    """
    project = session.scalar(select(Project).where(Project.normalized == info.normalized_name))
    authorize_upload(session, token, info.normalized_name)
    if project is None:
        project = Project(normalized=info.normalized_name, name=info.name, serial=0)
        session.add(project)
        session.flush()
        session.add(Role(project_id=project.id, user_id=token.user_id, role="owner"))

    canonical = canonicalize_version(info.version)
    release = session.scalar(
        select(Release).where(Release.project_id == project.id, Release.canonical == canonical)
    )
    if release is None:
        release = Release(
            project_id=project.id,
            version=info.version,
            canonical=canonical,
            summary=info.summary,
            metadata_fields=info.metadata_fields,
            manifest=info.manifest,
        )
        session.add(release)
        session.flush()
    elif release.manifest is None and info.manifest is not None:
        release.manifest = info.manifest

    file = File(
        release_id=release.id,
        filename=form.filename,
        packagetype=info.packagetype,
        python_version=info.python_version,
        requires_python=info.requires_python,
        size=staged.size,
        sha256=staged.sha256,
        metadata_sha256=metadata_sha256,
        attestations=form.attestations,
        provenance=provenance,
        uploader_id=token.user_id,
    )
    session.add(file)
    session.flush()
    session.execute(
        update(Project).where(Project.id == project.id).values(serial=Project.serial + 1)
    )
    refresh_catalog(session, project)
    return file
