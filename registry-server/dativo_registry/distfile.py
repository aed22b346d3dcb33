"""Inspect an uploaded distribution before anything is published.

A wheel or sdist is read in memory, never extracted to disk: every member's
path is checked (no absolute paths, no ``..``, no links pointing outside),
every member is read through once, so a corrupt archive is refused now rather
than at install time, and the expanded size is counted twice — the sizes the
archive declares, and the bytes it actually produces — because a zip bomb can
lie about the first. Only the few small members the registry needs (the core
metadata, entry points, ``pyproject.toml`` of an sdist, plugin manifests) are
kept.

A distribution that declares ``dativo.readers`` or ``dativo.writers`` entry
points must carry ``dativo-plugin.json`` in the package its entry points live
in (as :mod:`dativo_pkg.discovery` finds it), valid and describing exactly
those entry points; any other distribution is an ordinary dependency.
"""

from __future__ import annotations

import configparser
import email.parser
import email.policy
import gzip
import io
import json
import posixpath
import re
import stat
import tarfile
import tomllib
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from packaging.utils import (
    InvalidName,
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version
from pydantic import ValidationError

from dativo_pkg.manifest import MANIFEST_FILENAME, Manifest
from dativo_pkg.sdk import format_validation_error
from dativo_registry.config import Settings
from dativo_registry.errors import UploadRefused

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["PLUGIN_GROUPS", "DistInfo", "PackageType", "inspect_distribution"]

PackageType = Literal["bdist_wheel", "sdist"]

#: Entry-point groups that make a distribution a Dativo plugin.
PLUGIN_GROUPS = ("dativo.readers", "dativo.writers")
_KIND_OF_GROUP = {"dativo.readers": "reader", "dativo.writers": "writer"}

MIB = 1 << 20
_CHUNK = 1 << 20
#: The members kept in memory (metadata, entry points, manifests) may not exceed this in total.
MAX_KEPT_BYTES = 32 * MIB

_SINGLE_USE = (
    "Metadata-Version",
    "Name",
    "Version",
    "Summary",
    "Description",
    "Description-Content-Type",
    "Keywords",
    "Home-page",
    "Download-URL",
    "Author",
    "Author-email",
    "Maintainer",
    "Maintainer-email",
    "License",
    "License-Expression",
    "Requires-Python",
)
_MULTIPLE_USE = (
    "Dynamic",
    "Platform",
    "Supported-Platform",
    "Classifier",
    "Requires-Dist",
    "Requires-External",
    "Project-URL",
    "Provides-Extra",
    "Provides-Dist",
    "Obsoletes-Dist",
    "License-File",
    "Import-Name",
    "Import-Namespace",
    "Requires",
    "Provides",
    "Obsoletes",
)
#: Core metadata fields that may appear several times (always lists in ``metadata_fields``).
MULTIPLE_USE_FIELDS = frozenset(name.lower() for name in _MULTIPLE_USE)
#: The spelling of every known field, so ``metadata_fields`` keys do not depend on case.
_FIELD_SPELLING = {name.lower(): name for name in (*_SINGLE_USE, *_MULTIPLE_USE)}


@dataclass(frozen=True)
class DistInfo:
    """What the registry learned from inside an uploaded distribution."""

    name: str
    normalized_name: str
    version: str
    packagetype: PackageType
    #: The wheel's Python tag (``py3``, ``cp311.cp312``) or ``source`` for an sdist.
    python_version: str
    requires_python: str | None
    summary: str | None
    #: The core metadata file (``METADATA`` or ``PKG-INFO``) byte for byte (PEP 658).
    metadata_bytes: bytes
    #: Core metadata fields by their spec spelling; multiple-use fields are lists.
    metadata_fields: dict[str, str | list[str]]
    entry_point_groups: frozenset[str]
    #: The validated ``dativo-plugin.json`` (JSON form) when the distribution is a plugin.
    manifest: dict[str, Any] | None


def inspect_distribution(path: Path, filename: str, settings: Settings) -> DistInfo:
    """Read and check the distribution at ``path`` uploaded as ``filename``.

    Raises UploadRefused naming the problem and what to do about it.
    """
    packagetype, announced_name, announced_version, python_version = _parse_filename(filename)
    archive = _read_archive(path, filename, settings.max_expanded_bytes)
    layout = _wheel_layout if packagetype == "bdist_wheel" else _sdist_layout
    metadata_path, entry_points, find_manifest = layout(archive, filename)

    metadata_bytes = archive.kept[metadata_path]
    fields = _parse_metadata(metadata_bytes, metadata_path)
    name, version = _name_and_version(fields, metadata_path)
    if canonicalize_name(name) != announced_name:
        raise UploadRefused(
            f"{filename} is named {announced_name!r} but its {metadata_path} says Name: {name}: "
            "rebuild the distribution so that the filename and the metadata agree"
        )
    if Version(version) != announced_version:
        raise UploadRefused(
            f"{filename} has version {announced_version} but its {metadata_path} says "
            f"Version: {version}: rebuild the distribution so that the filename and "
            "the metadata agree"
        )
    if packagetype == "bdist_wheel":
        _check_dist_info_name(metadata_path, announced_name, filename)
    manifest = _plugin_manifest(entry_points, find_manifest, archive, filename)
    return DistInfo(
        name=name,
        normalized_name=announced_name,
        version=version,
        packagetype=packagetype,
        python_version=python_version,
        requires_python=_single(fields, "Requires-Python"),
        summary=_single(fields, "Summary"),
        metadata_bytes=metadata_bytes,
        metadata_fields=fields,
        entry_point_groups=frozenset(entry_points),
        manifest=manifest,
    )


# --- the filename -------------------------------------------------------------------------

_UNSAFE_FILENAME = re.compile(r"[/\\\x00-\x1f]|^\.")


def _parse_filename(filename: str) -> tuple[PackageType, str, Version, str]:
    """Package type, normalized name, version and Python tag that ``filename`` announces."""
    if _UNSAFE_FILENAME.search(filename):
        raise UploadRefused(
            f"{filename!r} is not a distribution filename: upload the file under its own "
            "name, as built (no directories, no leading dot)"
        )
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
            python_tag = filename.removesuffix(".whl").split("-")[-3]
            return "bdist_wheel", name, version, python_tag
        name, version = parse_sdist_filename(filename)
        raw_name = filename.removesuffix(".zip").removesuffix(".tar.gz").rpartition("-")[0]
        canonicalize_name(raw_name, validate=True)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidName, InvalidVersion) as exc:
        raise UploadRefused(
            f"{filename!r} is not a valid distribution filename ({exc}): upload a wheel "
            "(name-version-pytag-abitag-platform.whl) or an sdist (name-version.tar.gz "
            "or .zip) exactly as your build tool named it"
        ) from exc
    return "sdist", name, version, "source"


