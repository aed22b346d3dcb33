"""Finding a project or a release by any spelling of its name and version, or 404."""

from __future__ import annotations

from packaging.utils import InvalidName, canonicalize_name, canonicalize_version
from packaging.version import InvalidVersion, Version
from sqlalchemy import select
from sqlalchemy.orm import Session

from dativo_registry.errors import NotFound
from dativo_registry.models import Project, Release

__all__ = ["find_project", "find_release"]


def find_project(session: Session, name: str) -> Project:
    try:
        normalized = canonicalize_name(name, validate=True)
    except InvalidName as exc:
        raise NotFound(f"no project named {name!r}: that is not a valid project name") from exc
    project = session.scalars(select(Project).where(Project.normalized == normalized)).one_or_none()
    if project is None:
        raise NotFound(f"no project named {name!r} in this registry")
    return project


def find_release(session: Session, name: str, version: str) -> Release:
    project = find_project(session, name)
    try:
        canonical = canonicalize_version(Version(version))
    except InvalidVersion as exc:
        raise NotFound(f"no release {version!r}: that is not a PEP 440 version") from exc
    release = session.scalars(
        select(Release).where(Release.project_id == project.id, Release.canonical == canonical)
    ).one_or_none()
    if release is None:
        raise NotFound(f"project {project.name} has no release {version!r}")
    return release
