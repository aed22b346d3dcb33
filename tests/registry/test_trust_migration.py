"""Revision 0002 (trust) on a database that already holds data, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from dativo_registry import db, migrations
from dativo_registry.config import Settings
from dativo_registry.fulltext import is_fulltext_object
from dativo_registry.models import Attachment, Base, File, Publisher

ATTESTATIONS = [{"version": 1, "envelope": {"statement": "e30=", "signature": "AA=="}}]

ROWS = [
    "INSERT INTO users (id, name) VALUES (1, 'alice')",
    "INSERT INTO projects (id, normalized, name, serial)"
    " VALUES (1, 'dativo-hello', 'dativo-hello', 1)",
    "INSERT INTO releases (id, project_id, version, canonical, metadata_fields, yanked)"
    " VALUES (1, 1, '1.0', '1', '{}', false)",
    "INSERT INTO files (id, release_id, filename, packagetype, python_version, size, sha256,"
    " attestations, uploader_id) VALUES (1, 1, 'dativo_hello-1.0-py3-none-any.whl', 'bdist_wheel',"
    " 'py3', 10, :sha256, :attestations, 1)",
    "INSERT INTO attachments (id, release_id, kind, body, uploader_id)"
    " VALUES (1, 1, 'conformance', '{\"passed\": 3}', 1)",
]


@pytest.fixture
def engine(tmp_path: Path, database_url: str | None) -> Iterator[Engine]:
    engine = db.make_engine(Settings(data_dir=tmp_path / "data", database_url=database_url))
    yield engine
    engine.dispose()


def migrate(engine: Engine, revision: str, down: bool = False) -> None:
    with engine.begin() as conn:
        (command.downgrade if down else command.upgrade)(migrations.config(conn), revision)


def test_upgrade_from_0001_keeps_the_data(engine: Engine) -> None:
    migrate(engine, "0001")
    with engine.begin() as conn:
        for statement in ROWS:
            conn.execute(
                text(statement), {"sha256": "a" * 64, "attestations": json.dumps(ATTESTATIONS)}
            )

    db.upgrade(engine)

    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                # search (0003): its full-text objects are not models
                "include_name": lambda name, type_, parent: not is_fulltext_object(name, type_),
            },
        )
        assert compare_metadata(context, Base.metadata) == []
    with Session(engine) as session:
        file = session.scalars(select(File)).one()
        assert (file.attestations, file.provenance) == (ATTESTATIONS, None)
        attachment = session.scalars(select(Attachment)).one()
        assert attachment.body == {"passed": 3}
        assert (attachment.signature, attachment.signer_identity) == (None, None)
        session.add(Publisher(project="dativo-hello", kind="oidc", issuer="https://i",
                              identity="someone"))  # fmt: skip
        session.commit()

    migrate(engine, "0001", down=True)
    assert "publishers" not in inspect(engine).get_table_names()
    assert "provenance" not in {c["name"] for c in inspect(engine).get_columns("files")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT filename FROM files")).scalar() == (
            "dativo_hello-1.0-py3-none-any.whl"
        )
        assert conn.execute(text("SELECT count(*) FROM attachments")).scalar() == 1
