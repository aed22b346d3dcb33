"""What a catalog entry is computed from, loaded for many projects in a few queries.

Queries name their columns rather than load ORM rows, so that migration
0003 can back-fill the catalog from a database whose tables later revisions
have extended.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dativo_pkg.trust import Publisher, SignerIdentity
from dativo_registry.certification import ReportFact
from dativo_registry.models import Attachment, File, Project, Release
from dativo_registry.models import Publisher as PublisherRow
from dativo_registry.simple import version_key

__all__ = ["ReleaseFacts", "load_facts", "newest_installable", "plugin_specs"]


def plugin_specs(manifest: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The plugins of a manifest with defaults filled in (validated at upload; read defensively)."""
    plugins = manifest.get("plugins") if isinstance(manifest, Mapping) else None
    return [
        {
            "kind": str(p.get("kind", "")),
            "connector": str(p.get("connector", "")),
            "language": str(p.get("language", "python")),
            "api": str(p.get("api", ">=1,<2")),
            "capabilities": [str(c) for c in p.get("capabilities") or []],
            "description": str(p.get("description", "")),
        }
        for p in (plugins if isinstance(plugins, list) else [])
        if isinstance(p, dict)
    ]


@dataclass
class ReleaseFacts:
    """One release, and what around it its catalog entry depends on."""

    release_id: int
    project_id: int
    name: str
    normalized: str
    version: str
    summary: str | None
    metadata_fields: dict[str, Any]
    plugins: list[dict[str, Any]]
    created_at: dt.datetime
    #: Signed conformance reports (certification input).
    reports: list[ReportFact] = field(default_factory=list)
    #: Live files: SHA-256 -> whether it has verified provenance.
    files_verified: dict[str, bool] = field(default_factory=dict)
    #: (packagetype, provenance document) of live files with provenance, wheels first.
    provenance: list[tuple[str, Any]] = field(default_factory=list)
    publishers: list[Publisher] = field(default_factory=list)
    #: Bodies of signed benchmarks about live files, newest first.
    benchmarks: list[Any] = field(default_factory=list)
    downloads: int = 0


def newest_installable(session: Session, project_ids: Sequence[int]) -> dict[int, int]:
    """Project id -> id of its newest release that has plugins, is not yanked and has a live
    file (projects without one are absent)."""
    live = select(File.id).where(File.release_id == Release.id, File.deleted_at.is_(None)).exists()
    rows = session.execute(
        select(Release.id, Release.project_id, Release.version, Release.manifest).where(
            Release.project_id.in_(project_ids),
            Release.manifest.is_not(None),
            Release.yanked.is_(False),
            live,
        )
    )
    newest: dict[int, tuple[Any, int]] = {}
    for release_id, project_id, version, manifest in rows:
        if not plugin_specs(manifest):
            continue
        key = version_key(version)
        if project_id not in newest or key > newest[project_id][0]:
            newest[project_id] = (key, release_id)
    return {project_id: release_id for project_id, (_, release_id) in newest.items()}


def load_facts(session: Session, release_ids: Sequence[int]) -> dict[int, ReleaseFacts]:
    """Release id -> its facts, for every release given (six queries)."""
    if not release_ids:
        return {}
    facts: dict[int, ReleaseFacts] = {}
    for row in session.execute(
        select(
            Release.id,
            Release.project_id,
            Project.name,
            Project.normalized,
            Release.version,
            Release.summary,
            Release.metadata_fields,
            Release.manifest,
            Release.created_at,
        )
        .join(Project, Project.id == Release.project_id)
        .where(Release.id.in_(release_ids))
    ):
        facts[row.id] = ReleaseFacts(
            release_id=row.id,
            project_id=row.project_id,
            name=row.name,
            normalized=row.normalized,
            version=row.version,
            summary=row.summary,
            metadata_fields=row.metadata_fields if isinstance(row.metadata_fields, dict) else {},
            plugins=plugin_specs(row.manifest),
            created_at=row.created_at,
        )
    _add_files(session, facts)
    _add_attachments(session, facts)
    _add_publishers(session, facts)
    _add_downloads(session, facts)
    return facts


def _add_files(session: Session, facts: dict[int, ReleaseFacts]) -> None:
    rows = session.execute(
        select(File.release_id, File.sha256, File.packagetype, File.provenance)
        .where(File.release_id.in_(list(facts)), File.deleted_at.is_(None))
        .order_by(File.packagetype != "bdist_wheel", File.filename)
    )
    for release_id, sha256, packagetype, provenance in rows:
        found = facts[release_id]
        found.files_verified[sha256] = provenance is not None
        if provenance is not None:
            found.provenance.append((packagetype, provenance))


def _add_attachments(session: Session, facts: dict[int, ReleaseFacts]) -> None:
    rows = session.execute(
        select(
            Attachment.id,
            Attachment.release_id,
            Attachment.kind,
            Attachment.body,
            Attachment.subject_sha256,
            Attachment.signer_issuer,
            Attachment.signer_identity,
        )
        .where(
            Attachment.release_id.in_(list(facts)),
            Attachment.kind.in_(["conformance", "benchmark"]),
            Attachment.subject_sha256.is_not(None),
        )
        .order_by(Attachment.id.desc())
    )
    for attachment_id, release_id, kind, body, sha256, issuer, identity in rows:
        found = facts[release_id]
        if sha256 not in found.files_verified:
            continue  # about a file removed since
        if kind == "benchmark":
            found.benchmarks.append(body)
            continue
        signer = SignerIdentity(issuer, identity) if issuer and identity else None
        level = body.get("level") if isinstance(body, dict) else None
        found.reports.append(ReportFact(attachment_id, level, sha256, signer))


def _add_publishers(session: Session, facts: dict[int, ReleaseFacts]) -> None:
    by_project: dict[str, list[Publisher]] = defaultdict(list)
    rows = session.execute(
        select(
            PublisherRow.project,
            PublisherRow.kind,
            PublisherRow.issuer,
            PublisherRow.identity,
            PublisherRow.public_key_pem,
        )
        .where(PublisherRow.project.in_({f.normalized for f in facts.values()}))
        .order_by(PublisherRow.id)
    )
    for project, kind, issuer, identity, pem in rows:
        publisher = (
            Publisher(kind="key", public_key_pem=pem)
            if kind == "key"
            else Publisher(kind="oidc", issuer=issuer, identity=identity)
        )
        by_project[project].append(publisher)
    for found in facts.values():
        found.publishers = by_project[found.normalized]


def _add_downloads(session: Session, facts: dict[int, ReleaseFacts]) -> None:
    by_project = {f.project_id: f for f in facts.values()}
    rows = session.execute(
        select(Release.project_id, func.coalesce(func.sum(File.downloads), 0))
        .join(File, File.release_id == Release.id)
        .where(Release.project_id.in_(list(by_project)))
        .group_by(Release.project_id)
    )
    for project_id, downloads in rows:
        by_project[project_id].downloads = int(downloads)
