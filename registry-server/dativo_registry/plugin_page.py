"""What a plugin's marketplace page shows, gathered from the database in a few queries.

The page shows one release: the project's newest installable plugin
release (a manifest, not yanked, a live file: what ``dativo-pkg install``
picks), else its newest installable release, else its newest release. Around
it:

- every release, newest first, yanked ones with their reason, each with its
  certification level: :func:`.certification.certification_level`, the rule
  the plugin API applies, on the facts loaded here (so the page reads the
  files and the attachments once);
- the release's README (core metadata ``Description``) and config schemas;
- the newest *signed* conformance report about one of its live files: the
  one its certification level comes from;
- per release (ten at most), the newest signed benchmark about one of its
  live files, for the chart;
- the signer: the publisher named by a live file's verified provenance
  (PEP 740), wheels first; ``verified`` when that is a current publisher of
  the project and the file a wheel (as the catalog's ``verified_publisher``
  says), ``unverified`` for another signer, ``unsigned`` without provenance;
- downloads of all the project's files.

Nothing is cached: every request reads the current state, in seven queries
(bodies are read only for what is shown: the report and the charted
benchmarks; other reports give just their ``level``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dativo_index.markdown import render_readme
from dativo_index.pages import (
    BenchmarkRow,
    ConfigTable,
    Conformance,
    PluginView,
    SignerView,
    VersionRow,
)
from dativo_index.reports import benchmark_result, conformance_checks
from dativo_index.schema_table import schema_rows
from dativo_pkg.trust import KEY_ISSUER, Publisher, SignerIdentity
from dativo_registry.catalog import plugin_specs
from dativo_registry.certification import Level, ReportFact, certification_level
from dativo_registry.errors import NotFound
from dativo_registry.lookup import find_project
from dativo_registry.models import Attachment, File, Release
from dativo_registry.publishers import project_publishers
from dativo_registry.simple import version_key

__all__ = ["MAX_CHART_VERSIONS", "plugin_view"]

#: Versions shown in the benchmark chart (the newest that have a signed benchmark).
MAX_CHART_VERSIONS = 10
_MAX_LINKS = 10


def plugin_view(session: Session, name: str) -> PluginView:
    """The page of project ``name`` (any spelling); NotFound if there is no such project."""
    project = find_project(session, name)
    releases = sorted(project.releases, key=lambda r: version_key(r.version), reverse=True)
    if not releases:
        raise NotFound(f"project {project.name} has no releases")
    files = session.execute(
        select(
            File.release_id,
            File.filename,
            File.packagetype,
            File.sha256,
            File.provenance,
            File.downloads,
            File.deleted_at,
        ).where(File.release_id.in_([r.id for r in releases]))
    ).all()
    live: dict[int, dict[str, Any]] = defaultdict(dict)
    for row in files:
        if row.deleted_at is None:
            live[row.release_id][row.sha256] = row
    shown = _shown(releases, live)
    signed = _signed(session, releases, shown, live)
    publishers = project_publishers(session, project.normalized)
    levels = _certifications(releases, signed, live, publishers)
    fields = shown.metadata_fields or {}
    specs = plugin_specs(shown.manifest)
    return PluginView(
        name=project.name,
        normalized=project.normalized,
        version=shown.version,
        summary=shown.summary,
        readme=render_readme(_raw(fields.get("Description")), _text(fields.get(_CONTENT_TYPE))),
        certification=levels[shown.id],
        signer=_signer(live[shown.id].values(), publishers),
        downloads=sum(row.downloads or 0 for row in files),
        plugins=[(s["kind"], s["connector"], s["language"]) for s in specs],
        versions=[
            VersionRow(
                version=r.version,
                created=r.created_at,
                yanked=r.yanked,
                yanked_reason=r.yanked_reason,
                certification=levels[r.id],
                current=r.id == shown.id,
            )
            for r in releases
        ],
        configs=_configs(shown.manifest),
        conformance=_conformance(signed.body(shown, "conformance"), live[shown.id]),
        unsigned_reports=signed.unsigned_reports,
        benchmarks=_benchmarks(releases, signed),
        links=_links(fields),
        license=_license(fields),
        requires_python=_text(fields.get("Requires-Python")),
        installable=not shown.yanked and bool(live[shown.id]),
    )


_CONTENT_TYPE = "Description-Content-Type"


def _shown(releases: Sequence[Release], live: Mapping[int, Mapping[str, Any]]) -> Release:
    """The release the page is about (``releases`` newest first)."""

    def installable(r: Release) -> bool:
        return not r.yanked and bool(live.get(r.id))

    for wanted in (lambda r: installable(r) and bool(plugin_specs(r.manifest)), installable):
        for release in releases:
            if wanted(release):
                return release
    return releases[0]


@dataclass(frozen=True)
class _Signed:
    """The newest signed attachments about live files, and what of them the page reads."""

    #: (release id, kind) -> the attachment's row (no body).
    newest: dict[tuple[int, str], Any]
    #: Attachment id -> body: the shown release's report and the charted benchmarks.
    bodies: dict[int, Any]
    #: Attachment id -> the level a newest report claims (its top-level ``level``).
    claimed: dict[int, Any]
    #: The shown release's unsigned conformance reports (stored, but they bind no file).
    unsigned_reports: int

    def body(self, release: Release, kind: str) -> tuple[Any, Any] | None:
        row = self.newest.get((release.id, kind))
        return None if row is None or row.id not in self.bodies else (row, self.bodies[row.id])


def _signed(
    session: Session,
    releases: Sequence[Release],
    shown: Release,
    live: Mapping[int, Mapping[str, Any]],
) -> _Signed:
    """Three queries: every attachment's row, the bodies shown, the levels reports claim."""
    rows = session.execute(
        select(
            Attachment.id,
            Attachment.release_id,
            Attachment.kind,
            Attachment.subject_sha256,
            Attachment.subject_filename,
            Attachment.signer_issuer,
            Attachment.signer_identity,
            Attachment.created_at,
        )
        .where(Attachment.release_id.in_([r.id for r in releases]))
        .order_by(Attachment.id)
    ).all()
    newest: dict[tuple[int, str], Any] = {}
    unsigned = 0
    for row in rows:  # oldest first: a later one replaces an earlier one
        if row.subject_sha256 is not None and row.subject_sha256 in live.get(row.release_id, {}):
            newest[(row.release_id, row.kind)] = row
        elif row.subject_sha256 is None and row.release_id == shown.id:
            unsigned += row.kind == "conformance"
    order = {r.id: n for n, r in enumerate(releases)}
    charted = sorted(
        (key for key in newest if key[1] == "benchmark"), key=lambda key: order[key[0]]
    )[:MAX_CHART_VERSIONS]
    wanted = [newest[key].id for key in charted]
    if (shown.id, "conformance") in newest:
        wanted.append(newest[(shown.id, "conformance")].id)
    query = select(Attachment.id, Attachment.body).where(Attachment.id.in_(wanted))
    bodies: dict[int, Any] = {row.id: row.body for row in session.execute(query)}
    reports = [row.id for key, row in newest.items() if key[1] == "conformance"]
    level = Attachment.body["level"].as_string()
    claimed: dict[int, Any] = {}
    if reports:
        query = select(Attachment.id, level).where(Attachment.id.in_(reports))
        claimed = {row[0]: row[1] for row in session.execute(query)}
    return _Signed(newest, bodies, claimed, unsigned)


