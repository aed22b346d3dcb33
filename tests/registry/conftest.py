"""A real registry server per test: `dativo-registry serve` in its own process.

``registry`` is parametrized over the two databases the registry supports:
SQLite in the data directory, and a fresh PostgreSQL database.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Registry:
    """A running registry and what tests need to talk to it."""

    data_dir: Path
    database_url: str | None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def simple(self) -> str:
        return f"{self.url}/simple/"

    def _db_args(self) -> list[str]:
        return ["--database-url", self.database_url] if self.database_url else []

    def admin(self, *args: str) -> str:
        """Run `dativo-registry ARGS --data-dir ...` and return its stdout."""
        result = subprocess.run(
            [
                str(BIN / "dativo-registry"),
                *args,
                "--data-dir",
                str(self.data_dir),
                *self._db_args(),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def token(self, user: str = "alice", *projects: str) -> str:
        """A new API token for ``user``, scoped to ``projects`` if any."""
        scope = [arg for p in projects for arg in ("--project", p)]
        return self.admin("token", "create", "--user", user, *scope).strip().splitlines()[-1]

    def start(self, *extra: str) -> None:
        self.log = self.data_dir.parent / f"server-{self.port}.log"
        self.process = subprocess.Popen(
            [
                str(BIN / "dativo-registry"),
                "serve",
                "--data-dir",
                str(self.data_dir),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                *self._db_args(),
                *extra,
            ],
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(self.simple, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"server did not start:\n{self.log.read_text()}"
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(30)
        self.process = None


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None (SQLite in the data dir) or the URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    server = request.getfixturevalue("pg_server_url")
    name = f"r_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield f"{server.rpartition('/')[0]}/{name}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def registry(tmp_path: Path, database_url: str | None) -> Iterator[Registry]:
    """A started registry (SQLite or PostgreSQL), stopped after the test."""
    reg = Registry(data_dir=tmp_path / "data", database_url=database_url)
    reg.start()
    yield reg
    reg.stop()
