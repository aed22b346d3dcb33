"""Signed distributions for the trust tests, and the registry-side setup they need.

The keyless signatures are the real Sigstore fixtures (``dists.SIGNED_SDIST``,
production; ``dists.SIGNED_WHEEL``, staging), always copied before use. Key
signatures are made here with a fresh publisher key, as ``dativo-pkg sign
--key`` makes them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import Registry
from sqlalchemy.orm import Session
from uploads import database, twine_upload

from dativo_pkg.trust import (
    KEY_SUFFIX,
    KEYLESS_SUFFIX,
    PUBLISH_PREDICATE,
    PrivateKey,
    Publisher,
    generate_private_key,
    key_id,
    public_key_pem,
    sign_with_key,
    statement_subject,
)
from dativo_registry.publishers import add_publisher

#: Who signed the fixtures (see the fixtures' README).
SDIST_ISSUER = "https://token.actions.githubusercontent.com"
SDIST_IDENTITY = (
    "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml"
    "@refs/tags/v0.0.19"
)
SDIST_WORKFLOW = SDIST_IDENTITY.partition("@")[0]
SDIST_PROJECT = "pypi-attestations"
WHEEL_ISSUER = "https://github.com/login/oauth"
WHEEL_IDENTITY = "william@yossarian.net"
WHEEL_PROJECT = "rfc8785"


def copy_signed(fixture: Path, directory: Path) -> Path:
    """Copy a fixture distribution and its attestation into ``directory``; the copy's path."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(fixture, directory)
    shutil.copy(f"{fixture}{KEYLESS_SUFFIX}", directory)
    return directory / fixture.name


def attestations_of(dist: Path) -> list[Path]:
    """The attestation files next to ``dist`` (what twine pairs with it)."""
    return sorted(dist.parent.glob(f"{dist.name}.*.attestation"))


def upload_signed(registry: Registry, token: str, *dists: Path) -> subprocess.CompletedProcess[str]:
    """``twine upload --attestations`` of ``dists`` with every attestation next to them."""
    attestations = [path for dist in dists for path in attestations_of(dist)]
    return twine_upload(registry, token, *dists, *attestations, options=("--attestations",))


@dataclass(frozen=True)
class PublisherKey:
    """A publisher's key pair; the public half written to ``public_pem``."""

    key: PrivateKey
    public_pem: Path

    @property
    def key_id(self) -> str:
        return key_id(self.key.public_key())


def new_key(directory: Path, name: str = "publisher") -> PublisherKey:
    directory.mkdir(parents=True, exist_ok=True)
    key = generate_private_key()
    public = directory / f"{name}.pem.pub"
    public.write_text(public_key_pem(key))
    return PublisherKey(key, public)


def key_sign(
    key: PublisherKey,
    dist: Path,
    *,
    predicate_type: str = PUBLISH_PREDICATE,
    predicate: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Sign ``dist`` with ``key``; writes ``<dist>.key.attestation`` for a publish statement."""
    bundle = sign_with_key(
        key.key, statement_subject(dist), predicate_type=predicate_type, predicate=predicate
    )
    if predicate_type == PUBLISH_PREDICATE:
        Path(f"{dist}{KEY_SUFFIX}").write_text(json.dumps(bundle))
    return bundle


def register(registry: Registry, project: str, publisher: Publisher) -> None:
    """Add a publisher in-process (``publisher add`` does the same; its CLI has its own tests)."""
    with database(registry) as engine, Session(engine) as session:
        add_publisher(session, project, publisher)
        session.commit()


def blobs(registry: Registry) -> set[str]:
    """The content addresses in the registry's blob store."""
    root = registry.data_dir / "blobs"
    return {path.name for path in root.glob("??/??/*") if path.is_file()}


@contextmanager
def running(directory: Path, *flags: str, database_url: str | None = None) -> Iterator[Registry]:
    """A registry started with ``flags`` for the block's duration."""
    registry = Registry(directory / "data", database_url)
    registry.start(*flags)
    try:
        yield registry
    finally:
        registry.stop()


def said(result: subprocess.CompletedProcess[str]) -> str:
    """What twine printed, without whitespace: its log wraps long words at any column."""
    return "".join((result.stdout + result.stderr).split())


def says(result: subprocess.CompletedProcess[str], *phrases: str) -> bool:
    """Whether twine's output holds every phrase (compared without whitespace)."""
    text = said(result)
    return all("".join(phrase.split()) in text for phrase in phrases)
