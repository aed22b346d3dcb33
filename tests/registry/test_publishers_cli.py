"""`dativo-registry publisher add|list|remove`, and serve's trust options, as users run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy.orm import Session

from dativo_pkg.trust import Publisher, generate_private_key, public_key_pem
from dativo_registry import cli, db
from dativo_registry.config import Settings
from dativo_registry.publishers import project_publishers

BIN = Path(sys.executable).parent / "dativo-registry"
ISSUER = "https://token.actions.githubusercontent.com"
WORKFLOW = "https://github.com/acme/dativo-hello/.github/workflows/release.yml"
NOT_A_KEY = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def public_key(tmp_path: Path) -> tuple[Path, str]:
    """A public key file, and its key id."""
    pem = public_key_pem(generate_private_key())
    path = tmp_path / "publisher.pem.pub"
    path.write_text(pem)
    key_id = Publisher.from_public_key(pem).key_id
    assert key_id is not None
    return path, key_id


def stored(data_dir: Path, project: str) -> list[Publisher]:
    engine = db.make_engine(Settings(data_dir=data_dir))
    try:
        with Session(engine) as session:
            return project_publishers(session, project)
    finally:
        engine.dispose()


class Ran(NamedTuple):
    code: int
    err: str
    out: str


def run_here(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> Ran:
    """``dativo-registry ARGS`` in this process (it starts in seconds as a command)."""
    monkeypatch.setattr(cli, "_setup_logging", lambda verbose: None)  # pytest owns logging
    try:
        cli.main(list(args))
    except SystemExit as exited:
        assert isinstance(exited.code, int)
        code = exited.code
    else:
        code = 0
    captured = capsys.readouterr()
    return Ran(code, captured.err, captured.out)


def test_add_list_remove(
    data_dir: Path,
    public_key: tuple[Path, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Publishers of a project that does not exist yet, any spelling of its name.

    The real command where its output matters; in-process for the rest (it starts slowly).
    """
    key_path, key_id = public_key
    where = ("--data-dir", str(data_dir))
    added = run("publisher", "add", *where, "--project", "dativo-hello", "--key", str(key_path))
    assert added.returncode == 0, added.stderr
    assert f"publisher key {key_id} is now a publisher of dativo-hello" in added.stderr
    code, stderr, _ = run_here(capsys, monkeypatch, "publisher", "add", *where, "--project",
                            "Dativo_Hello", "--issuer", ISSUER, "--identity", WORKFLOW)  # fmt: skip
    assert code == 0
    assert f"{WORKFLOW} (issuer {ISSUER}) is now a publisher of dativo-hello" in stderr
    assert stored(data_dir, "dativo-hello") == [
        Publisher.from_public_key(key_path.read_text()),
        Publisher.oidc(ISSUER, WORKFLOW),
    ]

    listed = run("publisher", "list", *where, "--project", "DATIVO.hello", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["project"], r["kind"], r["issuer"], r["identity"], r["key_id"]) for r in rows] == [
        ("dativo-hello", "key", None, None, key_id),
        ("dativo-hello", "oidc", ISSUER, WORKFLOW, None),
    ]
    assert rows[0]["public_key"] == key_path.read_text()

    remove = ("publisher", "remove", *where, "--project", "dativo-hello")
    code, stderr, _ = run_here(capsys, monkeypatch, *remove, "--key-id", key_id)
    assert code == 0 and f"publisher key {key_id} is no longer a publisher" in stderr
    code, stderr, _ = run_here(
        capsys, monkeypatch, *remove, "--issuer", ISSUER, "--identity", WORKFLOW
    )
    assert code == 0 and f"{WORKFLOW} (issuer {ISSUER}) is no longer a publisher" in stderr
    assert stored(data_dir, "dativo-hello") == []
    assert run_here(capsys, monkeypatch, "publisher", "list", *where) == (0, "", "")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--issuer", ISSUER], 2, "give --issuer and --identity (keyless), or --key"),
        (["--issuer", ISSUER, "--identity", WORKFLOW, "--key", "KEY"], 2, "not both"),
        (["--issuer", "token.actions", "--identity", WORKFLOW], 1, "is not a URL"),
        (["--key", "NOT_A_KEY"], 1, "error: not a usable public key"),
        (["--issuer", ISSUER, "--identity", WORKFLOW], 1, "is already a publisher of p"),
    ],
)
def test_add_refuses_with_one_message(
    tmp_path: Path,
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    code: int,
    message: str,
) -> None:
    (tmp_path / "KEY").write_text(public_key_pem(generate_private_key()))
    (tmp_path / "NOT_A_KEY").write_text(
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
    )
    args = [str(tmp_path / a) if a in ("KEY", "NOT_A_KEY") else a for a in args]
    add = ("publisher", "add", "--data-dir", str(data_dir), "--project", "p", *args)
    if "already" in message:
        assert run_here(capsys, monkeypatch, *add)[0] == 0

    exit_code, stderr, _ = run_here(capsys, monkeypatch, *add)

    assert exit_code == code
    assert message in stderr
    assert "Traceback" not in stderr


def test_remove_names_what_is_missing(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, stderr, _ = run_here(capsys, monkeypatch, "publisher", "remove", "--data-dir",
                            str(data_dir), "--project", "p", "--key-id", "sha256:00")  # fmt: skip
    assert code == 1
    assert "publisher key sha256:00 is not a publisher of p" in stderr
    assert "dativo-registry publisher list --project p" in stderr


def test_serve_refuses_a_bad_trust_config(tmp_path: Path) -> None:
    config = tmp_path / "trust_config.json"
    config.write_text("{}")
    result = run("serve", "--data-dir", str(tmp_path), "--port", "1", "--trust-config", str(config))
    assert result.returncode == 1
    assert "error: cannot load the Sigstore trust roots" in result.stderr
    assert str(config) in result.stderr and "Traceback" not in result.stderr


def test_trust_settings_reach_the_server_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cli.ENV_SIGSTORE_INSTANCES, "production staging")
    monkeypatch.setenv(cli.ENV_TRUST_CONFIGS, os.pathsep.join(["/etc/a b.json", "/etc/c.json"]))

    settings = cli.settings_from_env()
    assert settings.sigstore_instances == ("production", "staging")
    assert settings.trust_configs == (Path("/etc/a b.json"), Path("/etc/c.json"))

    monkeypatch.delenv(cli.ENV_SIGSTORE_INSTANCES)
    monkeypatch.delenv(cli.ENV_TRUST_CONFIGS)
    assert cli.settings_from_env().sigstore_instances == ("production",)
    assert cli.settings_from_env().trust_configs == ()
