"""Alembic's entry point: run the migrations on the connection :func:`config` passed in.

The caller (:func:`dativo_registry.db.upgrade`) has already begun a
transaction and taken the migration lock on that connection, so Alembic
runs every step inside it and the caller commits: a schema change and its
version stamp become visible together or not at all, on SQLite as on
PostgreSQL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from dativo_registry.models import Base

connection: Connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode (copy and move) drafts revisions that work
    # on both databases.
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
