"""``dativo-pkg publish`` against real registries: ``dativo-registry serve``, real twine.

Two registries for the session: an open one, and one started with
``--require-signatures``. Every test publishes projects of its own (unique
names), so they share the registries without seeing each other. Keys are
made and files signed with the real ``dativo-pkg key generate`` and ``sign``
functions; plugin wheels are written byte by byte (tests/registry/dists.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from shared_support import load_module

from dativo_pkg.commands.keys import KeySettings, generate
from dativo_pkg.commands.publish import PublishResult, PublishSettings, publish
from dativo_pkg.commands.sign import SignSettings, sign

TESTS = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


Registry: Any = load_module(
    "publish_registry_conftest", TESTS / "registry" / "conftest.py"
).Registry
_dists = load_module("publish_registry_dists", TESTS / "registry" / "dists.py")

#: A conformance report as the suite writes it (top-level ``level`` and ``checks``).
CERTIFIED_REPORT = {
    "suite": "dativo-conformance",
    "level": "certified",
    "checks": [{"name": "manifest-valid", "passed": True}],
}
BENCHMARK = {"rows_per_second": 1_000_000, "mb_per_second": 80.5, "peak_rss_mb": 120}


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the user's config file or token."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("DATIVO_CONFIG", raising=False)
    monkeypatch.delenv("DATIVO_REGISTRY_TOKEN", raising=False)


def unique(prefix: str = "acme") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def plugin_wheel(directory: Path, name: str, version: str = "1.0", extra: bytes = b"") -> Path:
    """A real reader plugin wheel (manifest, entry point) named ``name``."""
    package = name.replace("-", "_")
    manifest = json.loads(json.dumps(_dists.MANIFEST))
    manifest["plugins"][0]["connector"] = package
    files = {
        f"{package}/__init__.py": b'"""A test plugin."""\n' + extra,
        f"{package}/dativo-plugin.json": json.dumps(manifest).encode(),
    }
    directory.mkdir(parents=True, exist_ok=True)
    entry_points = f"[dativo.readers]\n{package} = {package}:HelloReader\n"
    path: Path = _dists.write_wheel(directory, name, version, files, entry_points=entry_points)
    return path


def write_report(dist: Path, kind: str = "conformance", body: dict[str, Any] | None = None) -> Path:
    """``DIST.<kind>.json``, as ``dativo-pkg test --dist`` / ``bench --dist`` write it."""
    report = dist.with_name(f"{dist.name}.{kind}.json")
    report.write_text(json.dumps(body if body is not None else CERTIFIED_REPORT))
    return report


@dataclass(frozen=True)
class Key:
    """A publisher key made by ``dativo-pkg key generate``."""

    private: Path
    public: Path
    passphrase_file: Path

    def sign(self, *dists: Path) -> list[Path]:
        """``dativo-pkg sign --key``: writes ``DIST.key.attestation``."""
        settings = SignSettings(dists, key_file=self.private, passphrase_file=self.passphrase_file)
        return [signed.signature for signed in sign(settings)]

    def sign_report(self, dist: Path, report: Path, kind: str = "conformance") -> Path:
        """``dativo-pkg sign --conformance REPORT`` (or ``--benchmark``)."""
        settings = SignSettings(
            [dist],
            key_file=self.private,
            passphrase_file=self.passphrase_file,
            statement=kind,  # type: ignore[arg-type]
            report=report,
        )
        return sign(settings)[0].signature


def new_key(directory: Path, name: str = "publisher") -> Key:
    directory.mkdir(parents=True, exist_ok=True)
    passphrase = directory / f"{name}.passphrase"
    passphrase.write_text("correct horse battery staple\n")
    made = generate(KeySettings(directory / f"{name}.pem", passphrase))
    return Key(made.private_key, made.public_key, passphrase)


@dataclass
class Hub:
    """A running registry and what the tests do with it."""

    registry: Any
    token: str

    @property
    def url(self) -> str:
        return str(self.registry.url)

    def add_key_publisher(self, project: str, key: Key) -> None:
        """What ``dativo-registry publisher add --key`` does, in-process (its CLI is slow)."""
        from sqlalchemy.orm import Session

        from dativo_registry import publishers
        from dativo_registry.config import Settings
        from dativo_registry.db import make_engine

        engine = make_engine(Settings(self.registry.data_dir, self.registry.database_url))
        try:
            with Session(engine) as session:
                publisher = publishers.key_publisher(key.public.read_bytes())
                publishers.add_publisher(session, project, publisher)
                session.commit()
        finally:
            engine.dispose()

    def publish(self, *paths: Path, **options: Any) -> PublishResult:
        """``dativo-pkg publish PATHS --registry URL --token T``, in-process."""
        settings = PublishSettings(
            paths=paths, registry=options.pop("registry", self.url), token=self.token, **options
        )
        return publish(settings)

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=30)

    def release(self, project: str, version: str = "1.0") -> dict[str, Any] | None:
        response = self.get(f"/api/v1/plugins/{project}/{version}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def plugin_names(self, **query: str) -> set[str]:
        response = httpx.get(f"{self.url}/api/v1/plugins", params=query, timeout=30)
        response.raise_for_status()
        return {p["normalized"] for p in response.json()["plugins"]}


def _hub(directory: Path, *flags: str, database_url: str | None = None) -> Iterator[Hub]:
    directory.mkdir(parents=True, exist_ok=True)
    registry = Registry(data_dir=directory / "data", database_url=database_url)
    registry.start(*flags)
    try:
        yield Hub(registry, registry.token("alice"))
    finally:
        registry.stop()


@pytest.fixture(scope="session")
def open_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A registry that accepts unsigned files for projects without publishers."""
    yield from _hub(tmp_path_factory.mktemp("open"))


@pytest.fixture(scope="session")
def strict_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A registry started with --require-signatures."""
    yield from _hub(tmp_path_factory.mktemp("strict"), "--require-signatures")


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], scope="function"
)
def any_hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    """A fresh open registry on SQLite, or on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield from _hub(tmp_path / "any")
        return
    database_url = request.getfixturevalue("database_url_pg")
    yield from _hub(tmp_path / "any", database_url=database_url)


@pytest.fixture
def database_url_pg(pg_url: str) -> str:
    """A fresh PostgreSQL database (skipped without DATIVO_TEST_PG_URL)."""
    return pg_url


def dativo_pkg(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``dativo-pkg ARGS`` as a user runs it."""
    return subprocess.run(
        [str(BIN / "dativo-pkg"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})},
    )
