"""The catalog: one denormalized row per listed project, what search reads.

A project is listed while it has an *installable plugin release*: a release
with a plugin manifest, not yanked, with a live file (the newest such, in
PEP 440 order, as ``pip install NAME`` picks). Its :class:`CatalogEntry`
holds what a search filters, sorts and shows, so that a search reads the
catalog and its full-text index only:

- the release's name, version, summary and plugins (kinds, connectors,
  languages; one :class:`CatalogPlugin` row each); the text the full-text
  index covers is in a :class:`CatalogText` row of its own (:mod:`.fulltext`),
  so that the entry stays narrow;
- its certification level (:mod:`.certification`);
- its signer, and whether that is a *verified publisher*: a wheel of the
  release has verified provenance (PEP 740) naming a current publisher of
  the project (:mod:`.publishers`). The signer is shown as an identity, or
  ``key sha256:...`` for a publisher key;
- the throughput ratio: the plugin's rows/s divided by its built-in
  baseline's, from the newest *signed* benchmark about one of the release's
  live files (``ratios.rows_per_second`` of what ``dativo-pkg bench`` writes);
- downloads of all the project's files (``files.downloads``, counted by
  :func:`record_download` when a file is served) and ``updated``.

:func:`refresh_catalog` recomputes a project's entry in the caller's
transaction; uploads, yanks, attachments and publisher changes call it.
It also stamps ``projects.catalog_serial`` with the project's serial, which
every file or yank change bumps: a project changed behind the registry's
back (an administrator's SQL) is found by :func:`stale_projects` and
refreshed by the next search. Migration 0003 fills the catalog with
:func:`refresh_all`. ``downloads`` is set when an entry is created and then
only incremented, so a refresh never loses a concurrent download.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeGuard

from sqlalchemy import Connection, Engine, Table, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from dativo_pkg.trust import KEY_ISSUER, Publisher, SignerIdentity
from dativo_registry import fulltext
from dativo_registry.catalog_facts import (
    ReleaseFacts,
    load_facts,
    newest_installable,
    plugin_specs,
)
from dativo_registry.certification import LEVELS, certification_level
from dativo_registry.models import (
    CATALOG_STALE,
    CatalogEntry,
    CatalogPlugin,
    CatalogText,
    File,
    Project,
    Release,
)

__all__ = [
    "plugin_specs",
    "record_download",
    "refresh_all",
    "refresh_catalog",
    "refresh_stale",
    "stale_projects",
]

log = logging.getLogger(__name__)

#: Characters of the README that are indexed.
MAX_DESCRIPTION_CHARS = 20_000
#: Projects computed per round of queries by :func:`refresh_all`.
BATCH = 500


def refresh_catalog(session: Session, project: Project | str) -> None:
    """Recompute the catalog entry of ``project`` (a row or a normalized name) in this
    transaction: write it, or remove it when nothing is installable. Never commits."""
    session.flush()
    if isinstance(project, str):
        project_id = session.scalar(select(Project.id).where(Project.normalized == project))
        if project_id is None:  # e.g. a publisher registered before the first upload
            return
    else:
        project_id = project.id
    _refresh(session, [project_id])


def refresh_all(session: Session) -> int:
    """Recompute every project's entry (migration back-fill); the number of entries listed."""
    ids = list(session.scalars(select(Project.id).order_by(Project.id)))
    for start in range(0, len(ids), BATCH):
        _refresh(session, ids[start : start + BATCH])
    return session.scalar(select(func.count()).select_from(CatalogEntry)) or 0


def stale_projects(session: Session) -> list[int]:
    """Projects whose serial moved since their entry was computed.

    Reads the partial index ``ix_projects_catalog_stale``, which holds exactly
    those projects: normally none, so this costs next to nothing per search.
    """
    return list(session.scalars(select(Project.id).where(text(CATALOG_STALE))))


def refresh_stale(session: Session) -> int:
    """Refresh and commit the entries of :func:`stale_projects`; how many there were."""
    ids = stale_projects(session)
    if ids:
        log.info("refreshing the catalog entries of %d changed project(s)", len(ids))
        for start in range(0, len(ids), BATCH):
            _refresh(session, ids[start : start + BATCH])
        session.commit()
    return len(ids)


def record_download(engine: Engine, file_id: int) -> None:
    """Count one download of file ``file_id``, and of its project's entry.

    Best effort: a download must not fail because the count could not be
    written (a database busy beyond its timeout); that is logged instead.
    """
    project = (
        select(Release.project_id)
        .join(File, File.release_id == Release.id)
        .where(File.id == file_id)
        .scalar_subquery()
    )
    try:
        with engine.begin() as conn:
            _increment(conn, file_id, project)
    except DBAPIError as exc:
        log.warning("download of file %d not counted: %s", file_id, exc)


def _increment(conn: Connection, file_id: int, project: Any) -> None:
    conn.execute(update(File).where(File.id == file_id).values(downloads=File.downloads + 1))
    conn.execute(
        update(CatalogEntry)
        .where(CatalogEntry.project_id == project)
        .values(downloads=CatalogEntry.downloads + 1)
    )


# -- computing and writing entries -------------------------------------------------------------


