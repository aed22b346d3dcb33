"""Databases for the search tests: SQLite in a directory, or a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from search_support import DATABASES, migrated
from shared_support import fresh_database
from sqlalchemy import Engine


@pytest.fixture(params=DATABASES)
def search_db_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """A fresh database per test: None (SQLite) or a PostgreSQL URL."""
    with fresh_database(request, request.param) as url:
        yield url


@pytest.fixture(params=DATABASES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh, migrated, empty registry database per test (SQLite or PostgreSQL)."""
    with fresh_database(request, request.param) as url, migrated(tmp_path / "data", url) as e:
        yield e
