"""The plugin API: JSON under ``/api/v1``, described by ``/openapi.json``.

A *plugin* here is a project whose release carries a plugin manifest
(``dativo-plugin.json``, extracted at upload). Search looks at the newest
release of each project that is not yanked and still has a file, as
``pip install NAME`` would; a project's other releases are listed by
``/api/v1/plugins/{project}``. Search, filters, sorting and pages are
:mod:`.search`'s, over the catalog (:mod:`.catalog`) and its full-text index.

Releases are returned with their attachments (conformance reports and
benchmark results, attached through :mod:`.publishing`) and their
certification level (:mod:`.certification`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from dativo_registry.certification import Level, release_certifications
from dativo_registry.deps import get_session
from dativo_registry.lookup import find_project, find_release
from dativo_registry.models import Attachment, File, Release, User
from dativo_registry.publishing import AttachmentOut, attachment_out
from dativo_registry.search import MAX_PER_PAGE, PluginCard, SearchParams, Sort, search_plugins
from dativo_registry.simple import version_key

__all__ = [
    "FileOut",
    "PluginList",
    "PluginSummary",
    "ProjectReleases",
    "ReleaseDetail",
    "router",
]

router = APIRouter(prefix="/api/v1", tags=["plugins"])

SessionDep = Annotated[Session, Depends(get_session)]

_CERTIFICATION = (
    "The level the newest signed conformance report about one of the release's files "
    "claims (compatible < verified < certified); certified only when signed by a publisher "
    "of the project about a file with verified provenance, else capped at verified; null "
    "without a signed report"
)


class PluginOut(BaseModel):
    """One reader or writer, as its manifest declares it."""

    kind: str = Field(examples=["reader"])
    connector: str = Field(examples=["postgres"])
    language: str = Field(examples=["python"])
    api: str = Field(description="PEP 440 range of plugin API versions", examples=[">=1,<2"])
    capabilities: list[str] = []
    description: str = ""


class PluginSummary(BaseModel):
    """A project's newest installable release that carries plugins."""

    name: str = Field(description="The project name as first uploaded")
    normalized: str = Field(description="The PEP 503 normalized name (the key of every URL)")
    version: str
    summary: str | None
    plugins: list[PluginOut] = Field(description="Its plugins that pass the plugin filters")
    certification: Level | None = Field(default=None, description=_CERTIFICATION)
    kinds: list[str] = Field(default=[], description="Of all its plugins")
    connectors: list[str] = []
    languages: list[str] = []
    signer: str | None = Field(
        default=None,
        description='Who signed the release: an identity, or "key sha256:..."; null if unsigned',
    )
    verified_publisher: bool = Field(
        default=False,
        description="A wheel of the release has verified provenance by a current publisher "
        "of the project",
    )
    downloads: int = Field(default=0, description="Downloads of all the project's files")
    throughput_ratio: float | None = Field(
        default=None,
        description="rows/s of the plugin over its built-in baseline's, from the newest "
        "signed benchmark; null without one",
    )
    updated: dt.datetime | None = Field(default=None, description="When the release appeared")


class PluginList(BaseModel):
    plugins: list[PluginSummary]
    total: int = Field(default=0, description="Matches in all pages")
    page: int = 1
    per_page: int = 20


class ReleaseSummary(BaseModel):
    version: str
    summary: str | None
    yanked: bool
    yanked_reason: str | None
    has_manifest: bool = Field(description="Whether this release carries plugins")
    created_at: dt.datetime


class ProjectReleases(BaseModel):
    name: str
    normalized: str
    releases: list[ReleaseSummary] = Field(description="Newest first")


class FileOut(BaseModel):
    filename: str
    url: str = Field(description="Download URL, relative to the registry root")
    sha256: str
    size: int
    packagetype: str = Field(examples=["bdist_wheel", "sdist"])
    python_version: str
    requires_python: str | None
    metadata_sha256: str | None = Field(description="SHA-256 of the PEP 658 metadata file")
    upload_time: dt.datetime


class ConfigSchema(BaseModel):
    """The JSON Schema of one plugin's config, as its manifest declares it."""

    kind: str
    connector: str
    config_schema: dict[str, Any]


class ReleaseDetail(BaseModel):
    name: str
    normalized: str
    version: str
    summary: str | None
    yanked: bool
    yanked_reason: str | None
    manifest: dict[str, Any] | None = Field(
        description="The plugin manifest (dativo-plugin.json); null for an ordinary package"
    )
    config_schemas: list[ConfigSchema]
    metadata: dict[str, Any] = Field(description="Core metadata fields of the first file")
    files: list[FileOut]
    attachments: list[AttachmentOut] = Field(description="Conformance reports and benchmarks")
    certification: Level | None = Field(default=None, description=_CERTIFICATION)


