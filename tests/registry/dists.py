"""Real distributions for the upload tests: built by pip, or written byte by byte.

``built_dists`` runs ``pip wheel`` once per test session on tiny setuptools
projects (an ordinary package, a plugin with its manifest, a plugin without
one). ``write_wheel`` and ``write_sdist`` write distributions directly — real
ones: a wheel with METADATA, WHEEL and a RECORD of hashes, an sdist with its
PKG-INFO — so tests can make many versions, and bad variants, quickly.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "sigstore"
SIGNED_WHEEL = FIXTURES / "rfc8785-0.1.2-py3-none-any.whl"
SIGNED_SDIST = FIXTURES / "pypi_attestations-0.0.19.tar.gz"

MANIFEST = {
    "manifest_version": 1,
    "plugins": [
        {
            "kind": "reader",
            "connector": "hello",
            "description": "Counts from 1 to rows.",
            "config_schema": {
                "type": "object",
                "properties": {"rows": {"type": "integer", "default": 10}},
            },
        }
    ],
}
PLUGIN_ENTRY_POINTS = "[dativo.readers]\nhello = dativo_hello:HelloReader\n"

HELLO_MODULE = '''\
"""A tiny Dativo reader: counts from 1 to rows."""

import pyarrow as pa

from dativo_pkg import PluginConfig, Reader


class HelloConfig(PluginConfig):
    rows: int = 10


class HelloReader(Reader[HelloConfig]):
    """Counts from 1 to rows."""

    config_model = HelloConfig

    def schema(self) -> pa.Schema:
        return pa.schema([("n", pa.int64())])

    def read(self, incremental=None):
        yield pa.record_batch([pa.array(range(1, self.config.rows + 1))], schema=self.schema())
'''


@dataclass(frozen=True)
class BuiltDists:
    """Wheels built by pip from setuptools projects."""

    plain: Path  # tinypkg: an ordinary dependency
    plugin: Path  # dativo-hello: a reader with its manifest
    plugin_without_manifest: Path  # dativo-nomanifest: entry points, no manifest


def _pyproject(name: str, package: str, entry_points: str = "", data: str = "") -> str:
    return (
        textwrap.dedent(
            f"""\
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{name}"
        version = "1.0"
        description = "A test distribution of dativo-registry"
        requires-python = ">=3.9"

        [tool.setuptools]
        packages = ["{package}"]
        """
        )
        + (entry_points and f"\n{entry_points}")
        + (data and f"\n{data}")
    )


@functools.cache
def built_dists(workdir: Path) -> BuiltDists:
    """Build the test projects under ``workdir`` with one ``pip wheel`` (cached per session)."""
    projects = {
        "tinypkg": _pyproject("tinypkg", "tinypkg"),
        "dativo-hello": _pyproject(
            "dativo-hello",
            "dativo_hello",
            '[project.entry-points."dativo.readers"]\nhello = "dativo_hello:HelloReader"\n',
            '[tool.setuptools.package-data]\ndativo_hello = ["dativo-plugin.json"]\n',
        ),
        "dativo-nomanifest": _pyproject(
            "dativo-nomanifest",
            "dativo_nomanifest",
            '[project.entry-points."dativo.writers"]\nsink = "dativo_nomanifest:SinkWriter"\n',
        ),
    }
    for name, pyproject in projects.items():
        package = workdir / name / name.replace("-", "_")
        package.mkdir(parents=True)
        (workdir / name / "pyproject.toml").write_text(pyproject)
        (package / "__init__.py").write_text(
            HELLO_MODULE if name == "dativo-hello" else '"""A test package."""\n'
        )
    (workdir / "dativo-hello" / "dativo_hello" / "dativo-plugin.json").write_text(
        json.dumps(MANIFEST, indent=2)
    )
    dist = workdir / "dist"
    pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    sources = [str(workdir / name) for name in projects]
    subprocess.run([*pip, "-w", str(dist), *sources], check=True, capture_output=True)
    return BuiltDists(
        plain=dist / "tinypkg-1.0-py3-none-any.whl",
        plugin=dist / "dativo_hello-1.0-py3-none-any.whl",
        plugin_without_manifest=dist / "dativo_nomanifest-1.0-py3-none-any.whl",
    )


def metadata(name: str, version: str, extra: str = "") -> str:
    return (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        f"Summary: {name} for the registry tests\nRequires-Python: >=3.9\n{extra}"
    )


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def wheel_bytes(
    name: str,
    version: str,
    files: dict[str, bytes] | None = None,
    *,
    entry_points: str | None = None,
    metadata_name: str | None = None,
    metadata_version: str | None = None,
) -> bytes:
    """A wheel as pip builds it: the files, then METADATA, WHEEL, entry points, RECORD."""
    dist_info = f"{canonicalize_name(name).replace('-', '_')}-{version}.dist-info"
    members = dict(files or {f"{name.replace('-', '_')}/__init__.py": b'"""Test."""\n'})
    members[f"{dist_info}/METADATA"] = metadata(
        metadata_name or name, metadata_version or version
    ).encode()
    members[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: dativo-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    if entry_points is not None:
        members[f"{dist_info}/entry_points.txt"] = entry_points.encode()
    record = [_record_line(path, data) for path, data in members.items()]
    members[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in members.items():
            zf.writestr(path, data)
    return buffer.getvalue()


def wheel_name(name: str, version: str) -> str:
    return f"{canonicalize_name(name).replace('-', '_')}-{version}-py3-none-any.whl"


def write_wheel(
    directory: Path,
    name: str,
    version: str,
    files: dict[str, bytes] | None = None,
    *,
    entry_points: str | None = None,
) -> Path:
    """Write :func:`wheel_bytes` under its proper filename in ``directory``."""
    path = directory / wheel_name(name, version)
    path.write_bytes(wheel_bytes(name, version, files, entry_points=entry_points))
    return path


def sdist_bytes(
    name: str,
    version: str,
    files: dict[str, bytes] | None = None,
    *,
    metadata_version: str | None = None,
) -> bytes:
    """An sdist: ``<name>-<version>/`` holding PKG-INFO, pyproject.toml and ``files``."""
    top = f"{canonicalize_name(name).replace('-', '_')}-{version}"
    members = {
        "PKG-INFO": metadata(name, metadata_version or version).encode(),
        "pyproject.toml": _pyproject(name, name.replace("-", "_")).encode(),
        **(files or {f"{name.replace('-', '_')}/__init__.py": b'"""Test."""\n'}),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for path, data in members.items():
            info = tarfile.TarInfo(f"{top}/{path}")
            info.size = len(data)
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write_sdist(
    directory: Path, name: str, version: str, files: dict[str, bytes] | None = None
) -> Path:
    path = directory / f"{canonicalize_name(name).replace('-', '_')}-{version}.tar.gz"
    path.write_bytes(sdist_bytes(name, version, files))
    return path
