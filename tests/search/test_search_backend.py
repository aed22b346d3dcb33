"""search_plugins on SQLite and PostgreSQL: filters, sorts, pages, full-text ranking, bad input.

The catalogue (``search_seed``), by downloads: csv-tools 500 (reader+writer
csv; verified; signed keyless by someone who is not a publisher; ratio 1.2
from its benchmark's sides), postgres-copy 50 (rust postgres reader;
certified; signed by its key publisher; ratio 3.5), two-versions 20 (newest
installable 2.0 is rust; 3.0 is yanked), parquet-writer 10 (its README
says postgres three times), odd-chars 5 (a summary full of metacharacters),
mixed-io 0 (a csv reader in rust and a parquet writer in python; only
unsigned attachments), rotated-key 0 (signed by a key that is no longer its
publisher's). old-plugin (yanked) and plain-lib (no manifest) are not listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from packaging.version import Version
from search_seed import Catalogue, seed
from search_support import DATABASES, migrated
from shared_support import fresh_database
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from dativo_registry.catalog import record_download
from dativo_registry.models import File, Project, Release
from dativo_registry.publishers import remove_publisher
from dativo_registry.search import SearchParams, SearchResult, search_plugins
from dativo_registry.yanking import set_yanked

BY_DOWNLOADS = [
    "csv-tools",
    "postgres-copy",
    "two-versions",
    "parquet-writer",
    "odd-chars",
    "mixed-io",
    "rotated-key",
]


@pytest.fixture(scope="module", params=DATABASES)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, Catalogue]]:
    with (
        fresh_database(request, request.param) as url,
        migrated(tmp_path_factory.mktemp("search"), url) as engine,
        Session(engine) as session,
    ):
        yield engine, seed(session)


def search(engine: Engine, **params: Any) -> SearchResult:
    with Session(engine) as session:
        return search_plugins(session, SearchParams(**params))


def names(engine: Engine, **params: Any) -> list[str]:
    return [card.normalized for card in search(engine, **params).items]


CASES: list[tuple[dict[str, Any], list[str]]] = [
    ({}, BY_DOWNLOADS),
    ({"kind": "writer"}, ["csv-tools", "parquet-writer", "mixed-io"]),
    ({"kind": "writer", "connector": "csv"}, ["csv-tools"]),  # one plugin must match all
    ({"kind": "reader", "connector": "csv", "language": "rust"}, ["mixed-io"]),
    ({"kind": "writer", "language": "rust"}, []),
    (
        {"language": "python"},
        ["csv-tools", "parquet-writer", "odd-chars", "mixed-io", "rotated-key"],
    ),
    ({"connector": "alpha", "language": "python"}, []),  # only in releases not the newest
    ({"connector": "old"}, []),  # yanked
    ({"connector": "Postgres"}, []),  # exact names
    ({"certification": "compatible"}, ["csv-tools", "postgres-copy"]),
    ({"certification": "verified"}, ["csv-tools", "postgres-copy"]),
    ({"certification": "certified"}, ["postgres-copy"]),  # mixed-io's report is unsigned
    ({"signed": True}, ["postgres-copy"]),
    ({"signed": True, "kind": "writer"}, []),
    # full text: the name outranks the README; the last word is a prefix
    ({"q": "postgres"}, ["postgres-copy", "parquet-writer"]),
    ({"q": "postgresql"}, ["postgres-copy"]),
    ({"q": "COPY"}, ["postgres-copy"]),
    ({"q": "csv files"}, ["csv-tools"]),
    ({"q": "par"}, ["parquet-writer", "mixed-io"]),
    ({"q": "semicolon"}, ["odd-chars"]),  # keywords
    ({"q": "plain"}, []),  # not a plugin
    ({"q": "parquet", "sort": "name"}, ["mixed-io", "parquet-writer"]),
    ({"q": "reader", "certification": "verified"}, ["postgres-copy", "csv-tools"]),
    # metacharacters are text, never syntax
    ({"q": "O'Reilly's"}, ["odd-chars"]),
    ({"q": "100%"}, ["odd-chars"]),
    ({"q": "_special_"}, ["odd-chars"]),
    ({"q": "<script>"}, ["odd-chars"]),
    ({"q": "alert(1)"}, ["odd-chars"]),
    ({"q": "%"}, []),
    ({"q": "_"}, []),
    ({"q": "*"}, []),
    ({"q": '"'}, []),
    ({"q": "'"}, []),
    ({"q": "' OR 1=1 --"}, []),
    ({"q": "' OR ''='"}, ["parquet-writer"]),  # "or" is a word of its README
    ({"q": "csv OR parquet"}, []),  # OR is a word nobody wrote
    ({"q": "parquet NOT"}, []),
    ({"q": "NEAR(csv parquet)"}, []),
    ({"q": "-csv"}, ["csv-tools", "mixed-io"]),  # not a NOT
    ({"q": "csv*"}, ["csv-tools", "mixed-io"]),
    ({"q": "csv;"}, ["csv-tools", "mixed-io"]),
    ({"q": "name:csv"}, []),  # not a column filter: both words must match
    ({"q": "csv:*"}, ["csv-tools", "mixed-io"]),
    ({"q": "csv & !parquet"}, ["mixed-io"]),  # both words, no operators
    ({"q": "'; DROP TABLE catalog; --"}, []),
    ({"q": "\x00csv"}, ["csv-tools", "mixed-io"]),
    ({"connector": "csv\x00"}, []),
    ({"q": "   "}, BY_DOWNLOADS),
    # sorts (ties by name)
    ({"sort": "name"}, sorted(BY_DOWNLOADS)),
    (
        {"sort": "newest"},
        [
            "two-versions",
            "parquet-writer",
            "odd-chars",
            "postgres-copy",
            "csv-tools",
            "mixed-io",
            "rotated-key",
        ],
    ),
    ({"sort": "downloads"}, BY_DOWNLOADS),
    ({"sort": "throughput", "per_page": 3}, ["postgres-copy", "csv-tools", "mixed-io"]),
    # pages
    ({"per_page": 2}, BY_DOWNLOADS[:2]),
    ({"per_page": 2, "page": 4}, BY_DOWNLOADS[6:]),
    ({"per_page": 2, "page": 5}, []),
    # the API's api_version: checked per plugin, then paged
    ({"api_version": Version("1"), "per_page": 3, "page": 2}, BY_DOWNLOADS[3:6]),
    ({"api_version": Version("2")}, []),
    ({"api_version": Version("1"), "kind": "writer"}, ["csv-tools", "parquet-writer", "mixed-io"]),
    # words with the other sorts (no text score) and with api_version (its plugins in the rows)
    ({"q": "csv", "sort": "name"}, ["csv-tools", "mixed-io"]),
    ({"q": "csv", "sort": "name", "per_page": 1, "page": 2}, ["mixed-io"]),
    ({"q": "csv", "api_version": Version("1")}, ["csv-tools", "mixed-io"]),
    ({"q": "csv", "api_version": Version("2")}, []),
]


@pytest.mark.parametrize(("params", "expected"), CASES, ids=[repr(p) for p, _ in CASES])
def test_search_cases(
    seeded: tuple[Engine, Catalogue], params: dict[str, Any], expected: list[str]
) -> None:
    engine, _ = seeded
    assert names(engine, **params) == expected


def test_totals_count_every_page(seeded: tuple[Engine, Catalogue]) -> None:
    engine, _ = seeded
    assert search(engine, per_page=2, page=5).total == 7
    assert search(engine, q="csv", per_page=1).total == 2
    assert search(engine, q="csv", per_page=1, page=3).total == 2  # past the end: counted
    assert search(engine, kind="writer", per_page=1).total == 3
    assert search(engine, api_version=Version("1"), per_page=1).total == 7
    assert search(engine, q="%").total == 0


def test_cards(seeded: tuple[Engine, Catalogue]) -> None:
    engine, catalogue = seeded
    cards = {card.normalized: card for card in search(engine, per_page=100).items}
    copy = cards["postgres-copy"]
    assert (copy.name, copy.version, copy.summary) == (
        "postgres-copy",
        "1.0",
        "Fast PostgreSQL reader",
    )
    assert (copy.kinds, copy.connectors, copy.languages) == (["reader"], ["postgres"], ["rust"])
    assert (copy.certification, copy.signer, copy.verified_publisher) == (
        "certified",
        f"key {catalogue.key.id}",
        True,
    )
    assert (copy.downloads, copy.throughput_ratio) == (50, 3.5)
    assert copy.updated == dt.datetime(2024, 1, 3, tzinfo=dt.UTC)
    tools = cards["csv-tools"]
    assert (tools.kinds, tools.connectors, tools.languages) == (
        ["reader", "writer"],
        ["csv"],
        ["python"],
    )
    assert (tools.certification, tools.signer, tools.verified_publisher) == (
        "verified",
        "ci@example.com",
        False,
    )
    assert (tools.version, tools.downloads, tools.throughput_ratio) == ("2.0", 500, 1.2)
    mixed = cards["mixed-io"]
    assert (mixed.certification, mixed.signer, mixed.throughput_ratio) == (None, None, None)
    rotated = cards["rotated-key"]
    assert (rotated.signer, rotated.verified_publisher) == (f"key {catalogue.old_key.id}", False)
    assert cards["two-versions"].version == "2.0"
    # Only the plugins that pass the plugin filters are on a card's plugin list.
    (tools,) = search(engine, kind="writer", connector="csv").items
    assert [p["kind"] for p in tools.plugins] == ["writer"]
    assert [p["kind"] for p in cards["csv-tools"].plugins] == ["reader", "writer"]


def test_bad_params_are_refused() -> None:
    from dativo_registry.search import BadSearch

    for bad in ({"page": 0}, {"per_page": 0}, {"per_page": 101}, {"sort": "random"}):
        with pytest.raises(BadSearch):
            replace(SearchParams(), **bad)


def test_the_catalog_follows_yanks_downloads_and_publishers(engine: Engine) -> None:
    with Session(engine) as session:
        catalogue = seed(session)
        set_yanked(session, "csv-tools", "2.0", "broken")
        session.commit()
    assert names(engine, kind="writer", connector="csv") == []
    tools = next(c for c in search(engine).items if c.normalized == "csv-tools")
    assert (tools.version, tools.certification, tools.throughput_ratio) == ("1.0", None, None)

    with Session(engine) as session:
        file_id = session.scalars(
            select(File.id).where(File.filename == "postgres_copy-1.0-py3-none-any.whl")
        ).one()
    record_download(engine, file_id)
    record_download(engine, file_id)
    assert search(engine, q="postgres-copy").items[0].downloads == 52

    with Session(engine) as session:
        remove_publisher(session, "postgres-copy", key_id=catalogue.key.id)
        session.commit()
    (copy,) = search(engine, q="postgres-copy").items
    assert (copy.verified_publisher, copy.certification) == (False, "verified")
    assert names(engine, signed=True) == []
    assert copy.downloads == 52  # a refresh keeps the count


def test_changes_made_behind_the_registrys_back_show_at_the_next_search(engine: Engine) -> None:
    """An administrator's SQL that bumps the serial (as every file change does) is seen."""
    with Session(engine) as session:
        seed(session)
        with session.begin():
            project_id = session.scalars(
                select(Project.id).where(Project.normalized == "parquet-writer")
            ).one()
            session.execute(
                update(Release).where(Release.project_id == project_id).values(yanked=True)
            )
            session.execute(
                update(Project).where(Project.id == project_id).values(serial=Project.serial + 1)
            )
    assert "parquet-writer" not in names(engine, per_page=100)
    assert names(engine, q="parquet") == ["mixed-io"]


def test_hostile_queries_leave_the_tables_intact(seeded: tuple[Engine, Catalogue]) -> None:
    engine, _ = seeded
    for q in ("'; DROP TABLE catalog; --", "catalog_fts MATCH '*'", "x'||(SELECT 1)||'"):
        assert search(engine, q=q).total == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM catalog")).scalar() == 7