# --- reading archives ---------------------------------------------------------------------


@dataclass
class _Archive:
    """The member paths of an archive (normalized) and the few members kept in memory."""

    names: set[str] = field(default_factory=set)
    kept: dict[str, bytes] = field(default_factory=dict)
    kept_bytes: int = 0


def _worth_keeping(name: str) -> bool:
    """Members the registry reads: core metadata, entry points, pyproject, manifests."""
    parts = name.split("/")
    base = parts[-1]
    if base == MANIFEST_FILENAME:
        return True
    if base in ("METADATA", "PKG-INFO", "pyproject.toml"):
        return len(parts) == 2
    return base == "entry_points.txt" and len(parts) <= 4


class _Budget:
    """Counts an archive's expanded size, declared and actual, against the limit."""

    def __init__(self, filename: str, limit: int) -> None:
        self.filename = filename
        self.limit = limit
        self.declared = 0
        self.actual = 0

    def declare(self, size: int) -> None:
        self.declared += size
        if self.declared > self.limit:
            raise self._refusal()

    def spend(self, size: int) -> None:
        self.actual += size
        if self.actual > self.limit:
            raise self._refusal()

    def _refusal(self) -> UploadRefused:
        return UploadRefused(
            f"{self.filename} expands to more than {_mb(self.limit)} when unpacked, the "
            "registry's limit (zip bomb protection): if the distribution is genuine, ask "
            "the registry operator to raise --max-expanded-mb"
        )


def _mb(size: int) -> str:
    return f"{size / MIB:g} MB"


