"""Verified install against a real registry: ``dativo-registry serve``, twine, signed wheels.

One registry for all of them (started with both public Sigstore instances'
roots); each test publishes its own projects, so tests share it without
seeing each other. Wheels are written byte by byte (tests/registry/dists.py
style) so that a test can make plugins with any version, dependency and API
range in milliseconds; key signatures are made with the trust core.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from shared_support import load_module

from dativo_pkg.commands.install import InstallResult, InstallSettings, install
from dativo_pkg.trust import (
    KEY_SUFFIX,
    PUBLISH_PREDICATE,
    PrivateKey,
    generate_private_key,
    public_key_pem,
    sign_with_key,
    statement_subject,
)

TESTS = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FIXTURES = TESTS.parents[1] / "shared" / "fixtures" / "sigstore"
STAGING_WHEEL = FIXTURES / "rfc8785-0.1.2-py3-none-any.whl"
STAGING_IDENTITY = "william@yossarian.net"
STAGING_ISSUER = "https://github.com/login/oauth"


Registry: Any = load_module(
    "install_registry_conftest", TESTS / "registry" / "conftest.py"
).Registry
#: A real reader (counts from 1 to ``rows``), as tests/registry/dists.py writes it.
HELLO_READER = load_module("install_registry_dists", TESTS / "registry" / "dists.py").HELLO_MODULE


# -- distributions -------------------------------------------------------------------


def manifest(connector: str, api: str = ">=1,<2") -> dict[str, Any]:
    return {
        "manifest_version": 1,
        "plugins": [
            {
                "kind": "reader",
                "connector": connector,
                "api": api,
                "config_schema": {"type": "object"},
            }
        ],
    }


def make_wheel(
    directory: Path,
    name: str,
    version: str,
    *,
    plugin: str | None = None,
    api: str = ">=1,<2",
    requires: tuple[str, ...] = (),
    script: str | None = None,
    module: str | None = None,
) -> Path:
    """A real wheel (METADATA, WHEEL, RECORD); a reader plugin named ``plugin`` if given
    (its class ``Reader`` in ``module``), a console script named ``script`` if given."""
    package = canonicalize_name(name).replace("-", "_")
    dist_info = f"{package}-{version}.dist-info"
    code = module or f'"""{name} {version}."""\n\ndef main(): pass\n'
    members = {f"{package}/__init__.py": code.encode()}
    entry_points = ""
    if plugin is not None:
        members[f"{package}/dativo-plugin.json"] = json.dumps(manifest(plugin, api)).encode()
        entry_points += f"[dativo.readers]\n{plugin} = {package}:Reader\n"
    if script is not None:
        entry_points += f"[console_scripts]\n{script} = {package}:main\n"
    if entry_points:
        members[f"{dist_info}/entry_points.txt"] = entry_points.encode()
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    members[f"{dist_info}/METADATA"] = metadata.encode()
    members[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: dativo-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = [_record_line(path, data) for path, data in members.items()]
    members[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,", ""]).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in members.items():
            zf.writestr(path, data)
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / f"{package}-{version}-py3-none-any.whl"
    wheel.write_bytes(buffer.getvalue())
    return wheel


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


@dataclass(frozen=True)
class Key:
    """A publisher key: the private key, and its public PEM written to ``public``."""

    private: PrivateKey
    public: Path

    def sign(self, dist: Path) -> Path:
        """Write ``DIST.key.attestation`` (what `dativo-pkg sign --key` writes)."""
        bundle = sign_with_key(
            self.private, statement_subject(dist), predicate_type=PUBLISH_PREDICATE
        )
        signature = dist.parent / f"{dist.name}{KEY_SUFFIX}"
        signature.write_text(json.dumps(bundle))
        return signature


def new_key(directory: Path, name: str) -> Key:
    private = generate_private_key()
    public = directory / f"{name}.pub.pem"
    directory.mkdir(parents=True, exist_ok=True)
    public.write_text(public_key_pem(private))
    return Key(private, public)


# -- the registry --------------------------------------------------------------------


@dataclass
class Index:
    """The module's registry and what tests do with it."""

    registry: Any
    token: str
    workdir: Path

    @property
    def simple(self) -> str:
        return str(self.registry.simple)

    def add_key_publisher(self, project: str, key: Key) -> None:
        """What ``dativo-registry publisher add --key`` does, in-process (the CLI takes 1.5 s)."""
        from sqlalchemy.orm import Session

        from dativo_registry import publishers

        with self._engine() as engine, Session(engine) as session:
            publishers.add_publisher(
                session, project, publishers.key_publisher(key.public.read_bytes())
            )
            session.commit()

    @contextmanager
    def _engine(self) -> Iterator[Any]:
        from dativo_registry.config import Settings
        from dativo_registry.db import make_engine

        engine = make_engine(Settings(self.registry.data_dir, None))
        try:
            yield engine
        finally:
            engine.dispose()

    def add_oidc_publisher(self, project: str, issuer: str, identity: str) -> None:
        self.registry.admin(
            "publisher", "add", "--project", project, "--issuer", issuer, "--identity", identity
        )

    def upload(self, *paths: Path) -> None:
        """``twine upload`` (``--attestations`` when signatures are among ``paths``)."""
        signed = any(path.name.endswith(".attestation") for path in paths)
        result = subprocess.run(
            [
                str(BIN / "twine"),
                "upload",
                "--repository-url",
                f"{self.registry.url}/legacy/",
                "-u",
                "__token__",
                "-p",
                self.token,
                "--non-interactive",
                "--disable-progress-bar",
                *(["--attestations"] if signed else []),
                *map(str, paths),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def publish(self, dist: Path, key: Key | None = None) -> Path:
        """Upload ``dist``, signed with ``key`` (registered as a publisher first) if given."""
        project = dist.name.split("-")[0]
        if key is None:
            self.upload(dist)
        else:
            self.add_key_publisher(project, key)
            self.upload(dist, key.sign(dist))
        return dist

    def yank(self, project: str, version: str, reason: str) -> None:
        self.registry.admin("yank", project, version, "--reason", reason)

    def delete_file(self, project: str, filename: str) -> None:
        """Remove a file from the index, as an administrator would (no CLI for it yet)."""
        from sqlalchemy import func, select, update

        from dativo_registry.models import File, Project

        with self._engine() as engine, engine.begin() as conn:
            project_id = conn.execute(
                select(Project.id).where(Project.normalized == canonicalize_name(project))
            ).scalar_one()
            conn.execute(
                update(Project).where(Project.id == project_id).values(serial=Project.serial + 1)
            )
            conn.execute(
                update(File).where(File.filename == filename).values(deleted_at=func.now())
            )

    def blob(self, sha256: str) -> Path:
        return next((self.registry.data_dir / "blobs").rglob(sha256))


@pytest.fixture(scope="session")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    workdir = tmp_path_factory.mktemp("install")
    registry = Registry(data_dir=workdir / "data", database_url=None)
    registry.start("--sigstore-instance", "production", "--sigstore-instance", "staging")
    try:
        yield Index(registry, registry.token("alice"), workdir)
    finally:
        registry.stop()


# -- installing ----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A fresh installation prefix and lockfile for one test."""

    prefix: Path
    lockfile: Path

    @property
    def site(self) -> Path:
        scheme = sysconfig.get_preferred_scheme("prefix")
        base = str(self.prefix)
        variables = {"base": base, "platbase": base, "installed_base": base}
        return Path(
            sysconfig.get_paths(scheme, vars={**variables, "installed_platbase": base})["purelib"]
        )

    def installed(self) -> dict[str, str]:
        """Distribution name -> version of what the prefix holds."""
        if not self.site.is_dir():
            return {}
        found = {}
        for info in self.site.glob("*.dist-info"):
            for line in (info / "METADATA").read_text().splitlines():
                if line.startswith("Name: "):
                    name = canonicalize_name(line.removeprefix("Name: "))
                if line.startswith("Version: "):
                    found[name] = line.removeprefix("Version: ")
        return found

    def lock(self) -> dict[str, dict[str, Any]]:
        import tomllib

        if not self.lockfile.exists():
            return {}
        document = tomllib.loads(self.lockfile.read_text())
        assert document["version"] == 1
        return {p["name"]: p for p in document["package"]}


@pytest.fixture
def target(tmp_path: Path) -> Target:
    return Target(tmp_path / "prefix", tmp_path / "dativo.lock")


def install_into(target: Target, index: Index, *requirements: str, **options: Any) -> InstallResult:
    """``dativo-pkg install`` in-process (the CLI is a thin layer over this)."""
    settings = InstallSettings(
        requirements=requirements,
        index_url=options.pop("index_url", index.simple),
        lockfile=target.lockfile,
        prefix=target.prefix,
        **options,
    )
    return install(settings)


def dativo_pkg(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``dativo-pkg ARGS`` as a user runs it."""
    return subprocess.run(
        [str(BIN / "dativo-pkg"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})},
    )