@router.get("/plugins", summary="List and search plugins")
def list_plugins(
    session: SessionDep,
    q: Annotated[
        str | None,
        Query(
            max_length=500,
            description="Words matched in names, summaries, plugin connectors and "
            "descriptions, keywords and READMEs; all must match, the last as a prefix",
        ),
    ] = None,
    kind: Annotated[Literal["reader", "writer"] | None, Query()] = None,
    connector: Annotated[str | None, Query(examples=["postgres"])] = None,
    language: Annotated[str | None, Query(examples=["python", "rust"])] = None,
    api_version: Annotated[
        str | None, Query(description="Keep plugins whose API range contains this version")
    ] = None,
    certification: Annotated[
        Level | None, Query(description="Keep releases certified at least at this level")
    ] = None,
    signed: Annotated[
        bool, Query(description="Keep releases signed by a verified publisher of the project")
    ] = False,
    sort: Annotated[
        Sort,
        Query(description="relevance (without q: downloads), name, newest, downloads, throughput"),
    ] = "relevance",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 20,
) -> PluginList:
    """Plugins whose newest installable release matches every filter given, one page of them.

    Filters apply to each plugin of a release: a release matches when one of
    its plugins passes them all, and only the plugins that pass are listed.
    ``certification`` keeps releases certified at that level or higher (see
    :mod:`.certification`). Ties are broken by name.
    """
    params = SearchParams(
        q=q,
        kind=kind,
        connector=connector,
        language=language,
        certification=certification,
        signed=signed,
        sort=sort,
        page=page,
        per_page=per_page,
        api_version=_parse_version(api_version) if api_version else None,
    )
    result = search_plugins(session, params)
    return PluginList(
        plugins=[_summary(card) for card in result.items],
        total=result.total,
        page=page,
        per_page=per_page,
    )


def _summary(card: PluginCard) -> PluginSummary:
    return PluginSummary(
        name=card.name,
        normalized=card.normalized,
        version=card.version,
        summary=card.summary,
        plugins=[PluginOut.model_validate(spec) for spec in card.plugins],
        certification=card.certification,
        kinds=card.kinds,
        connectors=card.connectors,
        languages=card.languages,
        signer=card.signer,
        verified_publisher=card.verified_publisher,
        downloads=card.downloads,
        throughput_ratio=card.throughput_ratio,
        updated=card.updated,
    )


@router.get("/plugins/{project}", summary="A project's releases")
def project_releases(project: str, session: SessionDep) -> ProjectReleases:
    """Every release of a project (any spelling of its name), newest first, yanked included."""
    row = find_project(session, project)
    releases = sorted(row.releases, key=lambda r: version_key(r.version), reverse=True)
    return ProjectReleases(
        name=row.name,
        normalized=row.normalized,
        releases=[
            ReleaseSummary(
                version=r.version,
                summary=r.summary,
                yanked=r.yanked,
                yanked_reason=r.yanked_reason,
                has_manifest=r.manifest is not None,
                created_at=r.created_at,
            )
            for r in releases
        ],
    )


@router.get(
    "/plugins/{project}/{version}",
    summary="A release: manifest, config schemas, files with digests, attachments",
)
def release_detail(project: str, version: str, session: SessionDep) -> ReleaseDetail:
    """A release: its manifest, config schemas, files and their digests, and attachments."""
    release = find_release(session, project, version)
    return _detail(session, release)


# -- queries ------------------------------------------------------------------------


def _detail(session: Session, release: Release) -> ReleaseDetail:
    files = session.scalars(
        select(File)
        .where(File.release_id == release.id, File.deleted_at.is_(None))
        .order_by(File.filename)
    ).all()
    attachments = session.execute(
        select(Attachment, User.name)
        .outerjoin(User, User.id == Attachment.uploader_id)
        .where(Attachment.release_id == release.id)
        .order_by(Attachment.id)
    ).all()
    manifest = release.manifest
    return ReleaseDetail(
        name=release.project.name,
        normalized=release.project.normalized,
        version=release.version,
        summary=release.summary,
        yanked=release.yanked,
        yanked_reason=release.yanked_reason,
        manifest=manifest,
        config_schemas=[
            ConfigSchema(
                kind=str(p.get("kind", "")),
                connector=str(p.get("connector", "")),
                config_schema=p.get("config_schema") or {},
            )
            for p in _manifest_plugins(manifest)
        ],
        metadata=release.metadata_fields or {},
        files=[
            FileOut(
                filename=f.filename,
                url=f"/files/{f.sha256}/{f.filename}",
                sha256=f.sha256,
                size=f.size,
                packagetype=f.packagetype,
                python_version=f.python_version,
                requires_python=f.requires_python,
                metadata_sha256=f.metadata_sha256,
                upload_time=f.uploaded_at,
            )
            for f in files
        ],
        attachments=[attachment_out(a, uploader) for a, uploader in attachments],
        certification=release_certifications(session, [release])[release.id],
    )


# -- manifests and versions -----------------------------------------------------------


def _manifest_plugins(manifest: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The plugin entries of a manifest (validated at upload; read defensively)."""
    plugins = (manifest or {}).get("plugins")
    return [p for p in plugins if isinstance(p, dict)] if isinstance(plugins, list) else []


def _parse_version(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion as exc:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"api_version {text!r} is not a PEP 440 version, e.g. 1"
        ) from exc
