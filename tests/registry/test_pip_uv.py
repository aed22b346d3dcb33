"""pip and uv install from the registry what twine uploaded, byte for byte.

The distributions are built by ``pip wheel`` from setuptools projects, as a
plugin author builds them: ``dativo-chain`` is a plugin (manifest and entry
point) that depends on ``chain-base``; ``chain-base`` 2.0 is yanked, so a
resolver must take 1.0 unless 2.0 is pinned with ``==`` (PEP 592). The
installers talk to nothing but the test registry: no configuration files, no
cache, no other index.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BIN, Registry
from dists import MANIFEST
from shared_registry import module_registry, yank
from uploads import output, twine_upload

#: Requirement -> what ends up installed.
PROJECTS = {
    "chain-base-1.0": ("chain-base", "1.0", ""),
    "chain-base-2.0": ("chain-base", "2.0", ""),
    "dativo-chain-1.0": ("dativo-chain", "1.0", "chain-base>=1"),
}


def _setuptools_project(root: Path, name: str, version: str, requires: str) -> None:
    package = name.replace("-", "_")
    plugin = name.startswith("dativo-")
    (root / package).mkdir(parents=True)
    (root / package / "__init__.py").write_text(
        f'"""{name} {version}."""\n\nVERSION = "{version}"\n'
    )
    extra = ""
    if plugin:
        (root / package / "dativo-plugin.json").write_text(json.dumps(MANIFEST))
        extra = textwrap.dedent(
            f"""
            [project.entry-points."dativo.readers"]
            hello = "{package}:HelloReader"

            [tool.setuptools.package-data]
            {package} = ["dativo-plugin.json"]
            """
        )
    dependencies = f'"{requires}"' if requires else ""
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [build-system]
            requires = ["setuptools"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "{name}"
            version = "{version}"
            description = "{name}, installed by the registry tests"
            requires-python = ">=3.9"
            dependencies = [{dependencies}]

            [tool.setuptools]
            packages = ["{package}"]
            """
        )
        + extra
    )


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The three wheels, built once by ``pip wheel``."""
    root = tmp_path_factory.mktemp("projects")
    for key, (name, version, requires) in PROJECTS.items():
        _setuptools_project(root / key, name, version, requires)
    dist = root / "dist"
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-cache-dir"]
    for key in PROJECTS:  # one at a time: pip refuses two versions of one project at once
        subprocess.run(
            [*pip_wheel, "--no-build-isolation", "-w", str(dist), str(root / key)],
            check=True,
            capture_output=True,
        )
    return {
        key: dist / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
        for key, (name, version, _) in PROJECTS.items()
    }


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def published(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    wheels: dict[str, Path],
) -> Iterator[Registry]:
    """A registry holding the three wheels, chain-base 2.0 yanked."""
    with module_registry(request, tmp_path_factory.mktemp("registry")) as registry:
        result = twine_upload(registry, registry.token("alice"), *wheels.values())
        assert result.returncode == 0, output(result)
        yank(registry, "chain-base", "2.0", "do not use")
        yield registry


def _run(*command: str, tmp: Path) -> str:
    """Run an installer isolated from any configuration, cache or other index."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "UV_", "PYTHON"))
    }
    env |= {
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_CACHE_DIR": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "UV_CACHE_DIR": str(tmp / "uv-cache"),
        "UV_NO_CONFIG": "1",
        "HOME": str(tmp),
    }
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def _pip(*args: str, tmp: Path) -> str:
    return _run(sys.executable, "-m", "pip", *args, tmp=tmp)


def _uv_pip(*args: str, tmp: Path) -> str:
    return _run(str(BIN / "uv"), "pip", *args, "--no-cache", "--python", sys.executable, tmp=tmp)


def _installed(target: Path) -> set[str]:
    """``name-version`` of what an install put in ``target``."""
    return {path.name.removesuffix(".dist-info") for path in target.glob("*.dist-info")}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_pip_downloads_exactly_what_was_uploaded(
    published: Registry, wheels: dict[str, Path], tmp_path: Path
) -> None:
    index = ["--index-url", published.simple]
    _pip("download", "--no-deps", *index, "dativo-chain", "-d", str(tmp_path / "d"), tmp=tmp_path)
    (downloaded,) = (tmp_path / "d").iterdir()
    assert downloaded.name == wheels["dativo-chain-1.0"].name
    assert downloaded.read_bytes() == wheels["dativo-chain-1.0"].read_bytes()
    # The yanked release is passed over, unless pinned.
    _pip("download", "--no-deps", *index, "chain-base", "-d", str(tmp_path / "b"), tmp=tmp_path)
    assert [p.name for p in (tmp_path / "b").iterdir()] == [wheels["chain-base-1.0"].name]
    _pip(
        "download", "--no-deps", *index, "chain-base==2.0", "-d", str(tmp_path / "p"), tmp=tmp_path
    )
    (pinned,) = (tmp_path / "p").iterdir()
    assert _sha256(pinned) == _sha256(wheels["chain-base-2.0"])


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_install_with_dependencies(
    installer: str, published: Registry, wheels: dict[str, Path], tmp_path: Path
) -> None:
    """The plugin and its dependency, with the digests the registry lists required."""
    install = _pip if installer == "pip" else _uv_pip
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        f"dativo-chain==1.0 --hash=sha256:{_sha256(wheels['dativo-chain-1.0'])}\n"
        f"chain-base==1.0 --hash=sha256:{_sha256(wheels['chain-base-1.0'])}\n"
    )
    index = ["--index-url", published.simple]
    target = tmp_path / "hashed"
    install(
        "install",
        *index,
        "--require-hashes",
        "--target",
        str(target),
        "-r",
        str(requirements),
        tmp=tmp_path,
    )
    assert _installed(target) == {"dativo_chain-1.0", "chain_base-1.0"}
    assert (target / "dativo_chain" / "dativo-plugin.json").is_file()

    # Resolved from the index: the yanked chain-base 2.0 is not picked...
    target = tmp_path / "resolved"
    install("install", *index, "--target", str(target), "dativo-chain", tmp=tmp_path)
    assert _installed(target) == {"dativo_chain-1.0", "chain_base-1.0"}
    # ...unless it is pinned.
    target = tmp_path / "pinned"
    install("install", *index, "--target", str(target), "chain-base==2.0", tmp=tmp_path)
    assert _installed(target) == {"chain_base-2.0"}
