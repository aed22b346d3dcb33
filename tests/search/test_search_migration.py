"""Revisions 0003 and 0004 (search) on a database that already holds plugins."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

from dativo_registry import db, migrations
from dativo_registry.config import Settings
from dativo_registry.fulltext import is_fulltext_object
from dativo_registry.search import SearchParams, search_plugins

MANIFEST = {"manifest_version": 1, "plugins": [{"kind": "reader", "connector": "hello"}]}
ROWS = [
    "INSERT INTO projects (id, normalized, name, serial)"
    " VALUES (1, 'dativo-hello', 'Dativo_Hello', 3)",
    "INSERT INTO projects (id, normalized, name, serial) VALUES (2, 'tinypkg', 'tinypkg', 1)",
    "INSERT INTO releases (id, project_id, version, canonical, summary, metadata_fields, manifest,"
    " yanked) VALUES (1, 1, '1.0', '1', 'Says hello', '{}', :manifest, false)",
    "INSERT INTO releases (id, project_id, version, canonical, summary, metadata_fields, manifest,"
    " yanked) VALUES (2, 1, '2.0', '2', 'Broken', '{}', :manifest, true)",
    "INSERT INTO releases (id, project_id, version, canonical, metadata_fields, yanked)"
    " VALUES (3, 2, '1.0', '1', '{}', false)",
    "INSERT INTO files (id, release_id, filename, packagetype, python_version, size, sha256)"
    " VALUES (1, 1, 'dativo_hello-1.0-py3-none-any.whl', 'bdist_wheel', 'py3', 10, :sha256)",
    "INSERT INTO files (id, release_id, filename, packagetype, python_version, size, sha256)"
    " VALUES (2, 2, 'dativo_hello-2.0-py3-none-any.whl', 'bdist_wheel', 'py3', 10, :sha256)",
    "INSERT INTO files (id, release_id, filename, packagetype, python_version, size, sha256)"
    " VALUES (3, 3, 'tinypkg-1.0-py3-none-any.whl', 'bdist_wheel', 'py3', 10, :sha256)",
]


@pytest.fixture
def engine_at_0002(tmp_path: Path, search_db_url: str | None) -> Iterator[Engine]:
    engine = db.make_engine(Settings(data_dir=tmp_path / "data", database_url=search_db_url))
    migrate(engine, "0002")
    yield engine
    engine.dispose()


def migrate(engine: Engine, revision: str, down: bool = False) -> None:
    with engine.begin() as conn:
        (command.downgrade if down else command.upgrade)(migrations.config(conn), revision)


def test_upgrade_fills_the_catalog_and_downgrade_removes_it(engine_at_0002: Engine) -> None:
    engine = engine_at_0002
    with engine.begin() as conn:
        for statement in ROWS:
            conn.execute(text(statement), {"manifest": json.dumps(MANIFEST), "sha256": "a" * 64})

    db.upgrade(engine)

    with Session(engine) as session:
        result = search_plugins(session, SearchParams(q="hello"))
        assert result.total == 1
        (card,) = result.items
        assert (card.name, card.version, card.summary) == ("Dativo_Hello", "1.0", "Says hello")
        assert (card.kinds, card.connectors, card.languages) == (["reader"], ["hello"], ["python"])
        assert card.downloads == 0
        assert search_plugins(session, SearchParams(q="tinypkg")).total == 0
    with engine.connect() as conn:  # every project is stamped: no refresh at the first search
        assert conn.execute(text("SELECT catalog_serial FROM projects ORDER BY id")).all() == [
            (3,),
            (1,),
        ]

    migrate(engine, "0002", down=True)
    tables = set(inspect(engine).get_table_names())
    assert not {"catalog", "catalog_plugins"} & tables
    assert not [t for t in tables if is_fulltext_object(t, "table")]
    assert "downloads" not in {c["name"] for c in inspect(engine).get_columns("files")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM files")).scalar() == 3
    db.upgrade(engine)  # and up again


def test_0004_moves_the_postgresql_vector_into_the_catalog_and_back(
    engine_at_0002: Engine,
) -> None:
    """At 0003 the vector is a generated column of catalog_text; 0004 copies it into the
    catalog row, whose triggers then follow every text change; downgrading puts it back."""
    engine = engine_at_0002
    if engine.dialect.name != "postgresql":
        migrate(engine, "0004")  # nothing to move on SQLite: its FTS5 index stays
        with Session(engine) as session:
            assert search_plugins(session, SearchParams(q="hello")).total == 0
        return
    with engine.begin() as conn:
        for statement in ROWS:
            conn.execute(text(statement), {"manifest": json.dumps(MANIFEST), "sha256": "a" * 64})
    migrate(engine, "0003")
    vector_0003 = "SELECT search_vector::text FROM catalog_text WHERE project_id = 1"
    with engine.connect() as conn:
        before = conn.execute(text(vector_0003)).scalar_one()
    assert "'hello'" in before

    migrate(engine, "0004")

    vector = "SELECT search_vector::text FROM catalog WHERE project_id = 1"
    with engine.begin() as conn:
        assert conn.execute(text(vector)).scalar_one() == before
        assert "search_vector" not in {c["name"] for c in inspect(conn).get_columns("catalog_text")}
        conn.execute(
            text("UPDATE catalog_text SET summary = 'Greets the world' WHERE project_id = 1")
        )
        assert "'greets':" in conn.execute(text(vector)).scalar_one()
    with Session(engine) as session:
        assert search_plugins(session, SearchParams(q="greets")).total == 1
        assert search_plugins(session, SearchParams(q="says")).total == 0

    migrate(engine, "0003", down=True)
    with engine.connect() as conn:
        assert "'greets':" in conn.execute(text(vector_0003)).scalar_one()
        assert "search_vector" not in {c["name"] for c in inspect(conn).get_columns("catalog")}
    migrate(engine, "0004")
    with engine.connect() as conn:
        assert "'greets':" in conn.execute(text(vector)).scalar_one()
