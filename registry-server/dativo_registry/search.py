"""Marketplace search: full text, filters, sorting and pages over the catalog.

:func:`search_plugins` runs two or three queries on the catalog
(:mod:`.catalog`): the ids of the page (matched, filtered, ranked and sorted
on narrow rows; a text search's carry the total as a window count), the
total when the page does not tell it, and the page's entries. Text matching
and ranking are the database's (:mod:`.fulltext`); a ``q`` with no letters
or digits matches nothing.
Filters:

- ``kind``, ``connector``, ``language`` (exact) must hold for one plugin of
  the release together, as does the API's ``api_version`` (a PEP 440
  version the plugin's API range must contain; checked in Python, so a
  search with it reads every candidate before paging);
- ``certification``: that level or higher (compatible < verified < certified);
- ``signed``: the newest release is signed by a verified publisher.

Sorts (ties by name): ``relevance`` (the text rank, then downloads; without
``q``, downloads), ``name``, ``newest`` (release time), ``downloads``,
``throughput`` (ratio to the built-in baseline; unmeasured last).

Before searching, entries of projects changed outside the registry's own
code paths are recomputed (:func:`.catalog.refresh_stale`): one scan of
``projects``, and normally nothing to do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version
from sqlalchemy import ColumnCollection, ColumnElement, Row, Select, exists, func, select
from sqlalchemy.orm import Session

from dativo_registry import fulltext
from dativo_registry.catalog import refresh_stale
from dativo_registry.certification import LEVELS, Level
from dativo_registry.errors import RegistryError
from dativo_registry.models import CatalogEntry, CatalogPlugin

__all__ = [
    "MAX_PER_PAGE",
    "SORTS",
    "PluginCard",
    "SearchParams",
    "SearchResult",
    "Sort",
    "search_plugins",
]

Sort = Literal["relevance", "name", "newest", "downloads", "throughput"]
SORTS: tuple[Sort, ...] = get_args(Sort)
MAX_PER_PAGE = 100


class BadSearch(RegistryError):
    status = 400


@dataclass(frozen=True)
class SearchParams:
    q: str | None = None
    kind: str | None = None
    connector: str | None = None
    language: str | None = None
    #: At least this level.
    certification: Level | None = None
    #: Only plugins whose newest release is signed by a verified publisher.
    signed: bool = False
    sort: Sort = "relevance"
    page: int = 1
    per_page: int = 20
    #: The plugin API version a plugin's range must contain (the API's ``api_version``).
    api_version: Version | None = None

    def __post_init__(self) -> None:
        if self.page < 1 or not 1 <= self.per_page <= MAX_PER_PAGE:
            raise BadSearch(f"page must be >= 1 and per_page between 1 and {MAX_PER_PAGE}")
        if self.sort not in SORTS:
            raise BadSearch(f"sort must be one of {', '.join(SORTS)}")
        if self.certification is not None and self.certification not in LEVELS:
            raise BadSearch(f"certification must be one of {', '.join(LEVELS)}")


@dataclass(frozen=True)
class PluginCard:
    """One listed project: its newest installable plugin release."""

    name: str
    normalized: str
    version: str
    summary: str | None
    kinds: list[str]
    connectors: list[str]
    languages: list[str]
    certification: Level | None
    #: The signer's identity, or "key sha256:..." for a publisher key; None if unsigned.
    signer: str | None
    verified_publisher: bool
    downloads: int
    #: The plugin's rows/s over its built-in baseline's (newest signed benchmark).
    throughput_ratio: float | None
    updated: dt.datetime
    #: The release's plugins that pass the plugin filters (all of them without filters).
    plugins: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class SearchResult:
    total: int
    items: list[PluginCard]


def search_plugins(session: Session, params: SearchParams) -> SearchResult:
    """The page ``params`` asks for, and how many entries match in all."""
    refresh_stale(session)
    terms = fulltext.parse_terms(params.q)
    if (params.q or "").strip() and not terms:
        return SearchResult(total=0, items=[])
    if any("\x00" in (v or "") for v in (params.kind, params.connector, params.language)):
        return SearchResult(total=0, items=[])  # no stored name holds NUL (PostgreSQL refuses)
    ids, count = _ranked(session, params, terms)
    start = (params.page - 1) * params.per_page
    if params.api_version is None:
        page = session.execute(ids.limit(params.per_page).offset(start)).all()
        total = _total(session, page, start, params.per_page, count)
    else:  # a plugin's API range: a PEP 440 specifier, so checked here, before paging
        candidates = session.execute(ids)
        matching = [row for row in candidates if _matching(row.plugins, params)]
        page, total = matching[start : start + params.per_page], len(matching)
    # The page's rows last, by id: ranking and sorting only ever handle narrow rows.
    wanted = [row.project_id for row in page]
    rows = session.scalars(select(CatalogEntry).where(CatalogEntry.project_id.in_(wanted)))
    by_id = {row.project_id: row for row in rows}
    items = [by_id[i] for i in wanted if i in by_id]
    return SearchResult(total=total, items=[_card(r, _matching(r.plugins, params)) for r in items])


def _ranked(
    session: Session, params: SearchParams, terms: fulltext.Terms
) -> tuple[Select[Any], Select[Any]]:
    """The ids of the entries ``params`` asks for, in order, and how to count them.

    Without words, the catalog filtered and sorted (its indexes serve the sorts).
    With words, the entries that match and pass the filters are first gathered,
    as narrow rows of what the sort needs, in a materialized CTE (the planner
    may not fold it into the outer query); the outer query sorts them and
    counts them in the same pass, so its rows carry the ``total``.
    """
    filters = _filters(params)
    extra = [CatalogEntry.plugins] if params.api_version is not None else []
    if not terms:
        ids = select(CatalogEntry.project_id, *extra).where(*filters)
        count = select(func.count()).select_from(CatalogEntry).where(*filters)
        return ids.order_by(*_order(params.sort, CatalogEntry.__table__.c)), count
    keys = [getattr(CatalogEntry, name) for name in _SORT_KEYS]
    matched, score = fulltext.for_session(session).apply(select(*keys, *extra), terms)
    if params.sort == "relevance":  # the score costs a pass over each match's text
        matched = matched.add_columns(score.label("score"))
    found = matched.where(*filters).cte("found").prefix_with("MATERIALIZED")
    total = func.count().over().label("total")
    ids = select(found.c.project_id, *(found.c[c.key] for c in extra), total)
    return ids.order_by(*_order(params.sort, found.c)), select(func.count()).select_from(found)


#: The catalog columns a search sorts by (and the id).
_SORT_KEYS = ("project_id", "downloads", "normalized", "updated", "throughput_ratio")


def _total(
    session: Session, page: Sequence[Row[Any]], start: int, per_page: int, count: Select[Any]
) -> int:
    """How many entries match: from the page when it tells, else counted.

    A text search's rows carry the total (a window count over the matches, which it
    sorts anyway); a short or empty first page is the last one; otherwise, ``count``.
    """
    if page and "total" in page[0]._fields:
        return int(page[0].total)
    if 0 < len(page) < per_page or (start == 0 and not page):
        return start + len(page)
    return session.scalar(count) or 0


def _filters(params: SearchParams) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    plugin = [
        getattr(CatalogPlugin, name) == value
        for name, value in (
            ("kind", params.kind),
            ("connector", params.connector),
            ("language", params.language),
        )
        if value is not None
    ]
    if plugin:
        where.append(exists().where(CatalogPlugin.project_id == CatalogEntry.project_id, *plugin))
    if params.certification is not None:
        rank = LEVELS.index(params.certification) + 1
        where.append(CatalogEntry.certification_rank >= rank)
    if params.signed:
        where.append(CatalogEntry.verified_publisher.is_(True))
    return where


def _order(sort: Sort, columns: ColumnCollection[str, Any]) -> list[ColumnElement[Any]]:
    """The ORDER BY of ``sort`` over ``columns`` (the catalog's, or a search's narrow rows,
    which have a ``score`` for relevance)."""
    score = [columns["score"].desc()] if "score" in columns else []
    orders: dict[Sort, list[ColumnElement[Any]]] = {
        "relevance": [*score, columns["downloads"].desc()],
        "name": [],
        "newest": [columns["updated"].desc()],
        "downloads": [columns["downloads"].desc()],
        "throughput": [columns["throughput_ratio"].desc().nulls_last()],
    }
    return [*orders[sort], columns["normalized"].asc()]


def _matching(plugins: list[Any], params: SearchParams) -> list[dict[str, Any]]:
    """The plugins of an entry that pass every plugin filter of ``params``."""
    wanted = {"kind": params.kind, "connector": params.connector, "language": params.language}
    return [
        spec
        for spec in plugins
        if isinstance(spec, dict)
        and all(value is None or spec.get(key) == value for key, value in wanted.items())
        and (params.api_version is None or _api_contains(spec.get("api"), params.api_version))
    ]


def _api_contains(api_range: Any, version: Version) -> bool:
    try:
        return SpecifierSet(str(api_range)).contains(version, prereleases=True)
    except InvalidSpecifier:
        return False


def _card(row: CatalogEntry, plugins: list[dict[str, Any]]) -> PluginCard:
    specs = [spec for spec in row.plugins if isinstance(spec, Mapping)]
    level = row.certification if row.certification in LEVELS else None
    updated = row.updated
    if updated.tzinfo is None:  # SQLite stores UTC without the zone
        updated = updated.replace(tzinfo=dt.UTC)
    return PluginCard(
        name=row.name,
        normalized=row.normalized,
        version=row.version,
        summary=row.summary,
        kinds=_distinct(spec.get("kind") for spec in specs),
        connectors=_distinct(spec.get("connector") for spec in specs),
        languages=_distinct(spec.get("language") for spec in specs),
        certification=level,
        signer=row.signer,
        verified_publisher=row.verified_publisher,
        downloads=row.downloads,
        throughput_ratio=row.throughput_ratio,
        updated=updated,
        plugins=plugins,
    )


def _distinct(values: Any) -> list[str]:
    return list(dict.fromkeys(str(v) for v in values if v))