def _read_archive(path: Path, filename: str, limit: int) -> _Archive:
    budget = _Budget(filename, limit)
    if filename.endswith(".tar.gz"):
        return _read_tar_gz(path, filename, budget)
    return _read_zip(path, filename, budget)


def _read_zip(path: Path, filename: str, budget: _Budget) -> _Archive:
    """Check and read every member of a zip (a wheel or a .zip sdist)."""
    archive = _Archive()
    try:
        with zipfile.ZipFile(path) as zf:
            members = [(info, _safe_member_name(info.filename, filename)) for info in zf.infolist()]
            for info, name in members:
                if name in archive.names:
                    raise UploadRefused(
                        f"{filename} holds {info.filename!r} twice: rebuild it (a zip with "
                        "duplicate members installs differently with different tools)"
                    )
                archive.names.add(name)
                budget.declare(info.file_size)
            for info, name in members:
                if not info.is_dir():
                    _read_zip_member(zf, info, name, archive, budget, filename)
    # NotImplementedError: unknown compression; RuntimeError: encrypted member.
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        raise _corrupt(filename, "zip archive", exc) from exc
    return archive


def _read_zip_member(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    name: str,
    archive: _Archive,
    budget: _Budget,
    filename: str,
) -> None:
    is_link = stat.S_ISLNK(info.external_attr >> 16)
    keep = _worth_keeping(name)
    with zf.open(info) as stream:
        data = _read_member(stream, name, archive, budget, filename, keep=keep or is_link)
    if is_link:
        _check_link_target(name, data.decode("utf-8", "replace"), filename)
    if keep:
        archive.kept[name] = data


def _read_tar_gz(path: Path, filename: str, budget: _Budget) -> _Archive:
    """Check and read every member of a gzip-compressed tar (an sdist), as one stream.

    The gzip layer is read through a counter, so decompressed bytes count
    whatever the tar headers declare; the stream is read to its end so the
    gzip checksum is verified.
    """
    archive = _Archive()
    try:
        with path.open("rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
            counted = _CountingReader(unzipped, budget)
            with tarfile.open(fileobj=counted, mode="r|") as tar:
                for member in tar:
                    _check_tar_member(tar, member, archive, budget, filename)
            while counted.read(_CHUNK):
                pass
    except (tarfile.TarError, zlib.error, EOFError, OSError, ValueError) as exc:
        raise _corrupt(filename, "gzip-compressed tar archive", exc) from exc
    return archive


def _check_tar_member(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    archive: _Archive,
    budget: _Budget,
    filename: str,
) -> None:
    name = _safe_member_name(member.name, filename)
    archive.names.add(name)
    if member.issym():
        _check_link_target(name, member.linkname, filename)
    elif member.islnk():
        _safe_member_name(member.linkname, filename)
    elif member.isfile():
        budget.declare(member.size)
        stream = tar.extractfile(member)
        if stream is not None and _worth_keeping(name):
            archive.kept[name] = _read_member(stream, name, archive, None, filename, keep=True)
    elif not member.isdir():
        raise UploadRefused(
            f"{filename} holds {member.name!r}, a device or fifo: an sdist may hold only "
            "files, directories and links; rebuild it"
        )


class _CountingReader(io.RawIOBase):
    """A read-only stream that spends every byte it returns from the budget."""

    def __init__(self, stream: IO[bytes] | gzip.GzipFile, budget: _Budget) -> None:
        super().__init__()
        self._stream = stream
        self._budget = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer).cast("B")
        data = self._stream.read(len(view))
        self._budget.spend(len(data))
        view[: len(data)] = data
        return len(data)


def _read_member(
    stream: IO[bytes],
    name: str,
    archive: _Archive,
    budget: _Budget | None,
    filename: str,
    *,
    keep: bool,
) -> bytes:
    """Read one member to its end, which verifies its checksum; return its data if ``keep``.

    ``budget`` counts the bytes read, unless the caller counts them at a lower
    layer. What is kept counts against MAX_KEPT_BYTES as it is read.
    """
    parts: list[bytes] = []
    while chunk := stream.read(_CHUNK):
        if budget is not None:
            budget.spend(len(chunk))
        if keep:
            archive.kept_bytes += len(chunk)
            if archive.kept_bytes > MAX_KEPT_BYTES:
                raise UploadRefused(
                    f"{filename}: its metadata, entry points and manifests are larger than "
                    f"{_mb(MAX_KEPT_BYTES)} in total ({name} among them): shrink them"
                )
            parts.append(chunk)
    return b"".join(parts)