def _refresh(session: Session, project_ids: Sequence[int]) -> None:
    """Recompute the entries of ``project_ids``: a handful of statements, whatever their number."""
    newest = newest_installable(session, project_ids)
    facts = load_facts(session, list(newest.values()))
    listed = {p: facts[newest[p]] for p in project_ids if newest.get(p) in facts}
    gone = [p for p in project_ids if p not in listed]
    if gone:
        for model in (CatalogText, CatalogPlugin, CatalogEntry):
            session.execute(delete(model).where(model.project_id.in_(gone)))
    if listed:
        # The entry's upsert first: it locks the entry, so concurrent refreshes of a
        # project replace its text and plugin rows one after the other.
        _upsert(session, CatalogEntry, [_entry(p, f) for p, f in listed.items()])
        _upsert(session, CatalogText, [_text(p, f) for p, f in listed.items()])
        session.execute(delete(CatalogPlugin).where(CatalogPlugin.project_id.in_(list(listed))))
        rows = [
            {"project_id": p, "position": n, **_facets(spec)}
            for p, found in listed.items()
            for n, spec in enumerate(found.plugins)
        ]
        if rows:
            session.execute(insert(CatalogPlugin), rows)
    session.execute(
        update(Project)
        .where(Project.id.in_(project_ids))
        .values(catalog_serial=Project.serial)
        .execution_options(synchronize_session=False)
    )


def _upsert(
    session: Session, model: type[CatalogEntry | CatalogText], rows: list[dict[str, Any]]
) -> None:
    """Insert or update ``rows`` by project; an entry's ``downloads`` is only ever incremented."""
    table = model.__table__
    assert isinstance(table, Table)
    upsert = fulltext.for_session(session).insert(table)
    keep = {"project_id", "downloads"}
    changed = {c.name: upsert.excluded[c.name] for c in table.columns if c.name not in keep}
    session.execute(upsert.on_conflict_do_update(index_elements=["project_id"], set_=changed), rows)


def _facets(spec: Mapping[str, Any]) -> dict[str, str]:
    return {"kind": spec["kind"], "connector": spec["connector"], "language": spec["language"]}


def _entry(project_id: int, facts: ReleaseFacts) -> dict[str, Any]:
    level = certification_level(facts.reports, facts.files_verified, facts.publishers)
    signer, verified = _signer(facts)
    return {
        "project_id": project_id,
        "release_id": facts.release_id,
        "name": facts.name,
        "normalized": facts.normalized,
        "version": facts.version,
        "summary": facts.summary,
        "plugins": facts.plugins,
        "certification": level,
        "certification_rank": 0 if level is None else LEVELS.index(level) + 1,
        "signer": signer,
        "verified_publisher": verified,
        "downloads": facts.downloads,
        "throughput_ratio": _throughput(facts.benchmarks),
        "updated": facts.created_at,
    }


def _text(project_id: int, facts: ReleaseFacts) -> dict[str, Any]:
    description = facts.metadata_fields.get("Description")
    return {
        "project_id": project_id,
        "name": facts.name,
        "summary": facts.summary,
        "search_text": _search_text(facts),
        "description_text": (description if isinstance(description, str) else "")[
            :MAX_DESCRIPTION_CHARS
        ],
    }


def _search_text(facts: ReleaseFacts) -> str:
    keywords = facts.metadata_fields.get("Keywords")
    words: list[str] = [facts.normalized]
    for spec in facts.plugins:
        words += [spec["connector"], spec["kind"], spec["language"], *spec["capabilities"]]
        words.append(spec["description"])
    words += keywords if isinstance(keywords, list) else [str(keywords or "")]
    return " ".join(word for word in words if word)


def _signer(facts: ReleaseFacts) -> tuple[str | None, bool]:
    """Who signed the release (its wheels first) and whether that is a current publisher."""
    shown = None
    for packagetype, provenance in facts.provenance:
        for publisher in _provenance_publishers(provenance):
            name = _describe(publisher)
            if name is None:
                continue
            if packagetype == "bdist_wheel" and _is_current(publisher, facts.publishers):
                return name, True
            shown = shown or name
    return shown, False


def _provenance_publishers(provenance: Any) -> Iterable[Mapping[str, Any]]:
    bundles = provenance.get("attestation_bundles") if isinstance(provenance, dict) else None
    for bundle in bundles if isinstance(bundles, list) else []:
        publisher = bundle.get("publisher") if isinstance(bundle, dict) else None
        if isinstance(publisher, dict):
            yield publisher


def _describe(publisher: Mapping[str, Any]) -> str | None:
    if publisher.get("kind") == "PublisherKey":
        key_id = publisher.get("key_id")
        return f"key {key_id}" if isinstance(key_id, str) else None
    identity = publisher.get("identity")
    return identity if isinstance(identity, str) else None


def _is_current(publisher: Mapping[str, Any], publishers: Sequence[Publisher]) -> bool:
    if publisher.get("kind") == "PublisherKey":
        signer = SignerIdentity(KEY_ISSUER, str(publisher.get("key_id")))
    else:
        signer = SignerIdentity(str(publisher.get("issuer")), str(publisher.get("identity")))
    return any(p.matches(signer) for p in publishers)


def _throughput(benchmarks: Sequence[Any]) -> float | None:
    """rows/s of the plugin over its baseline's, from the newest benchmark that states it."""
    for body in benchmarks:  # newest first
        ratio = _ratio(body)
        if ratio is not None:
            return ratio
    return None


def _ratio(body: Any) -> float | None:
    if not isinstance(body, dict):
        return None
    ratios = body.get("ratios")
    stated = ratios.get("rows_per_second") if isinstance(ratios, dict) else None
    if _positive(stated):
        return round(float(stated), 3)
    sides: dict[str, Any] = defaultdict(lambda: None)
    results = body.get("results")
    for side in results if isinstance(results, list) else []:
        if isinstance(side, dict):
            sides[str(side.get("role"))] = side.get("rows_per_second")
    plugin, baseline = sides["plugin"], sides["baseline"]
    if _positive(plugin) and _positive(baseline):
        return round(float(plugin) / float(baseline), 3)
    return None


def _positive(value: Any) -> TypeGuard[int | float]:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )
