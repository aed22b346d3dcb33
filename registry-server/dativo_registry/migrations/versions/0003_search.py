"""Search: the catalog, its full-text index, download counts.

Adds ``files.downloads`` (and an index on ``files.release_id``, which
finding a release's live files needs) and ``projects.catalog_serial``; the
``catalog``, ``catalog_plugins`` and ``catalog_text`` tables
(:mod:`dativo_registry.catalog`), and the full-text index of the dialect
(:mod:`dativo_registry.fulltext`) over ``catalog_text``: on SQLite an FTS5
table with triggers that keep it in step, on PostgreSQL a generated
``tsvector`` column with a GIN index. Then fills the catalog from the
existing projects, in the same transaction.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TEXT_COLUMNS = ("name", "summary", "search_text", "description_text")
_NEW = ", ".join(f"new.{c}" for c in _TEXT_COLUMNS)
_OLD = ", ".join(f"old.{c}" for c in _TEXT_COLUMNS)
_COLUMNS = ", ".join(_TEXT_COLUMNS)

SQLITE_UP = [
    f"CREATE VIRTUAL TABLE catalog_fts USING fts5({_COLUMNS}, content='catalog_text', "
    "content_rowid='project_id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER catalog_fts_insert AFTER INSERT ON catalog_text BEGIN "
    f"INSERT INTO catalog_fts(rowid, {_COLUMNS}) VALUES (new.project_id, {_NEW}); END",
    "CREATE TRIGGER catalog_fts_delete AFTER DELETE ON catalog_text BEGIN "
    f"INSERT INTO catalog_fts(catalog_fts, rowid, {_COLUMNS}) "
    f"VALUES ('delete', old.project_id, {_OLD}); END",
    "CREATE TRIGGER catalog_fts_update AFTER UPDATE ON catalog_text BEGIN "
    f"INSERT INTO catalog_fts(catalog_fts, rowid, {_COLUMNS}) "
    f"VALUES ('delete', old.project_id, {_OLD}); "
    f"INSERT INTO catalog_fts(rowid, {_COLUMNS}) VALUES (new.project_id, {_NEW}); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER catalog_fts_update",
    "DROP TRIGGER catalog_fts_delete",
    "DROP TRIGGER catalog_fts_insert",
    "DROP TABLE catalog_fts",
]
#: ASCII punctuation becomes blanks before PostgreSQL's parser sees the text, so that it
#: finds words as FTS5's unicode61 and the query side do (no tags, e-mails, URLs, file
#: paths, numbers with dots or hyphenated compounds). Not [:punct:]: in a database with
#: the C locale it knows only ASCII, and a class of non-letters would remove accented ones.
_PUNCTUATION = "[!-/:-@[-`{-~]+"
_WEIGHTED = " || ".join(
    f"setweight(to_tsvector('simple', regexp_replace(coalesce({column}, ''), "
    f"'{_PUNCTUATION}', ' ', 'g')), '{weight}')"
    for column, weight in zip(_TEXT_COLUMNS, "ABCD", strict=True)
)
POSTGRES_UP = [
    "ALTER TABLE catalog_text ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS ({_WEIGHTED}) STORED",
    # Matching and ranking read every matching row's vector: keep it in the row, and the
    # README text it is made of out of it (the row stays small, nothing is fetched from
    # TOAST per match; about 5x faster for a word half of 10,000 READMEs hold).
    "ALTER TABLE catalog_text ALTER COLUMN search_vector SET STORAGE MAIN",
    "ALTER TABLE catalog_text ALTER COLUMN description_text SET STORAGE EXTERNAL",
    "CREATE INDEX ix_catalog_text_search_vector ON catalog_text USING gin (search_vector)",
]
POSTGRES_DOWN = ["DROP INDEX ix_catalog_text_search_vector"]  # the column goes with the table


def upgrade() -> None:
    op.create_index("ix_files_release_id", "files", ["release_id"])
    # Plain ALTER TABLE (SQLite >= 3.35 adds and drops such columns in place): a batch
    # copy of ``projects`` could not drop the table the other tables refer to.
    op.add_column(
        "files", sa.Column("downloads", sa.BigInteger(), server_default="0", nullable=False)
    )
    op.add_column("projects", sa.Column("catalog_serial", sa.BigInteger(), nullable=True))
    stale = sa.text("catalog_serial IS NULL OR catalog_serial != serial")
    op.create_index(
        "ix_projects_catalog_stale",
        "projects",
        ["id"],
        sqlite_where=stale,
        postgresql_where=stale,
    )
    op.create_table(
        "catalog",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("normalized", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("plugins", sa.JSON(), nullable=False),
        sa.Column("certification", sa.String(length=20), nullable=True),
        sa.Column("certification_rank", sa.Integer(), nullable=False),
        sa.Column("signer", sa.String(length=500), nullable=True),
        sa.Column("verified_publisher", sa.Boolean(), nullable=False),
        sa.Column("downloads", sa.BigInteger(), nullable=False),
        sa.Column("throughput_ratio", sa.Float(), nullable=True),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name="pk_catalog"),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name="fk_catalog_project_id_projects"
        ),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name="fk_catalog_release_id_releases"
        ),
        sa.UniqueConstraint("normalized", name="uq_catalog_normalized"),
    )
    op.create_index("ix_catalog_downloads", "catalog", ["downloads"])
    op.create_index("ix_catalog_throughput_ratio", "catalog", ["throughput_ratio"])
    op.create_index("ix_catalog_updated", "catalog", ["updated"])
    op.create_table(
        "catalog_plugins",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("connector", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "position", name="pk_catalog_plugins"),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["catalog.project_id"],
            name="fk_catalog_plugins_project_id_catalog",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_catalog_plugins_connector", "catalog_plugins", ["connector"])
    op.create_table(
        "catalog_text",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("description_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name="pk_catalog_text"),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["catalog.project_id"],
            name="fk_catalog_text_project_id_catalog",
            ondelete="CASCADE",
        ),
    )
    for statement in SQLITE_UP if _dialect() == "sqlite" else POSTGRES_UP:
        op.execute(statement)
    _fill_catalog()


def downgrade() -> None:
    for statement in SQLITE_DOWN if _dialect() == "sqlite" else POSTGRES_DOWN:
        op.execute(statement)
    op.drop_table("catalog_text")
    op.drop_index("ix_catalog_plugins_connector", table_name="catalog_plugins")
    op.drop_table("catalog_plugins")
    for name in ("ix_catalog_updated", "ix_catalog_throughput_ratio", "ix_catalog_downloads"):
        op.drop_index(name, table_name="catalog")
    op.drop_table("catalog")
    op.drop_index("ix_projects_catalog_stale", table_name="projects")
    op.drop_column("projects", "catalog_serial")
    op.drop_column("files", "downloads")
    op.drop_index("ix_files_release_id", table_name="files")


def _dialect() -> str:
    return op.get_bind().dialect.name


def _fill_catalog() -> None:
    """Compute every existing project's entry, in the migration's transaction."""
    from dativo_registry.catalog import refresh_all

    session = Session(bind=op.get_bind())
    refresh_all(session)
    session.flush()