_DRIVE = re.compile(r"^[A-Za-z]:")


def _safe_member_name(raw: str, filename: str) -> str:
    """The member path, normalized (``a/./b/`` -> ``a/b``); refuse paths that escape."""
    path = raw.replace("\\", "/")
    parts = path.split("/")
    if "\x00" in raw or path.startswith("/") or _DRIVE.match(path):
        raise UploadRefused(
            f"{filename} holds a member with an absolute path ({raw!r}): every member "
            "must be relative to the archive root; rebuild it"
        )
    if ".." in parts:
        raise UploadRefused(
            f"{filename} holds a member whose path climbs out of the archive ({raw!r}, "
            "with '..'): rebuild it without such paths"
        )
    return "/".join(part for part in parts if part not in ("", "."))


def _check_link_target(name: str, target: str, filename: str) -> None:
    """A symbolic link must point inside the archive."""
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
    if target.startswith("/") or resolved == ".." or resolved.startswith("../"):
        raise UploadRefused(
            f"{filename} holds a link {name!r} pointing outside the archive ({target!r}): "
            "rebuild it without such links"
        )


def _corrupt(filename: str, what: str, exc: BaseException) -> UploadRefused:
    return UploadRefused(
        f"{filename} is not a valid {what} ({type(exc).__name__}: {exc}): the file is "
        "corrupt or truncated; rebuild it and upload it again"
    )


# --- layouts: where the metadata, entry points and manifest are --------------------------

#: Entry points: group -> entry-point name -> value (``module:attr [extras]``).
EntryPoints = dict[str, dict[str, str]]
#: Finds the manifest in the package ``top_level``: (member path, bytes) or None.
ManifestFinder = Callable[[str], tuple[str, bytes] | None]


def _wheel_layout(archive: _Archive, filename: str) -> tuple[str, EntryPoints, ManifestFinder]:
    """A wheel has one ``<name>-<version>.dist-info`` directory holding METADATA."""
    dist_infos = sorted(
        {n.split("/")[0] for n in archive.names if n.split("/")[0].endswith(".dist-info")}
    )
    if len(dist_infos) != 1:
        found = ", ".join(dist_infos) or "none"
        raise UploadRefused(
            f"{filename} must hold exactly one .dist-info directory (found: {found}): "
            "rebuild the wheel with a standard build tool"
        )
    dist_info = dist_infos[0]
    metadata = f"{dist_info}/METADATA"
    if metadata not in archive.kept:
        raise UploadRefused(
            f"{filename} has no {metadata}: a wheel must carry its core metadata; "
            "rebuild it with a standard build tool"
        )
    raw_entry_points = archive.kept.get(f"{dist_info}/entry_points.txt")
    entry_points = (
        _parse_entry_points(raw_entry_points, f"{dist_info}/entry_points.txt", filename)
        if raw_entry_points is not None
        else {}
    )

    def find_manifest(top_level: str) -> tuple[str, bytes] | None:
        path = f"{top_level}/{MANIFEST_FILENAME}"
        return (path, archive.kept[path]) if path in archive.kept else None

    return metadata, entry_points, find_manifest


def _check_dist_info_name(metadata_path: str, name: str, filename: str) -> None:
    """pip refuses a wheel whose ``.dist-info`` directory names another project."""
    dist_info = metadata_path.split("/")[0]
    if canonicalize_name(dist_info.removesuffix(".dist-info").rpartition("-")[0]) != name:
        raise UploadRefused(
            f"{filename} holds {dist_info}, which is named for another project: rebuild "
            "the wheel so that the .dist-info directory matches the filename"
        )


