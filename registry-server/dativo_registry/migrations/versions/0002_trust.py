"""Trust: project publishers, verified provenance of files, signed attachments.

Only additions: a ``publishers`` table and nullable columns, so existing
rows stay valid as they are (files uploaded before have no provenance,
attachments before are unsigned).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _attachment_columns() -> list[sa.Column[object]]:
    """The signed-statement columns of ``attachments`` (new objects per call: a column
    belongs to one table)."""
    return [
        sa.Column("signature", sa.JSON(), nullable=True),
        sa.Column("subject_filename", sa.String(length=300), nullable=True),
        sa.Column("subject_sha256", sa.String(length=64), nullable=True),
        sa.Column("signer_issuer", sa.String(length=300), nullable=True),
        sa.Column("signer_identity", sa.String(length=500), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "publishers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.Column("identity", sa.String(length=500), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=True),
        sa.Column("key_id", sa.String(length=80), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_publishers"),
        sa.UniqueConstraint("project", "kind", "issuer", "identity", name="uq_publishers_project"),
    )
    with op.batch_alter_table("files") as batch:
        batch.add_column(sa.Column("provenance", sa.JSON(), nullable=True))
    with op.batch_alter_table("attachments") as batch:
        for column in _attachment_columns():
            batch.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        for column in reversed(_attachment_columns()):
            batch.drop_column(column.name)
    with op.batch_alter_table("files") as batch:
        batch.drop_column("provenance")
    op.drop_table("publishers")
