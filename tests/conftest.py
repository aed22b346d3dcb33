"""Shared fixtures: a real PostgreSQL database per test; test plugins installed for real."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

PG_URL_ENV = "DATIVO_TEST_PG_URL"


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """URL of the test server's maintenance database (`make test` starts one)."""
    url = os.environ.get(PG_URL_ENV, "")
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_URL_ENV} is not set: CI must run the PostgreSQL tests")
        pytest.skip(f"no PostgreSQL server ({PG_URL_ENV} not set)")
    return url


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty database for one test; dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base, _, _ = pg_server_url.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


TEST_PLUGINS = Path(__file__).parent / "runtime" / "testplugins"

ENTRY_POINTS = """\
[dativo.readers]
seq = dativo_testplugins:SeqReader
toonew = dativo_testplugins:TooNewReader

[dativo.writers]
failing = dativo_testplugins:FailingWriter
memory = dativo_testplugins:MemoryWriter
"""


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site directory holding the dativo-testplugins distribution."""
    site = tmp_path_factory.mktemp("site")
    shutil.copy(TEST_PLUGINS / "dativo_testplugins.py", site)
    info = site / "dativo_testplugins-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: dativo-testplugins\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return site


@pytest.fixture
def with_test_plugins(plugin_site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATIVO_PLUGIN_PATH", str(plugin_site))
    monkeypatch.setattr(sys, "path", list(sys.path))  # loading a plugin extends sys.path
    return plugin_site
