"""Search on PostgreSQL: the text vector moves into the catalog row.

Revision 0003 kept the ``tsvector`` in ``catalog_text``, a generated column;
a search then joined every match to ``catalog`` for its filters and sort
keys, and on 10,000 plugins that join of thousands of rows cost more than
matching them (a search for a word half the READMEs hold: 31 ms, 18 ms
without the join). Now ``catalog.search_vector`` holds it, beside the
filters and sort keys, with the GIN index; ``catalog_text`` keeps the texts
it is made of, and two statement-level triggers on ``catalog_text`` (after
insert, after update) recompute the vectors of the rows a statement wrote,
with the same expression as 0003. Existing vectors are copied over.

SQLite is untouched: its FTS5 table is an index of its own, joined by rowid.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: As in 0003: ASCII punctuation becomes blanks before PostgreSQL's parser sees the text,
#: and the name, summary, plugins' text and README are weighted A to D.
_PUNCTUATION = "[!-/:-@[-`{-~]+"
_TEXT_COLUMNS = ("name", "summary", "search_text", "description_text")


def weighted_vector(row: str) -> str:
    """The SQL of the search vector of the ``catalog_text`` columns of ``row`` (a prefix)."""
    return " || ".join(
        f"setweight(to_tsvector('simple', regexp_replace(coalesce({row}{column}, ''), "
        f"'{_PUNCTUATION}', ' ', 'g')), '{weight}')"
        for column, weight in zip(_TEXT_COLUMNS, "ABCD", strict=True)
    )


_TRIGGERS = {"catalog_text_inserted": "INSERT", "catalog_text_updated": "UPDATE"}

POSTGRES_UP = [
    "ALTER TABLE catalog ADD COLUMN search_vector tsvector",
    # Matching and ranking read every matching row's vector: keep it in the row.
    "ALTER TABLE catalog ALTER COLUMN search_vector SET STORAGE MAIN",
    # And keep the rest of the row in it too. With a vector, most rows are over the 2 kB at
    # which PostgreSQL starts moving columns to TOAST, the vector last: the name and the
    # other sort keys would go first, and sorting 5,000 matches by name would then fetch
    # each name from TOAST at every comparison (30 ms, not 1). Only a row over a page
    # moves anything out now.
    "ALTER TABLE catalog SET (toast_tuple_target = 8160)",
    "CREATE FUNCTION catalog_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"UPDATE catalog SET search_vector = {weighted_vector('changed.')} "
    "FROM changed WHERE catalog.project_id = changed.project_id; "
    "RETURN NULL; END $$",
    *(
        f"CREATE TRIGGER {name} AFTER {event} ON catalog_text REFERENCING NEW TABLE AS changed "
        "FOR EACH STATEMENT EXECUTE FUNCTION catalog_search_vector()"
        for name, event in _TRIGGERS.items()
    ),
    "UPDATE catalog SET search_vector = catalog_text.search_vector FROM catalog_text "
    "WHERE catalog.project_id = catalog_text.project_id",
    "DROP INDEX ix_catalog_text_search_vector",
    "ALTER TABLE catalog_text DROP COLUMN search_vector",
    "CREATE INDEX ix_catalog_search_vector ON catalog USING gin (search_vector)",
]
POSTGRES_DOWN = [
    "ALTER TABLE catalog_text ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS ({weighted_vector('')}) STORED",
    "ALTER TABLE catalog_text ALTER COLUMN search_vector SET STORAGE MAIN",
    "CREATE INDEX ix_catalog_text_search_vector ON catalog_text USING gin (search_vector)",
    *(f"DROP TRIGGER {name} ON catalog_text" for name in _TRIGGERS),
    "DROP FUNCTION catalog_search_vector()",
    "DROP INDEX ix_catalog_search_vector",
    "ALTER TABLE catalog DROP COLUMN search_vector",
    "ALTER TABLE catalog RESET (toast_tuple_target)",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_DOWN:
            op.execute(statement)