def _certifications(
    releases: Sequence[Release],
    signed: _Signed,
    live: Mapping[int, Mapping[str, Any]],
    publishers: Sequence[Publisher],
) -> dict[int, Level | None]:
    """Release id -> its level, by :func:`.certification.certification_level` (the rule
    the plugin API applies) on the facts already loaded for the page."""
    levels: dict[int, Level | None] = {}
    for release in releases:
        row = signed.newest.get((release.id, "conformance"))
        reports = []
        if row is not None:
            signer = None
            if row.signer_issuer and row.signer_identity:
                signer = SignerIdentity(row.signer_issuer, row.signer_identity)
            claimed = signed.claimed.get(row.id)
            reports.append(ReportFact(row.id, claimed, row.subject_sha256, signer))
        files = {sha: f.provenance is not None for sha, f in live.get(release.id, {}).items()}
        levels[release.id] = certification_level(reports, files, publishers)
    return levels


def _conformance(found: Any, live: Mapping[str, Any]) -> Conformance | None:
    if found is None:
        return None
    row, body = found
    report = body if isinstance(body, Mapping) else {}
    signer = None
    if row.signer_issuer and row.signer_identity:
        signer = str(SignerIdentity(row.signer_issuer, row.signer_identity))
    created = _text(report.get("created_at"))
    if created is None and row.created_at is not None:
        created = row.created_at.isoformat(timespec="seconds")
    claimed = report.get("level")
    return Conformance(
        checks=conformance_checks(report),
        claimed=claimed if isinstance(claimed, str) else None,
        signer=signer,
        created=created,
        subject=row.subject_filename or getattr(live.get(row.subject_sha256), "filename", None),
    )


