"""Inspecting uploaded distributions: what is accepted, and every reason to refuse.

Each refusal is a real file: a wheel or sdist written byte by byte with the
flaw in question (a bad filename, lying metadata, corruption, escaping
paths, a zip bomb, a plugin without a valid manifest).
"""

from __future__ import annotations

import gzip
import io
import json
import stat
import struct
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dists import (
    MANIFEST,
    PLUGIN_ENTRY_POINTS,
    SIGNED_SDIST,
    SIGNED_WHEEL,
    BuiltDists,
    built_dists,
    metadata,
    sdist_bytes,
    wheel_bytes,
)

from dativo_registry.config import MIB, Settings
from dativo_registry.distfile import DistInfo, inspect_distribution
from dativo_registry.errors import UploadRefused

WHEEL = "tinypkg-1.0-py3-none-any.whl"
SDIST = "tinypkg-1.0.tar.gz"
LIMIT = 1 * MIB


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltDists:
    return built_dists(tmp_path_factory.getbasetemp() / "built")


def inspect(tmp_path: Path, data: bytes, filename: str) -> DistInfo:
    path = tmp_path / "upload"
    path.write_bytes(data)
    return inspect_distribution(path, filename, Settings(tmp_path, max_expanded_bytes=LIMIT))


# --- building blocks for bad archives -----------------------------------------------------


