"""The blob store: uploaded files on disk, named by their SHA-256.

An upload is first *staged*: streamed into ``<root>/tmp/`` while its digest
and size are computed, and refused as soon as it passes the size limit. Only
then is it *published*: synced, and renamed to ``<root>/ab/cd/abcd...``, its
content address. Publishing before the database commit is safe: a blob that
no file row names is invisible (and may be garbage-collected), while a row
never names a blob that is not complete and durable. Two uploads of the same
bytes publish the same path; the rename is atomic, so readers see the old
complete file or the new identical one, never a partial one.

Several server processes may share one store (a shared filesystem): nothing
here holds state outside the files themselves.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from dativo_registry.config import MIB
from dativo_registry.errors import NotFound, UploadRefused

__all__ = ["BlobStore", "StagedBlob"]

log = logging.getLogger(__name__)

_SHA256 = re.compile(r"[0-9a-f]{64}")


class StagedBlob:
    """An upload written to a temporary file, not yet visible under its digest.

    Use it as a context manager to discard it on any exit that did not
    publish it (``discard`` after ``publish`` is a no-op).
    """

    def __init__(self, store: BlobStore, path: Path, sha256: str, size: int) -> None:
        self.store = store
        self.path = path
        self.sha256 = sha256
        self.size = size
        self._published = False

    def publish(self) -> None:
        """Make the blob durable under its content address; a no-op if that exists already.

        The file is synced here rather than while staging, so a refused upload
        costs no sync. Then the rename, then the directory, so the rename
        itself survives a power loss.
        """
        if self._published:
            return
        target = self.store.blob_path(self.sha256)
        if target.exists():
            self.discard()
        else:
            _fsync_file(self.path)
            _make_dirs_durably(target.parent, self.store.root)
            os.replace(self.path, target)
            _fsync_dir(target.parent)
        self._published = True

    def discard(self) -> None:
        """Delete the temporary file (nothing to do once published)."""
        if not self._published:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> StagedBlob:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.discard()


class BlobStore:
    """Content-addressed files under ``root``; ``root/tmp`` holds uploads in progress."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def stage(self, chunks: Iterable[bytes], max_bytes: int) -> StagedBlob:
        """Write ``chunks`` to a temporary file; refuse them once past ``max_bytes``."""
        path = self.tmp / secrets.token_hex(16)
        digest = hashlib.sha256()
        size = 0
        try:
            with path.open("xb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise UploadRefused(
                            f"file is larger than the limit of {_megabytes(max_bytes)} MB"
                        )
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return StagedBlob(self, path, digest.hexdigest(), size)

    def put_bytes(self, data: bytes) -> str:
        """Store ``data`` durably (e.g. a PEP 658 metadata file) and return its SHA-256."""
        staged = self.stage([data], max_bytes=len(data))
        staged.publish()
        return staged.sha256

    def blob_path(self, sha256: str) -> Path:
        """Where the blob with this digest lives, whether or not it exists."""
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def path(self, sha256: str) -> Path:
        """The path of an existing blob; NotFound if there is none.

        Anything but 64 lowercase hex digits is NotFound too, so a digest taken
        from a URL can never name a path outside the store.
        """
        if _SHA256.fullmatch(sha256):
            path = self.blob_path(sha256)
            if path.is_file():
                return path
        raise NotFound(f"no file with sha256 {sha256}")

    def remove_stale_temps(self, older_than_seconds: float) -> int:
        """Delete temporary files older than that (left by a killed process); return how many.

        Pick an age longer than any upload can take: a temporary file of an
        upload still in progress (in any process sharing the store) must stay.
        """
        cutoff = time.time() - older_than_seconds
        removed = 0
        for path in self.tmp.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # another process removed or published it meanwhile
                continue
        if removed:
            log.info("removed %d stale temporary upload file(s) from %s", removed, self.tmp)
        return removed


def _megabytes(n: int) -> str:
    return f"{n / MIB:g}"


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_dirs_durably(directory: Path, root: Path) -> None:
    """Create ``directory`` (under ``root``) and sync each parent that gained an entry."""
    missing = []
    while not directory.is_dir() and directory != root:
        missing.append(directory)
        directory = directory.parent
    for new in reversed(missing):
        new.mkdir(exist_ok=True)
        _fsync_dir(new.parent)
