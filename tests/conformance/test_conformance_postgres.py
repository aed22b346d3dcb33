"""The postgres fixture: a scratch database per run, the built-in PostgreSQL plugins verified."""

from __future__ import annotations

import os

import psycopg
import pytest

from dativo_conformance import ProjectConfig, ScratchDatabase, Target, run_suite
from dativo_pkg.errors import ConfigError

pytestmark = pytest.mark.postgres


@pytest.fixture
def server_url() -> str:
    url = os.environ.get("DATIVO_TEST_PG_URL", "")
    if not url:
        pytest.skip("no PostgreSQL server (DATIVO_TEST_PG_URL not set)")
    return url


def _databases(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT datname FROM pg_database").fetchall()
    return {row[0] for row in rows}


@pytest.mark.parametrize(
    ("kind", "config"),
    [
        ("reader", {"url": "{postgres_url}", "table": "{source}", "batch_rows": 100}),
        ("writer", {"url": "{postgres_url}", "table": "{table}"}),
    ],
)
def test_the_built_in_postgres_plugins_are_verified_on_a_scratch_database(
    server_url: str, kind: str, config: dict[str, object]
) -> None:
    before = _databases(server_url)
    project = ProjectConfig(kind=kind, connector="postgres", fixture="postgres", config=config)  # type: ignore[arg-type]
    report = run_suite(Target(project=project), level="verified", postgres_url=server_url, rows=300)

    assert [(c.id, c.reason) for c in report.failed] == []
    assert report.level == "verified"
    assert _databases(server_url) == before  # the scratch database is gone
    if kind == "reader":
        nulls = next(c for c in report.checks if c.id == "reader.nulls-and-types")
        assert nulls.measurements["types"]["price"].startswith("decimal")
        assert nulls.measurements["types"]["payload"] == "binary"


def test_the_scratch_database_counts_open_sessions_and_is_dropped(server_url: str) -> None:
    scratch = ScratchDatabase(server_url)
    try:
        assert scratch.connections() == 0
        with psycopg.connect(scratch.url):
            assert scratch.connections() == 1
        assert scratch.connections() == 0
    finally:
        scratch.close()
    assert scratch.name not in _databases(server_url)


def test_a_postgres_fixture_without_a_server_is_refused() -> None:
    project = ProjectConfig(
        kind="reader", connector="postgres", fixture="postgres", config={"url": "{postgres_url}"}
    )
    with pytest.raises(ConfigError, match="no server was given") as caught:
        run_suite(Target(project=project), level="verified")
    assert "--postgres-url" in (caught.value.hint or "")
