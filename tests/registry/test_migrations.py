"""Schema migrations on SQLite and PostgreSQL: they build models.py's schema, atomically,
and several processes may run them at once."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic import op as alembic_op
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from dativo_registry import db, migrations
from dativo_registry.config import Settings
from dativo_registry.errors import RegistryError
from dativo_registry.fulltext import is_fulltext_object
from dativo_registry.models import Base

TABLES = {"users", "tokens", "projects", "roles", "releases", "files", "attachments", "publishers"}
TABLES |= {"catalog", "catalog_plugins", "catalog_text"}  # search (0003); not its full-text index
HEAD = "0004"


def _not_fulltext(name: str | None, type_: str, parent: object) -> bool:
    return not is_fulltext_object(name, type_, parent)


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = db.make_engine(settings)
    yield engine
    engine.dispose()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(migrations.SCRIPT_LOCATION)).get_current_head()


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    db.upgrade(engine)

    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_name": _not_fulltext,
            },
        )
        assert compare_metadata(context, Base.metadata) == []
    assert current_revision(engine) == head_revision() == HEAD


def test_upgrade_twice_is_a_no_op_and_downgrade_undoes_it(engine: Engine) -> None:
    db.upgrade(engine)
    db.upgrade(engine)
    tables = {t for t in inspect(engine).get_table_names() if _not_fulltext(t, "table", None)}
    assert tables == TABLES | {"alembic_version"}

    with engine.begin() as conn:
        command.downgrade(migrations.config(conn), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}

    db.upgrade(engine)
    assert current_revision(engine) == HEAD


def test_a_failed_upgrade_leaves_the_database_as_it_was(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the migration failed half-way")

    monkeypatch.setattr(alembic_op, "create_index", fail)  # after several tables exist
    with pytest.raises(RuntimeError, match="half-way"):
        db.upgrade(engine)
    assert set(inspect(engine).get_table_names()) == set()

    monkeypatch.undo()
    db.upgrade(engine)
    assert current_revision(engine) == HEAD


def test_a_schema_from_a_newer_version_is_refused_clearly(engine: Engine) -> None:
    db.upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")

    with pytest.raises(RegistryError, match="revision this dativo-registry does not know"):
        db.upgrade(engine)


UPGRADE = """
import sys
from pathlib import Path
from dativo_registry import db, models  # imported before "ready", to start in step
from dativo_registry.config import Settings
engine = db.make_engine(Settings(data_dir=Path(sys.argv[1]), database_url=sys.argv[2] or None))
print("ready", flush=True)
sys.stdin.readline()
db.upgrade(engine)
"""


def test_processes_upgrading_at_once_wait_for_each_other(
    settings: Settings, engine: Engine
) -> None:
    """Without the lock, the losers fail with "table already exists" (or a duplicate key).

    The processes start the upgrade together: each says "ready" once its
    imports are done, and waits for a line on stdin.
    """
    args = [sys.executable, "-c", UPGRADE, str(settings.data_dir), settings.database_url or ""]
    processes = [
        subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    for process in processes:
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.close()
    codes = [process.wait(timeout=120) for process in processes]

    assert codes == [0] * 3
    assert current_revision(engine) == HEAD
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1
