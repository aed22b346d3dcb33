"""Writing a static index directory: all of it appears, replacing the previous export, or nothing.

:class:`StaticIndexWriter` stages every file in a hidden directory next to
OUT (``.OUT.tmp-*``), then :meth:`~StaticIndexWriter.commit` signs
``index.json`` last (once every plugin file's digest is known), makes every
staged file durable (one ``sync``, not an ``fsync`` per file) and swaps the
staged directory in by renames: OUT moves to ``.OUT.previous-*``, the staged
directory becomes OUT, the previous one is deleted. An export that
fails leaves OUT as it was. A crash between the two renames leaves OUT
missing and the previous export beside it, which the next export puts back
before it starts. Exports of one OUT are serialized by a lock file
``.OUT.lock``.

Versions grow: an export writes the version of the export in OUT plus one, or
the version asked for, which must be higher than that.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, Any, Self

from cryptography.hazmat.primitives.asymmetric import ed25519

from dativo_index.static_index.canonical import canonical_json, sha256_hex
from dativo_index.static_index.document import (
    INDEX_TYPE,
    PLUGIN_TYPE,
    SPEC_VERSION,
    IndexEntry,
    detail_path,
    iso_z,
    key_entry,
    sign_index,
)
from dativo_index.static_index.errors import ExportError
from dativo_index.static_index.keys import key_id
from dativo_pkg._internal.files import fsync_dir

__all__ = ["ExportError", "ExportSummary", "StaticIndexWriter", "previous_version"]


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote."""

    out: Path
    version: int
    expires: dt.datetime
    plugins: int
    files: int
    key_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "version": self.version,
            "expires": iso_z(self.expires),
            "plugins": self.plugins,
            "files": self.files,
            "key_id": self.key_id,
        }


def previous_version(out: Path) -> int:
    """The version of the export in ``out`` (0 if there is none); ExportError if unreadable."""
    index = out / "index.json"
    if not index.exists():
        if out.is_dir() and any(out.iterdir()):
            raise ExportError(
                f"{out} is not empty and holds no index.json: not replacing it "
                "(give an empty or new directory, or a previous export)"
            )
        return 0
    try:
        version = json.loads(index.read_bytes())["signed"]["version"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ExportError(
            f"cannot read the version of the export in {index}: {exc}; "
            "pass --version N (higher than any version clients may have seen)"
        ) from exc
    if not isinstance(version, int) or version < 0:
        raise ExportError(f"{index} has no valid version; pass --version N")
    return version


class StaticIndexWriter:
    """Stage an export of OUT; ``commit()`` signs and publishes it, leaving the block aborts."""

    def __init__(
        self,
        out: Path,
        key: ed25519.Ed25519PrivateKey,
        *,
        registry: str,
        expires_in: dt.timedelta,
        version: int | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        self.out = out.absolute()
        self.key = key
        self.registry = registry
        self.now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        self.expires = self.now + expires_in
        self._requested = version
        self.version = 0
        self._entries: dict[str, IndexEntry] = {}
        self._files = 0
        self._lock: IO[bytes] | None = None
        self._staging: Path | None = None
        self._directories: set[Path] = set()

    def __enter__(self) -> Self:
        parent = self.out.parent
        parent.mkdir(parents=True, exist_ok=True)
        self._lock = open(parent / f".{self.out.name}.lock", "a+b")
        fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX)
        try:
            self._recover()
            previous = previous_version(self.out)
            if self._requested is not None and self._requested <= previous:
                raise ExportError(
                    f"--version {self._requested} is not higher than version {previous} "
                    f"of the export in {self.out}: clients would refuse it as a rollback"
                )
            self.version = self._requested if self._requested is not None else previous + 1
            self._staging = parent / f".{self.out.name}.tmp-{uuid.uuid4().hex[:12]}"
            self._staging.mkdir()
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        self._unlock()

    def add_plugin(self, entry: dict[str, Any], detail: dict[str, Any]) -> None:
        """Write ``plugins/{normalized}.json`` and list ``entry`` (a card) with its digest."""
        normalized = str(entry.get("normalized", ""))
        try:
            relative = detail_path(normalized)
        except ValueError as exc:
            raise ExportError(f"cannot export plugin {entry.get('name')!r}: {exc}") from exc
        document = {"_type": PLUGIN_TYPE, "spec_version": SPEC_VERSION, **detail}
        data = canonical_json(document)
        self._write(relative, data)
        listed = {**entry, "detail": relative, "sha256": sha256_hex(data), "size": len(data)}
        self._entries[normalized] = IndexEntry.model_validate(listed)

    def add_file(self, relative: str, data: bytes) -> None:
        """Write another file (a page, an asset) at ``relative`` inside OUT."""
        path = PurePosixPath(relative)
        if path.is_absolute() or ".." in path.parts or not path.parts or relative == "index.json":
            raise ExportError(f"refusing to write {relative!r} into the export")
        self._write(relative, data)

    def commit(self) -> ExportSummary:
        """Sign and write ``index.json``, then replace OUT with the staged export."""
        staging = self._require_staging()
        public = self.key.public_key()
        signed = {
            "_type": INDEX_TYPE,
            "spec_version": SPEC_VERSION,
            "version": self.version,
            "expires": iso_z(self.expires),
            "generated": iso_z(self.now),
            "registry": self.registry,
            "keys": key_entry(public),
            "plugins": [
                entry.model_dump(mode="json") for _, entry in sorted(self._entries.items())
            ],
        }
        envelope = sign_index(signed, self.key)
        self._write("index.json", canonical_json(envelope) + b"\n")
        os.sync()  # every staged file and directory durable before the swap
        backup = self.out.parent / f".{self.out.name}.previous-{uuid.uuid4().hex[:12]}"
        if self.out.exists():
            os.rename(self.out, backup)
        os.rename(staging, self.out)
        self._staging = None
        fsync_dir(self.out.parent)
        shutil.rmtree(backup, ignore_errors=True)
        return ExportSummary(
            self.out, self.version, self.expires, len(self._entries), self._files, key_id(public)
        )

    def _write(self, relative: str, data: bytes) -> None:
        path = self._require_staging() / relative
        if path.parent not in self._directories:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._directories.add(path.parent)
        path.write_bytes(data)  # made durable all at once by commit()
        self._files += 1

    def _require_staging(self) -> Path:
        if self._staging is None:
            raise ExportError("the export is not open (use it as a context manager, once)")
        return self._staging

    def _recover(self) -> None:
        """Put back an export a crash left aside; drop staged exports of dead runs."""
        parent, name = self.out.parent, self.out.name
        for backup in sorted(parent.glob(f".{name}.previous-*")):
            if self.out.exists():
                shutil.rmtree(backup, ignore_errors=True)
            else:
                os.rename(backup, self.out)
        for stale in parent.glob(f".{name}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing releases the flock
            self._lock = None
