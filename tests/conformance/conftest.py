"""Wheels of the suite's own test plugins, built once per session, and a signing key."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dativo_conformance._install import installed_wheel
from dativo_pkg.trust import (
    KEY_SUFFIX,
    PUBLISH_PREDICATE,
    PrivateKey,
    Publisher,
    generate_private_key,
    public_key_pem,
    sign_with_key,
    statement_subject,
)

PLUGINS = Path(__file__).parent / "plugins"
PROJECTS = ("good-reader", "good-writer", "broken")


@pytest.fixture(scope="session")
def project_copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The plugin projects, copied (building in place would leave build/ in the tree)."""
    root = tmp_path_factory.mktemp("projects")
    return {name: Path(shutil.copytree(PLUGINS / name, root / name)) for name in PROJECTS}


@pytest.fixture(scope="session")
def wheels(
    project_copies: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """One wheel per test plugin project, built by pip in one call."""
    out = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(out), *map(str, project_copies.values())],
        check=True,
        capture_output=True,
    )  # fmt: skip
    built = {}
    for name in PROJECTS:
        prefix = "conformance_" + name.replace("-", "_") + "-"
        built[name] = next(out.glob(f"{prefix}*.whl"))
    return built


@pytest.fixture(scope="session")
def publisher_key() -> PrivateKey:
    return generate_private_key()


@pytest.fixture(scope="session")
def publisher(publisher_key: PrivateKey) -> Publisher:
    return Publisher.from_public_key(public_key_pem(publisher_key))


def sign(wheel: Path, key: PrivateKey) -> Path:
    """Write WHEEL.key.attestation, as `dativo-pkg sign --key` does."""
    document = sign_with_key(key, statement_subject(wheel), predicate_type=PUBLISH_PREDICATE)
    path = wheel.with_name(wheel.name + KEY_SUFFIX)
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def signed_copy(tmp_path: Path, publisher_key: PrivateKey) -> Iterator[object]:
    """A function copying a wheel into tmp_path and signing the copy."""

    def make(wheel: Path) -> Path:
        copy = Path(shutil.copy(wheel, tmp_path / wheel.name))
        sign(copy, publisher_key)
        return copy

    yield make


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A function installing a wheel privately until the test ends."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("DATIVO_PLUGIN_PATH", raising=False)
    stack: list[object] = []

    def install(wheel: Path) -> Path:
        manager = installed_wheel(wheel)
        site = manager.__enter__()
        stack.append(manager)
        return site

    yield install
    for manager in reversed(stack):
        manager.__exit__(None, None, None)  # type: ignore[attr-defined]
