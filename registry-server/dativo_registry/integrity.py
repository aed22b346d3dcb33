"""The Integrity API (PEP 740, as on PyPI): a file's verified provenance.

``GET /integrity/{project}/{version}/{filename}/provenance`` returns the
PEP 740 provenance object the registry built when it verified the file's
attestations at upload (:mod:`.provenance`), as
``application/vnd.pypi.integrity.v1+json``. The project may be given in any
spelling, the version in any PEP 440 spelling. A file that is unknown, was
removed, or was uploaded unsigned has no provenance: 404 with a JSON
``detail`` saying which.

The simple API links each file that has provenance to its URL here
(``data-provenance`` in HTML, ``provenance`` in JSON). The document is
information, not proof: an installer verifies every attestation in it itself.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from packaging.utils import InvalidName, canonicalize_name, canonicalize_version
from packaging.version import InvalidVersion, Version
from sqlalchemy import Engine, select

from dativo_registry.errors import NotFound
from dativo_registry.models import File, Project, Release

__all__ = ["INTEGRITY_V1", "provenance_path", "router"]

router = APIRouter(tags=["integrity"])

INTEGRITY_V1 = "application/vnd.pypi.integrity.v1+json"
#: A file's provenance never changes once it is published.
CACHE_CONTROL = "public, max-age=31536000, immutable"


def provenance_path(normalized: str, version: str, filename: str) -> str:
    """The Integrity API path of a file's provenance, relative to the registry root."""
    return f"integrity/{quote(normalized)}/{quote(version)}/{quote(filename)}/provenance"


@router.get(
    "/integrity/{project}/{version}/{filename}/provenance",
    summary="A file's PEP 740 provenance: its verified attestations, grouped by publisher",
    response_class=Response,
    responses={
        200: {"content": {INTEGRITY_V1: {}}, "description": "The provenance object"},
        404: {"description": "No such file, or it has no provenance (uploaded unsigned)"},
    },
)
def provenance(project: str, version: str, filename: str, request: Request) -> Response:
    normalized = _normalized(project)
    canonical = _canonical(version)
    engine: Engine = request.app.state.engine
    with engine.connect() as conn:
        row = conn.execute(
            select(File.provenance)
            .join(Release, File.release_id == Release.id)
            .join(Project, Release.project_id == Project.id)
            .where(
                Project.normalized == normalized,
                Release.canonical == canonical,
                File.filename == filename,
                File.deleted_at.is_(None),
            )
        ).first()
    if row is None:
        raise NotFound(f"{normalized} {version} has no file {filename!r}")
    if row.provenance is None:
        raise NotFound(
            f"{filename} has no provenance: it was uploaded without attestations "
            "(twine upload --attestations sends them)"
        )
    body = json.dumps(row.provenance, separators=(",", ":")).encode()
    return Response(body, media_type=INTEGRITY_V1, headers={"Cache-Control": CACHE_CONTROL})


def _normalized(project: str) -> str:
    try:
        return canonicalize_name(project, validate=True)
    except InvalidName as exc:
        raise NotFound(f"no project named {project!r}: that is not a valid project name") from exc


def _canonical(version: str) -> str:
    try:
        return canonicalize_version(Version(version))
    except InvalidVersion as exc:
        raise NotFound(f"no release {version!r}: that is not a PEP 440 version") from exc
