"""The initial schema: exactly the tables of :mod:`dativo_registry.models`.

Constraints are named (``pk_``/``uq_``/``fk_``/``ix_`` + table + first column)
so that later revisions can drop or alter them by name on both databases;
SQLite's batch mode needs names to find them.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _created_at(name: str = "created_at") -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("normalized", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        _created_at(),
        sa.Column("serial", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_projects"),
        sa.UniqueConstraint("normalized", name="uq_projects_normalized"),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("projects", sa.JSON(), nullable=True),
        _created_at(),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tokens"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_tokens_user_id_users"),
        sa.UniqueConstraint("prefix", name="uq_tokens_prefix"),
        sa.UniqueConstraint("digest", name="uq_tokens_digest"),
    )
    op.create_table(
        "roles",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "user_id", name="pk_roles"),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name="fk_roles_project_id_projects"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_roles_user_id_users"),
    )
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("canonical", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("metadata_fields", sa.JSON(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=True),
        sa.Column("yanked", sa.Boolean(), nullable=False),
        sa.Column("yanked_reason", sa.Text(), nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_releases"),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name="fk_releases_project_id_projects"
        ),
        sa.UniqueConstraint("project_id", "version", name="uq_releases_project_id"),
    )
    op.create_table(
        "files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("packagetype", sa.String(length=20), nullable=False),
        sa.Column("python_version", sa.String(length=50), nullable=False),
        sa.Column("requires_python", sa.String(length=200), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("metadata_sha256", sa.String(length=64), nullable=True),
        sa.Column("attestations", sa.JSON(), nullable=True),
        sa.Column("uploader_id", sa.Integer(), nullable=True),
        _created_at("uploaded_at"),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_files"),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name="fk_files_release_id_releases"
        ),
        sa.ForeignKeyConstraint(["uploader_id"], ["users.id"], name="fk_files_uploader_id_users"),
        sa.UniqueConstraint("filename", name="uq_files_filename"),
    )
    op.create_index("ix_files_sha256", "files", ["sha256"])
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("uploader_id", sa.Integer(), nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_attachments"),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name="fk_attachments_release_id_releases"
        ),
        sa.ForeignKeyConstraint(
            ["uploader_id"], ["users.id"], name="fk_attachments_uploader_id_users"
        ),
    )
    op.create_index("ix_attachments_release_id", "attachments", ["release_id"])


def downgrade() -> None:
    for table in ("attachments", "files", "releases", "roles", "tokens", "projects", "users"):
        op.drop_table(table)
