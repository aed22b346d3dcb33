"""A registry shared by the tests of a module, and changes it has no API for yet.

``module_registry`` starts one server for a module's tests (parametrize the
fixture over ``"sqlite"`` and ``"postgres"``), for tests that read far more
than they write. ``yank`` and ``delete_file`` change the database the way the
registry changes a project: in one transaction that also bumps the project's
serial, which is what tells every server process that its pages are stale.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import Registry
from shared_support import fresh_database
from sqlalchemy import Connection, func, select, update

from dativo_registry.config import Settings
from dativo_registry.db import make_engine
from dativo_registry.models import File, Project, Release


@contextmanager
def module_registry(request: pytest.FixtureRequest, workdir: Path) -> Iterator[Registry]:
    """A started registry on ``request.param``'s database, stopped and dropped afterwards."""
    with fresh_database(request, request.param) as database_url:
        registry = Registry(data_dir=workdir / "data", database_url=database_url)
        registry.start()
        try:
            yield registry
        finally:
            registry.stop()


def yank(registry: Registry, project: str, version: str, reason: str | None) -> None:
    """Yank a release (PEP 592), as an administrator would."""
    with _project_change(registry, project) as (conn, project_id):
        conn.execute(
            update(Release)
            .where(Release.project_id == project_id, Release.version == version)
            .values(yanked=True, yanked_reason=reason)
        )


def delete_file(registry: Registry, project: str, filename: str) -> None:
    """Mark a file deleted (its row stays: a filename is never reused)."""
    with _project_change(registry, project) as (conn, _):
        conn.execute(update(File).where(File.filename == filename).values(deleted_at=func.now()))


@contextmanager
def _project_change(registry: Registry, project: str) -> Iterator[tuple[Connection, int]]:
    database = make_engine(Settings(registry.data_dir, registry.database_url))
    try:
        with database.begin() as conn:
            project_id = conn.execute(
                select(Project.id).where(Project.normalized == project)
            ).scalar_one()
            conn.execute(
                update(Project).where(Project.id == project_id).values(serial=Project.serial + 1)
            )
            yield conn, project_id
    finally:
        database.dispose()