def _sdist_layout(archive: _Archive, filename: str) -> tuple[str, EntryPoints, ManifestFinder]:
    """An sdist has one top directory holding PKG-INFO.

    Entry points come from ``pyproject.toml`` (``[project.entry-points]``) and
    from a setuptools ``*.egg-info/entry_points.txt``; the manifest is looked
    for at ``.../<package>/dativo-plugin.json`` (``src/`` and other layouts).
    """
    metadata_paths = sorted(n for n in archive.kept if n.endswith("/PKG-INFO"))
    if len(metadata_paths) != 1:
        problem = "no top-level PKG-INFO" if not metadata_paths else "several top directories"
        raise UploadRefused(
            f"{filename} has {problem}: an sdist holds one directory <name>-<version>/ "
            "with PKG-INFO in it; rebuild it with a standard build tool"
        )
    top = metadata_paths[0].split("/")[0]
    entry_points: EntryPoints = {}
    egg_info = sorted(
        (
            n
            for n in archive.kept
            if n.startswith(f"{top}/") and n.endswith(".egg-info/entry_points.txt")
        ),
        key=lambda n: n.count("/"),
    )
    if egg_info:
        entry_points = _parse_entry_points(archive.kept[egg_info[0]], egg_info[0], filename)
    pyproject = archive.kept.get(f"{top}/pyproject.toml")
    if pyproject is not None:
        for group, entries in _pyproject_entry_points(pyproject, filename).items():
            entry_points.setdefault(group, {}).update(entries)

    def find_manifest(top_level: str) -> tuple[str, bytes] | None:
        suffix = f"/{top_level}/{MANIFEST_FILENAME}"
        paths = sorted(
            (n for n in archive.kept if n.startswith(f"{top}/") and n.endswith(suffix)),
            key=lambda n: n.count("/"),
        )
        return (paths[0], archive.kept[paths[0]]) if paths else None

    return metadata_paths[0], entry_points, find_manifest


class _CaseSensitiveParser(configparser.ConfigParser):
    def optionxform(self, optionstr: str) -> str:
        return optionstr


def _parse_entry_points(data: bytes, where: str, filename: str) -> EntryPoints:
    parser = _CaseSensitiveParser(delimiters=("=",), interpolation=None, strict=False)
    try:
        parser.read_string(data.decode("utf-8"), source=where)
    except (UnicodeDecodeError, configparser.Error) as exc:
        raise UploadRefused(
            f"{filename}: {where} does not parse ({exc}): rebuild the distribution"
        ) from exc
    return {group: dict(parser.items(group)) for group in parser.sections()}


def _pyproject_entry_points(data: bytes, filename: str) -> EntryPoints:
    """Static entry points of an sdist's ``pyproject.toml`` (console scripts included)."""
    try:
        project = tomllib.loads(data.decode("utf-8")).get("project", {})
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UploadRefused(
            f"{filename}: pyproject.toml does not parse ({exc}): fix it and rebuild"
        ) from exc
    tables: dict[str, Any] = {}
    if isinstance(project, dict):
        groups = project.get("entry-points", {})
        tables = dict(groups) if isinstance(groups, dict) else {}
        tables["console_scripts"] = project.get("scripts", {})
        tables["gui_scripts"] = project.get("gui-scripts", {})
    return {
        group: {str(k): v for k, v in entries.items() if isinstance(v, str)}
        for group, entries in tables.items()
        if isinstance(entries, dict) and entries
    }


# --- core metadata ------------------------------------------------------------------------