def zip_of(members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buffer.getvalue()


def wheel_with(*extra: tuple[str | zipfile.ZipInfo, bytes], base: bytes | None = None) -> bytes:
    """The tinypkg wheel plus ``extra`` members."""
    with zipfile.ZipFile(io.BytesIO(base or wheel_bytes("tinypkg", "1.0"))) as zf:
        members: list[tuple[str | zipfile.ZipInfo, bytes]] = [
            (info.filename, zf.read(info)) for info in zf.infolist()
        ]
    return zip_of(members + list(extra))


def tar_gz_of(entries: list[tuple[tarfile.TarInfo, bytes]], padding: int = 0) -> bytes:
    """A gzip-compressed tar; ``padding`` zero bytes after the end of the archive."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            info.size = len(data) if info.isfile() else 0
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return gzip.compress(buffer.getvalue() + bytes(padding))


def entry(name: str, type_: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = type_
    info.linkname = linkname
    return info


def sdist_with(*extra: tuple[tarfile.TarInfo, bytes], padding: int = 0) -> bytes:
    """The tinypkg sdist plus ``extra`` members."""
    with tarfile.open(fileobj=io.BytesIO(sdist_bytes("tinypkg", "1.0")), mode="r:gz") as tar:
        members = [(info, tar.extractfile(info).read()) for info in tar]  # type: ignore[union-attr]
    return tar_gz_of(members + list(extra), padding)


def corrupt_crc(data: bytes) -> bytes:
    """Change one byte of a stored member: the archive parses, the checksum does not match."""
    marker = b"stored payload, checked by CRC-32"
    archive = wheel_with((zip_stored("tinypkg/data.txt"), marker), base=data)
    return archive.replace(marker, marker[:-1] + b"?")


def zip_stored(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_STORED
    return info


def understated_sizes(data: bytes, size: int) -> bytes:
    """A zip bomb that lies: every member claims ``size`` bytes uncompressed."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := out.find(signature, start)) != -1:
            out[start + offset : start + offset + 4] = struct.pack("<I", size)
            start += 4
    return bytes(out)


def zip_symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def plugin_wheel(manifest: Any, entry_points: str = PLUGIN_ENTRY_POINTS) -> bytes:
    raw = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
    files = {"dativo_hello/__init__.py": b"", "dativo_hello/dativo-plugin.json": raw}
    return wheel_bytes("dativo-hello", "1.0", files, entry_points=entry_points)


def with_plugin(**changes: Any) -> dict[str, Any]:
    return {"manifest_version": 1, "plugins": [{**MANIFEST["plugins"][0], **changes}]}  # type: ignore[index]


HELLO = "dativo_hello-1.0-py3-none-any.whl"


def manifest_in_another_package() -> bytes:
    files = {"other/dativo-plugin.json": json.dumps(MANIFEST).encode()}
    return wheel_bytes("dativo-hello", "1.0", files, entry_points=PLUGIN_ENTRY_POINTS)


def sdist_plugin_without_manifest() -> bytes:
    top = "dativo_hello-1.0"
    return tar_gz_of(
        [
            (entry(f"{top}/PKG-INFO"), metadata("dativo-hello", "1.0").encode()),
            (entry(f"{top}/dativo_hello.egg-info/entry_points.txt"), PLUGIN_ENTRY_POINTS.encode()),
        ]
    )


def two_plugin_groups() -> str:
    return PLUGIN_ENTRY_POINTS + "[dativo.writers]\nsink = dativo_hello:Sink\n"


# --- accepted -----------------------------------------------------------------------------


def test_a_pip_built_wheel(tmp_path: Path, built: BuiltDists) -> None:
    info = inspect(tmp_path, built.plain.read_bytes(), built.plain.name)
    assert (info.name, info.normalized_name, info.version) == ("tinypkg", "tinypkg", "1.0")
    assert (info.packagetype, info.python_version) == ("bdist_wheel", "py3")
    assert info.requires_python == ">=3.9"
    assert info.summary == "A test distribution of dativo-registry"
    assert info.manifest is None and info.entry_point_groups == frozenset()
    with zipfile.ZipFile(built.plain) as zf:
        assert info.metadata_bytes == zf.read("tinypkg-1.0.dist-info/METADATA")


def test_a_pip_built_plugin_wheel_carries_its_validated_manifest(
    tmp_path: Path, built: BuiltDists
) -> None:
    info = inspect(tmp_path, built.plugin.read_bytes(), built.plugin.name)
    assert info.entry_point_groups == frozenset({"dativo.readers"})
    assert info.manifest is not None
    [plugin] = info.manifest["plugins"]
    assert (plugin["kind"], plugin["connector"], plugin["api"]) == ("reader", "hello", ">=1,<2")
    assert plugin["config_schema"] == MANIFEST["plugins"][0]["config_schema"]  # type: ignore[index]


@pytest.mark.parametrize("path", [SIGNED_WHEEL, SIGNED_SDIST], ids=lambda p: p.name)
def test_real_published_distributions(tmp_path: Path, path: Path) -> None:
    info = inspect(tmp_path, path.read_bytes(), path.name)
    assert info.normalized_name in ("rfc8785", "pypi-attestations")
    assert info.python_version == ("py3" if path.suffix == ".whl" else "source")
    fields = info.metadata_fields
    assert isinstance(fields["Requires-Dist"], list) and isinstance(fields["Classifier"], list)
    assert fields["Name"] == info.name and "Description" in fields


def test_sdists_tar_gz_and_zip(tmp_path: Path) -> None:
    info = inspect(tmp_path, sdist_bytes("tinypkg", "1.0"), SDIST)
    assert (info.packagetype, info.python_version, info.version) == ("sdist", "source", "1.0")
    assert info.metadata_bytes == metadata("tinypkg", "1.0").encode()
    zipped = zip_of([("tinypkg-1.0/PKG-INFO", info.metadata_bytes), ("tinypkg-1.0/a.py", b"")])
    assert inspect(tmp_path, zipped, "tinypkg-1.0.zip").normalized_name == "tinypkg"


def test_equal_versions_in_other_spellings_are_accepted(tmp_path: Path) -> None:
    data = wheel_bytes("Tiny.Pkg", "1.0", metadata_version="1.0.0")
    info = inspect(tmp_path, data, "tiny_pkg-1.0-py3-none-any.whl")
    assert (info.name, info.normalized_name, info.version) == ("Tiny.Pkg", "tiny-pkg", "1.0.0")


def test_an_sdist_plugin_is_found_through_pyproject_in_a_src_layout(tmp_path: Path) -> None:
    pyproject = b'[project]\nname = "dativo-hello"\n[project.entry-points."dativo.readers"]\n'
    pyproject += b'hello = "dativo_hello:HelloReader"\n'
    top = "dativo_hello-1.0"
    data = tar_gz_of(
        [
            (entry(f"{top}/PKG-INFO"), metadata("dativo-hello", "1.0").encode()),
            (entry(f"{top}/pyproject.toml"), pyproject),
            (entry(f"{top}/src/dativo_hello/dativo-plugin.json"), json.dumps(MANIFEST).encode()),
        ]
    )
    info = inspect(tmp_path, data, "dativo_hello-1.0.tar.gz")
    assert info.manifest is not None and info.manifest["plugins"][0]["connector"] == "hello"


# --- refused ------------------------------------------------------------------------------

Case = tuple[Callable[[], bytes], str, str]

REFUSED: dict[str, Case] = {
    # filenames
    "no version in filename": (lambda: wheel_bytes("tinypkg", "1.0"), "tinypkg.whl", "not a valid"),
    "unknown extension": (
        lambda: sdist_bytes("tinypkg", "1.0"),
        "tinypkg-1.0.tar.bz2",
        "extension",
    ),
    "wheel without tags": (
        lambda: wheel_bytes("tinypkg", "1.0"),
        "tinypkg-1.0-py3.whl",
        "not a valid",
    ),
    "directory in filename": (
        lambda: sdist_bytes("tinypkg", "1.0"),
        "../tinypkg-1.0.tar.gz",
        "no directories",
    ),
    "hidden filename": (
        lambda: sdist_bytes("tinypkg", "1.0"),
        ".tinypkg-1.0.tar.gz",
        "no leading dot",
    ),
    "invalid name in filename": (
        lambda: sdist_bytes("tinypkg", "1.0"),
        "tiny pkg-1.0.tar.gz",
        "not a valid",
    ),
    # the filename and the metadata disagree
    "wheel renamed to another project": (
        lambda: wheel_bytes("tinypkg", "1.0"),
        "other-1.0-py3-none-any.whl",
        "says Name: tinypkg",
    ),
    "wheel renamed to another version": (
        lambda: wheel_bytes("tinypkg", "1.0"),
        "tinypkg-2.0-py3-none-any.whl",
        "says Version: 1.0",
    ),
    "METADATA names another project": (
        lambda: wheel_bytes("tinypkg", "1.0", metadata_name="other"),
        WHEEL,
        "says Name: other",
    ),
    "PKG-INFO has another version": (
        lambda: sdist_bytes("tinypkg", "1.0", metadata_version="1.1"),
        SDIST,
        "says Version: 1.1",
    ),
    ".dist-info of another project": (
        lambda: wheel_bytes("other", "1.0", metadata_name="tinypkg"),
        WHEEL,
        "named for another project",
    ),
    # corrupt archives
    "empty file": (lambda: b"", WHEEL, "not a valid zip"),
    "not a zip": (lambda: b"PK\x03\x04 this is no zip file" * 10, WHEEL, "not a valid zip"),
    "truncated wheel": (lambda: wheel_bytes("tinypkg", "1.0")[:-40], WHEEL, "not a valid zip"),
    "checksum mismatch": (lambda: corrupt_crc(wheel_bytes("tinypkg", "1.0")), WHEEL, "CRC"),
    "truncated sdist": (
        lambda: sdist_bytes("tinypkg", "1.0")[:-30],
        SDIST,
        "not a valid gzip-compressed tar",
    ),
    "gzip but not tar": (
        lambda: gzip.compress(b"hello " * 200),
        SDIST,
        "not a valid gzip-compressed tar",
    ),
    "tar but not gzip": (
        lambda: gzip.decompress(sdist_bytes("tinypkg", "1.0")),
        SDIST,
        "not a valid gzip-compressed tar",
    ),
    "wheel without METADATA": (
        lambda: zip_of([("tinypkg-1.0.dist-info/WHEEL", b"")]),
        WHEEL,
        "has no tinypkg-1.0.dist-info/METADATA",
    ),
    "wheel without .dist-info": (
        lambda: zip_of([("tinypkg/__init__.py", b"")]),
        WHEEL,
        "exactly one .dist-info",
    ),
    "two .dist-info": (
        lambda: wheel_with(("other-1.0.dist-info/METADATA", b"")),
        WHEEL,
        "exactly one .dist-info",
    ),
    "sdist without PKG-INFO": (
        lambda: tar_gz_of([(entry("tinypkg-1.0/setup.py"), b"")]),
        SDIST,
        "no top-level PKG-INFO",
    ),
    "METADATA without Version": (
        lambda: zip_of([("tinypkg-1.0.dist-info/METADATA", b"Name: tinypkg\n")]),
        WHEEL,
        "no Version field",
    ),
    "duplicate members": (
        lambda: wheel_with(("tinypkg/__init__.py", b"evil = True\n")),
        WHEEL,
        "twice",
    ),
    # members escaping the archive
    "zip member with ..": (lambda: wheel_with(("../evil.py", b"")), WHEEL, "'..'"),
    "zip member with .. inside": (
        lambda: wheel_with(("tinypkg/../../evil.py", b"")),
        WHEEL,
        "'..'",
    ),
    "zip member with \\..": (lambda: wheel_with(("tinypkg\\..\\..\\evil.py", b"")), WHEEL, "'..'"),
    "zip member with absolute path": (
        lambda: wheel_with(("/etc/evil.py", b"")),
        WHEEL,
        "absolute path",
    ),
    "zip member with drive letter": (
        lambda: wheel_with(("C:/evil.py", b"")),
        WHEEL,
        "absolute path",
    ),
    "zip symlink out": (
        lambda: wheel_with(zip_symlink("tinypkg/ln", "../../etc/passwd")),
        WHEEL,
        "pointing outside",
    ),
    "tar member with ..": (
        lambda: sdist_with((entry("tinypkg-1.0/../../evil.py"), b"")),
        SDIST,
        "'..'",
    ),
    "tar member with absolute path": (
        lambda: sdist_with((entry("/tmp/evil.py"), b"")),
        SDIST,
        "absolute path",
    ),
    "tar symlink out": (
        lambda: sdist_with((entry("tinypkg-1.0/ln", tarfile.SYMTYPE, "../../etc/passwd"), b"")),
        SDIST,
        "pointing outside",
    ),
    "tar absolute symlink": (
        lambda: sdist_with((entry("tinypkg-1.0/ln", tarfile.SYMTYPE, "/etc/passwd"), b"")),
        SDIST,
        "pointing outside",
    ),
    "tar hardlink out": (
        lambda: sdist_with((entry("tinypkg-1.0/ln", tarfile.LNKTYPE, "../etc/passwd"), b"")),
        SDIST,
        "'..'",
    ),
    "tar device": (
        lambda: sdist_with((entry("tinypkg-1.0/dev", tarfile.CHRTYPE), b"")),
        SDIST,
        "device or fifo",
    ),
    # zip bombs (the limit is 1 MB here)
    "wheel expanding past the limit": (
        lambda: wheel_with(("tinypkg/zeros", bytes(2 * MIB))),
        WHEEL,
        "expands to more than 1 MB",
    ),
    "sdist expanding past the limit": (
        lambda: sdist_with((entry("tinypkg-1.0/zeros"), bytes(2 * MIB))),
        SDIST,
        "expands to more than 1 MB",
    ),
    "sdist hiding its bulk after the tar": (
        lambda: sdist_with(padding=2 * MIB),
        SDIST,
        "expands to more than 1 MB",
    ),
    "zip lying about its sizes": (
        lambda: understated_sizes(wheel_with(("tinypkg/zeros", bytes(2 * MIB))), 100),
        WHEEL,
        "not a valid zip",
    ),
    # plugins
    "invalid manifest": (
        lambda: plugin_wheel(with_plugin(connector="Hello")),
        HELLO,
        "plugins.0.connector",
    ),
    "manifest that is not JSON": (lambda: plugin_wheel(b"{"), HELLO, "is not JSON"),
    "manifest without plugins": (
        lambda: plugin_wheel({"manifest_version": 1, "plugins": []}),
        HELLO,
        "plugins: List should have at least 1 item",
    ),
    "manifest missing an entry point": (
        lambda: plugin_wheel(MANIFEST, two_plugin_groups()),
        HELLO,
        "does not describe the writer 'sink'",
    ),
    "manifest describing a plugin without entry point": (
        lambda: plugin_wheel(with_plugin(connector="other"), PLUGIN_ENTRY_POINTS),
        HELLO,
        "does not describe the reader 'hello'",
    ),
    "entry points in two packages": (
        lambda: plugin_wheel(MANIFEST, PLUGIN_ENTRY_POINTS + "x = other_pkg:X\n"),
        HELLO,
        "several packages",
    ),
    "manifest in another package": (
        manifest_in_another_package,
        HELLO,
        "carries no dativo_hello/dativo-plugin.json",
    ),
    "executable not in the wheel": (
        lambda: plugin_wheel(with_plugin(language="go", executable="bin/hello")),
        HELLO,
        "holds no dativo_hello/bin/hello",
    ),
    "executable outside the package": (
        lambda: plugin_wheel(with_plugin(language="go", executable="../x")),
        HELLO,
        "names the executable '../x'",
    ),
    "sdist plugin without manifest": (
        sdist_plugin_without_manifest,
        "dativo_hello-1.0.tar.gz",
        "carries no dativo_hello/dativo-plugin.json",
    ),
}


@pytest.mark.filterwarnings("ignore:Duplicate name")  # zipfile, writing the duplicate case
@pytest.mark.parametrize(("make", "filename", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_refused(tmp_path: Path, make: Callable[[], bytes], filename: str, reason: str) -> None:
    with pytest.raises(UploadRefused) as refused:
        inspect(tmp_path, make(), filename)
    assert reason in refused.value.message


def test_a_plugin_wheel_without_manifest_built_by_pip(tmp_path: Path, built: BuiltDists) -> None:
    path = built.plugin_without_manifest
    with pytest.raises(UploadRefused, match=r"writer 'sink'.*dativo-plugin\.json"):
        inspect(tmp_path, path.read_bytes(), path.name)


def test_an_ordinary_distribution_with_other_entry_points_is_accepted(tmp_path: Path) -> None:
    data = wheel_bytes("tinypkg", "1.0", entry_points="[console_scripts]\ntiny = tinypkg:main\n")
    assert inspect(tmp_path, data, WHEEL).entry_point_groups == frozenset({"console_scripts"})