def _benchmarks(releases: Sequence[Release], signed: _Signed) -> list[BenchmarkRow]:
    rows = []
    for release in releases:  # newest first
        found = signed.body(release, "benchmark")
        result = benchmark_result(found[1]) if found is not None else None
        if result is not None:
            rows.append(BenchmarkRow(version=release.version, result=result))
    return rows


def _signer(files: Iterable[Any], publishers: Sequence[Publisher]) -> SignerView:
    """Who signed the release's files, wheels first; verified if a wheel names a publisher."""
    shown: SignerView | None = None
    for row in sorted(files, key=lambda f: (f.packagetype != "bdist_wheel", f.filename)):
        for publisher in _provenance_publishers(row.provenance):
            view = _signer_view(publisher, row.filename, "unverified")
            if view is None:
                continue
            if row.packagetype == "bdist_wheel" and _is_current(view, publishers):
                return _signer_view(publisher, row.filename, "verified") or view
            shown = shown or view
    return shown or SignerView(status="unsigned")


def _provenance_publishers(provenance: Any) -> Iterable[Mapping[str, Any]]:
    bundles = provenance.get("attestation_bundles") if isinstance(provenance, Mapping) else None
    for bundle in bundles if isinstance(bundles, list) else []:
        publisher = bundle.get("publisher") if isinstance(bundle, Mapping) else None
        if isinstance(publisher, Mapping):
            yield publisher


def _signer_view(
    publisher: Mapping[str, Any], filename: str, status: Literal["verified", "unverified"]
) -> SignerView | None:
    if publisher.get("kind") == "PublisherKey":
        key_id = _text(publisher.get("key_id"))
        if key_id is None:
            return None
        return SignerView(status=status, kind="key", key_id=key_id, filename=filename)
    identity, issuer = _text(publisher.get("identity")), _text(publisher.get("issuer"))
    if identity is None:
        return None
    return SignerView(
        status=status, kind="oidc", identity=identity, issuer=issuer, filename=filename
    )


def _is_current(view: SignerView, publishers: Sequence[Publisher]) -> bool:
    if view.kind == "key":
        signer = SignerIdentity(KEY_ISSUER, view.key_id or "")
    else:
        signer = SignerIdentity(view.issuer or "", view.identity or "")
    return any(p.matches(signer) for p in publishers)


def _configs(manifest: Mapping[str, Any] | None) -> list[ConfigTable]:
    plugins = manifest.get("plugins") if isinstance(manifest, Mapping) else None
    return [
        ConfigTable(
            kind=str(p.get("kind", "")),
            connector=str(p.get("connector", "")),
            rows=schema_rows(p.get("config_schema") or {}),
        )
        for p in (plugins if isinstance(plugins, list) else [])
        if isinstance(p, Mapping)
    ]


def _links(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Project-URL entries (and Home-page) that are http(s) URLs: (label, url)."""
    found: list[tuple[str, str]] = []
    home = _text(fields.get("Home-page"))
    if home:
        found.append(("Homepage", home))
    urls = fields.get("Project-URL")
    for entry in urls if isinstance(urls, list) else []:
        label, _, url = str(entry).partition(",")
        found.append((label.strip() or "Link", url.strip()))
    safe = [
        (label[:60], url)
        for label, url in found
        if url.lower().startswith(("https://", "http://")) and not any(c.isspace() for c in url)
    ]
    return list(dict.fromkeys(safe))[:_MAX_LINKS]


def _license(fields: Mapping[str, Any]) -> str | None:
    """License-Expression, or a one-line License field (some hold the whole license text)."""
    for key in ("License-Expression", "License"):
        value = _text(fields.get(key))
        if value and "\n" not in value and len(value) <= 100:
            return value
    return None


def _raw(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