def _parse_metadata(data: bytes, where: str) -> dict[str, str | list[str]]:
    """Core metadata (RFC 822 style) as field -> value; multiple-use fields are lists."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UploadRefused(
            f"{where} is not UTF-8 ({exc}): core metadata must be UTF-8; rebuild"
        ) from exc
    message = email.parser.Parser(policy=email.policy.compat32).parsestr(text)
    fields: dict[str, str | list[str]] = {}
    for key, value in message.items():
        spelling = _FIELD_SPELLING.get(key.lower(), key)
        if key.lower() in MULTIPLE_USE_FIELDS:
            values = fields.setdefault(spelling, [])
            assert isinstance(values, list)
            values.append(str(value))
        else:
            fields.setdefault(spelling, str(value))
    body = message.get_payload()
    if isinstance(body, str) and body.strip():
        fields["Description"] = body
    return fields


def _single(fields: dict[str, str | list[str]], key: str) -> str | None:
    value = fields.get(key)
    return value.strip() or None if isinstance(value, str) else None


def _name_and_version(fields: dict[str, str | list[str]], where: str) -> tuple[str, str]:
    name, version = _single(fields, "Name"), _single(fields, "Version")
    if name is None or version is None:
        missing = "Name" if name is None else "Version"
        raise UploadRefused(f"{where} has no {missing} field: rebuild the distribution")
    try:
        canonicalize_name(name, validate=True)
        Version(version)
    except (InvalidName, InvalidVersion) as exc:
        raise UploadRefused(
            f"{where}: {exc}: names follow PEP 508 and versions PEP 440; fix and rebuild"
        ) from exc
    return name, version


# --- the plugin manifest ------------------------------------------------------------------


def _plugin_entry_points(entry_points: EntryPoints) -> Iterator[tuple[str, str, str]]:
    """(kind, connector, value) of every reader and writer entry point."""
    for group in PLUGIN_GROUPS:
        for connector, value in entry_points.get(group, {}).items():
            yield _KIND_OF_GROUP[group], connector, value


def _plugin_manifest(
    entry_points: EntryPoints, find_manifest: ManifestFinder, archive: _Archive, filename: str
) -> dict[str, Any] | None:
    """The validated manifest of a plugin distribution; None for an ordinary one."""
    plugins = sorted(_plugin_entry_points(entry_points))
    if not plugins:
        return None
    top_levels = sorted({value.split(":")[0].split(".")[0].strip() for _, _, value in plugins})
    if len(top_levels) != 1:
        raise UploadRefused(
            f"{filename} declares reader/writer entry points in several packages "
            f"({', '.join(top_levels)}): put them in one package, next to its "
            f"{MANIFEST_FILENAME}"
        )
    found = find_manifest(top_levels[0])
    declared = ", ".join(f"{kind} {connector!r}" for kind, connector, _ in plugins)
    if found is None:
        raise UploadRefused(
            f"{filename} declares dativo.readers/dativo.writers entry points ({declared}) "
            f"but carries no {top_levels[0]}/{MANIFEST_FILENAME}: a plugin distribution "
            "must ship its manifest inside the package its entry points live in "
            "(`dativo-pkg manifest-schema` prints the schema)"
        )
    path, data = found
    manifest = _validate_manifest(path, data, filename)
    described = {(spec.kind, spec.connector) for spec in manifest.plugins}
    entry = {(kind, connector) for kind, connector, _ in plugins}
    if undescribed := sorted(entry - described):
        kind, connector = undescribed[0]
        raise UploadRefused(
            f"{filename}: {path} does not describe the {kind} {connector!r} its entry points "
            "declare: add it to the manifest"
        )
    if orphans := sorted(described - entry):
        kind, connector = orphans[0]
        raise UploadRefused(
            f"{filename}: {path} describes a {kind} {connector!r} but no entry point declares "
            "it: add the entry point or remove it from the manifest"
        )
    if filename.endswith(".whl"):
        _check_executables(manifest, path, archive, filename)
    return manifest.model_dump(mode="json")


def _validate_manifest(path: str, data: bytes, filename: str) -> Manifest:
    try:
        return Manifest.model_validate(json.loads(data))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UploadRefused(
            f"{filename}: {path} is not JSON ({exc}): fix the manifest and rebuild"
        ) from exc
    except ValidationError as exc:
        raise UploadRefused(
            f"{filename}: invalid plugin manifest {path}: {format_validation_error(exc)}: "
            "fix the manifest (`dativo-pkg manifest-schema` prints its schema) and rebuild"
        ) from exc


def _check_executables(manifest: Manifest, path: str, archive: _Archive, filename: str) -> None:
    """An executable plugin's program must be in the wheel, inside its package."""
    package = posixpath.dirname(path)
    for spec in manifest.plugins:
        if spec.executable is None:
            continue
        target = posixpath.normpath(posixpath.join(package, spec.executable))
        if not target.startswith(f"{package}/") or target not in archive.names:
            raise UploadRefused(
                f"{filename}: {path} names the executable {spec.executable!r} for the "
                f"{spec.kind} {spec.connector!r}, but the wheel holds no {target}: "
                "build the executable into the package before building the wheel"
            )
