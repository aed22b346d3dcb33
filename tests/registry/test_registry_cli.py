"""The real `dativo-registry` command: tokens, errors without tracebacks, serve."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from dativo_registry import auth, db
from dativo_registry.config import MIB, Settings
from dativo_registry.errors import Unauthorized

BIN = Path(sys.executable).parent / "dativo-registry"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def db_args(tmp_path: Path, database_url: str | None) -> list[str]:
    url = ["--database-url", database_url] if database_url else []
    return ["--data-dir", str(tmp_path / "data"), *url]


@pytest.fixture
def session(tmp_path: Path, database_url: str | None) -> Iterator[Session]:
    """A session on the database the commands use (opened after they have run)."""
    engine = db.make_engine(Settings(data_dir=tmp_path / "data", database_url=database_url))
    with db.make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


def test_token_create_prints_the_token_alone_last(db_args: list[str], session: Session) -> None:
    result = run("token", "create", *db_args, "--user", "alice", "--project", "My_Plugin")

    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1  # the token and nothing else on stdout
    token = result.stdout.strip()
    assert "shown only this once" in result.stderr and token not in result.stderr
    found = auth.authenticate(session, f"Bearer {token}")
    assert (found.user.name, found.projects) == ("alice", ["my-plugin"])


def test_token_revoke(db_args: list[str], session: Session) -> None:
    token = run("token", "create", *db_args, "--user", "alice").stdout.strip()
    prefix = token.split("_")[1]

    result = run("token", "revoke", *db_args, prefix)

    assert result.returncode == 0, result.stderr
    assert f"revoked token dtv_{prefix}" in result.stderr
    with pytest.raises(Unauthorized, match="revoked"):
        auth.authenticate(session, f"Bearer {token}")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["token", "revoke", "0123456789ab"], 1, "error: no token with prefix 0123456789ab"),
        (["token", "create", "--user", "has space"], 1, "error: invalid user name"),
        (["token", "create"], 2, "Missing option '--user'"),
        (
            ["token", "create", "--user", "a", "--database-url", "postgresql://x@127.0.0.1:1/x"],
            1,
            "error: cannot open the database postgresql://x@127.0.0.1:1/x",
        ),
        (
            ["token", "create", "--user", "a", "--database-url", "nosuchdb://x"],
            1,
            "error: cannot open the database nosuchdb://x",
        ),
    ],
)
def test_errors_are_one_message_without_traceback(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    result = run(*args, "--data-dir", str(tmp_path / "data"))

    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_serve_refuses_an_unreachable_database(tmp_path: Path) -> None:
    url = "postgresql://nobody@127.0.0.1:1/registry"
    result = run("serve", "--data-dir", str(tmp_path), "--database-url", url, "--port", "1")

    assert result.returncode == 1
    assert f"error: cannot open the database {url}" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_answers_with_one_or_several_workers(registry: Any) -> None:
    """``registry`` (conftest's Registry) has started `dativo-registry serve` already."""
    response = httpx.get(registry.simple)
    assert response.status_code == 200
    assert "pypi:repository-version" in response.text

    registry.stop()
    registry.start("--workers", "2", "--max-file-mb", "3")
    for _ in range(4):
        assert httpx.get(registry.simple).status_code == 200


def test_settings_reach_the_server_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    from dativo_registry import cli

    monkeypatch.setenv(cli.ENV_DATA_DIR, "/srv/registry")
    monkeypatch.setenv(cli.ENV_DATABASE_URL, "postgresql://db/registry")
    monkeypatch.setenv(cli.ENV_MAX_FILE_MB, "3")
    monkeypatch.setenv(cli.ENV_MAX_EXPANDED_MB, "7")
    monkeypatch.setenv(cli.ENV_REQUIRE_SIGNATURES, "1")

    assert cli.settings_from_env() == Settings(
        data_dir=Path("/srv/registry"),
        database_url="postgresql://db/registry",
        max_file_bytes=3 * MIB,
        max_expanded_bytes=7 * MIB,
        require_signatures=True,
    )


def test_role_add_lets_a_maintainer_upload(registry: Any) -> None:
    from dists import wheel_bytes, wheel_name
    from uploads import post_upload

    owner, other = registry.token("alice"), registry.token("bob")

    def upload(token: str, version: str) -> Any:
        data, filename = wheel_bytes("team-plugin", version), wheel_name("team-plugin", version)
        return post_upload(registry, token, data, filename, "team-plugin", version)

    assert upload(owner, "1.0").status_code == 200
    refused = upload(other, "1.1")
    assert refused.status_code == 403 and "ask one of its owners" in refused.text

    registry.admin("role", "add", "Team_Plugin", "bob")
    assert upload(other, "1.1").status_code == 200

    db_args = ["--data-dir", str(registry.data_dir), *registry._db_args()]
    last_owner = run("role", "remove", "team-plugin", "alice", *db_args)
    assert last_owner.returncode == 1
    assert "alice is the last owner of team-plugin" in last_owner.stderr
