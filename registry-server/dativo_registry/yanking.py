"""PEP 592 yanking: mark a release as one installers pass over unless it is pinned.

A yanked release stays installable with ``==`` (a lock file keeps working),
but a resolver choosing a version skips it; the optional reason is shown by
pip and uv. Yanking is not deleting: the files stay, and their names stay
used forever.

:func:`set_yanked` is the one way to yank and unyank, used by the
``dativo-registry yank``/``unyank`` commands and by the API (``manage.py``).
It bumps the project's serial in the caller's transaction: every server
process validates its cached simple pages on that serial, so the change is
on every page at the commit.
"""

from __future__ import annotations

import re

from packaging.utils import InvalidName, canonicalize_name, canonicalize_version
from packaging.version import InvalidVersion, Version
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dativo_registry.catalog import refresh_catalog
from dativo_registry.errors import NotFound, RegistryError
from dativo_registry.models import Project, Release

__all__ = ["MAX_REASON_CHARS", "REASON_PATTERN", "find_release", "set_yanked"]

#: Longest yank reason: it is repeated on every file link of the release's simple pages.
MAX_REASON_CHARS = 1000
#: A reason is one line of text: no control characters (PostgreSQL refuses NUL in text).
REASON_PATTERN = r"^[^\x00-\x1f\x7f]*$"


def set_yanked(session: Session, project: str, version: str, reason: str | None) -> Release:
    """Yank the release (``reason`` a string, ``""`` for none) or unyank it (``reason`` None).

    ``project`` may be any spelling of the name, ``version`` any spelling of
    the version (``1.0`` finds ``1.0.0``). Yanking a yanked release replaces
    its reason. The caller commits; nothing changes on a no-op.
    """
    yanked = reason is not None
    cleaned = (reason or "").strip() or None
    if cleaned is not None and len(cleaned) > MAX_REASON_CHARS:
        raise RegistryError(
            f"the yank reason is {len(cleaned)} characters long; give at most "
            f"{MAX_REASON_CHARS} (it is repeated on every file link of the release)"
        )
    if cleaned is not None and not re.match(REASON_PATTERN, cleaned):
        raise RegistryError(
            f"the yank reason {cleaned!r} holds control characters; give one line of text"
        )
    release = find_release(session, project, version)
    if (release.yanked, release.yanked_reason) == (yanked, cleaned):
        return release
    release.yanked = yanked
    release.yanked_reason = cleaned
    session.execute(
        update(Project).where(Project.id == release.project_id).values(serial=Project.serial + 1)
    )
    refresh_catalog(session, release.project)
    return release


def find_release(session: Session, project: str, version: str) -> Release:
    """The release ``version`` of ``project`` (any spelling of either); NotFound otherwise."""
    try:
        normalized = canonicalize_name(project, validate=True)
    except InvalidName as exc:
        raise NotFound(f"no project named {project!r}: that is not a valid project name") from exc
    try:
        canonical = canonicalize_version(Version(version))
    except InvalidVersion as exc:
        raise NotFound(f"no release {version!r}: that is not a PEP 440 version") from exc
    release = session.scalars(
        select(Release)
        .join(Project, Project.id == Release.project_id)
        .where(Project.normalized == normalized, Release.canonical == canonical)
    ).one_or_none()
    if release is None:
        raise NotFound(
            f"project {normalized} has no release {version!r} in this registry; "
            f"/api/v1/plugins/{normalized} lists its releases"
        )
    return release
