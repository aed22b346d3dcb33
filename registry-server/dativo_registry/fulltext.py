"""Full-text search over the catalog: SQLite FTS5 or PostgreSQL ``tsvector``, one interface.

What a user types is never query syntax. :func:`parse_terms` keeps only
letters and digits: each whitespace-separated word becomes a phrase of its
alphanumeric runs (``dativo-pg`` is the phrase ``dativo pg``, as both
databases tokenize the indexed text), and the last word matches as a prefix,
so results appear while typing. Quotes, ``*``, ``-``, ``OR``, ``;``, ``%``,
``_`` and ``<script>`` are thus plain text (or nothing), and the expression
built from the terms reaches the database as a bound parameter.

The two strategies, chosen by dialect name in :data:`STRATEGIES` (the one
place the search code tells the databases apart):

- SQLite: an FTS5 table ``catalog_fts`` over ``catalog_text`` (external
  content, kept in step by triggers), joined to the catalog by rowid and
  ranked by ``bm25`` with the name weighted highest, then the summary, the
  plugins' text, the README;
- PostgreSQL: a ``tsvector`` column ``catalog.search_vector`` (of the same
  texts, weights A to D, kept in step with ``catalog_text`` by triggers)
  with a GIN index, matched with ``to_tsquery`` and ranked by ``ts_rank``.
  It lives in the catalog row, beside the filters and sort keys, so that a
  search of thousands of matches joins nothing.

They are created by migrations ``0003`` and ``0004`` and are not part of the
ORM metadata; :func:`is_fulltext_object` lets schema comparisons skip them.
Each strategy also names its dialect's ``INSERT ... ON CONFLICT`` construct
(the catalog's upsert).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, Select, bindparam, func, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import column, table

from dativo_registry.models import CatalogEntry

__all__ = [
    "FTS_TABLE",
    "STRATEGIES",
    "FullText",
    "Terms",
    "for_session",
    "is_fulltext_object",
    "parse_terms",
]

#: SQLite's FTS5 table (and the prefix of its shadow tables).
FTS_TABLE = "catalog_fts"
#: PostgreSQL's tsvector column of ``catalog`` and its GIN index.
SEARCH_VECTOR = "search_vector"
SEARCH_INDEX = "ix_catalog_search_vector"

#: Runs of letters and digits: what both databases index as words (``_`` separates).
_TOKEN = re.compile(r"[^\W_]+")
#: Words of a query that count; the rest are dropped (a query is a few words).
MAX_WORDS = 16
#: Longest token kept (longer ones are not words anyone types; PostgreSQL caps at 2047).
MAX_TOKEN_CHARS = 100

#: A query: its words, each a tuple of lowercase tokens (a phrase).
Terms = tuple[tuple[str, ...], ...]


def parse_terms(text: str | None) -> Terms:
    """The words of ``text`` as phrases of alphanumeric tokens; words without any are dropped."""
    words = []
    for word in (text or "").split():
        tokens = tuple(t.lower()[:MAX_TOKEN_CHARS] for t in _TOKEN.findall(word))
        if tokens:
            words.append(tokens)
    return tuple(words[:MAX_WORDS])


def is_fulltext_object(name: str | None, type_: str, parent: Any = None) -> bool:
    """Whether ``name`` is a full-text object of migrations 0003 and 0004 (Alembic's
    include_name shape)."""
    if name is None:
        return False
    if type_ == "table":
        return name == FTS_TABLE or name.startswith(FTS_TABLE + "_")
    return name in (SEARCH_VECTOR, SEARCH_INDEX)


@dataclass(frozen=True)
class FullText:
    """How one database matches and ranks catalog entries."""

    #: ``apply(query, terms)``: the query over ``catalog`` narrowed to the entries that
    #: match ``terms``, and their score (higher is better).
    apply: Callable[[Select[Any], Terms], tuple[Select[Any], ColumnElement[float]]]
    #: The dialect's ``insert`` with ``on_conflict_do_update``.
    insert: Callable[..., Any]


# -- SQLite: FTS5 ----------------------------------------------------------------------------

_FTS = table(FTS_TABLE, column("rowid"))
#: bm25 weights of the FTS columns: name, summary, search_text, description_text.
_BM25_WEIGHTS = (10.0, 5.0, 2.0, 1.0)


def fts5_expression(terms: Terms) -> str:
    """An FTS5 query: each word a quoted phrase (all must match), the last one a prefix."""
    phrases = ['"' + " ".join(tokens) + '"' for tokens in terms]
    return " ".join(phrases) + "*"


def _sqlite_apply(query: Select[Any], terms: Terms) -> tuple[Select[Any], ColumnElement[float]]:
    fts: ColumnElement[Any] = literal_column(FTS_TABLE)
    matched = query.join(_FTS, _FTS.c.rowid == CatalogEntry.project_id).where(
        fts.op("MATCH")(bindparam("fts_query", fts5_expression(terms)))
    )
    return matched, -func.bm25(fts, *_BM25_WEIGHTS, type_=Float)  # bm25: lower is better


# -- PostgreSQL: tsvector + GIN ---------------------------------------------------------------


def tsquery_expression(terms: Terms) -> str:
    """A ``to_tsquery`` text: words joined by ``&``, tokens of a word by ``<->``, last ``:*``."""
    phrases = [" <-> ".join(f"'{token}'" for token in tokens) for tokens in terms]
    return " & ".join(phrases) + ":*"


def _postgres_apply(query: Select[Any], terms: Terms) -> tuple[Select[Any], ColumnElement[float]]:
    vector: ColumnElement[Any] = literal_column(f"{CatalogEntry.__tablename__}.{SEARCH_VECTOR}")
    tsquery = func.to_tsquery(
        literal_column("'simple'"), bindparam("ts_query", tsquery_expression(terms))
    )
    return query.where(vector.op("@@")(tsquery)), func.ts_rank(vector, tsquery, type_=Float)


STRATEGIES: dict[str, FullText] = {
    "sqlite": FullText(apply=_sqlite_apply, insert=sqlite.insert),
    "postgresql": FullText(apply=_postgres_apply, insert=postgresql.insert),
}


def for_session(session: Session) -> FullText:
    """The strategy of the database ``session`` talks to."""
    return STRATEGIES[session.get_bind().dialect.name]
