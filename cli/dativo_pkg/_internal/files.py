"""Atomic publication of output files: all of them appear, or none.

Two shapes of output:

* a single file: written to a hidden temporary file beside it, synced, then
  renamed over the target in one step (``StagedFile``);
* a directory of files (partitioned or appended part files): written under a
  hidden staging directory inside the target, then moved into place
  (``StagedDirectory``). Moving several files is not one step, so before the
  first move the staging directory gets a ``_COMMITTING`` marker; a commit
  interrupted half-way is rolled forward by ``recover_directory`` (or by the
  next ``StagedDirectory`` opened on the same target), and a staging directory
  without the marker is an uncommitted write and is deleted.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = [
    "STAGING_PREFIX",
    "StagedDirectory",
    "StagedFile",
    "fsync_dir",
    "recover_directory",
    "sha256_file",
    "write_atomically",
]

STAGING_PREFIX = ".dativo-staging-"
COMMIT_MARKER = "_COMMITTING"


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class StagedFile:
    """A file that replaces ``target`` atomically on commit."""

    def __init__(self, target: Path) -> None:
        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        self.temp = target.parent / f".{target.name}{self._TEMP_INFIX}{uuid.uuid4().hex[:12]}"

    _TEMP_INFIX = ".dativo-tmp-"

    @classmethod
    def remove_stale(cls, target: Path) -> None:
        """Delete temporary files left beside ``target`` by writes that died before commit."""
        for stale in target.parent.glob(f".{glob.escape(target.name)}{cls._TEMP_INFIX}*"):
            stale.unlink(missing_ok=True)

    def commit(self) -> None:
        fsync_file(self.temp)
        os.replace(self.temp, self.target)
        fsync_dir(self.target.parent)

    def abort(self) -> None:
        self.temp.unlink(missing_ok=True)


def write_atomically(target: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``target`` with ``data`` in one step (created with ``mode``); OSError on failure."""
    staged = StagedFile(target)
    try:
        fd = os.open(staged.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        staged.commit()
    except OSError:
        staged.abort()
        raise


class StagedDirectory:
    """Files written under a staging directory, moved into ``target`` on commit."""

    def __init__(self, target: Path, commit_id: str) -> None:
        self.target = target
        target.mkdir(parents=True, exist_ok=True)
        recover_directory(target)
        self.staging = target / f"{STAGING_PREFIX}{commit_id}"
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir()

    def path(self, relative: str) -> Path:
        """Where to write the file that will be published as ``target/relative``."""
        path = self.staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def files(self) -> list[Path]:
        """The staged files, relative to the staging directory."""
        return sorted(_staged_files(self.staging))

    def commit(self) -> list[Path]:
        """Publish every staged file; return their final paths."""
        for rel in self.files():
            fsync_file(self.staging / rel)
        marker = self.staging / COMMIT_MARKER
        marker.touch()
        fsync_file(marker)
        fsync_dir(self.staging)
        return _roll_forward(self.target, self.staging)

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def recover_directory(
    target: Path, committed: Callable[[str], bool] | None = None, commit_id: str | None = None
) -> bool:
    """Finish interrupted commits and drop uncommitted writes under ``target``.

    Returns whether ``commit_id`` (if given) is now durable: its staged commit
    was rolled forward, or ``committed(commit_id)`` says its files are there.
    """
    durable = False
    if target.is_dir():
        for staging in target.glob(f"{STAGING_PREFIX}*"):
            cid = staging.name.removeprefix(STAGING_PREFIX)
            if (staging / COMMIT_MARKER).exists():
                _roll_forward(target, staging)
                durable = durable or cid == commit_id
            else:
                shutil.rmtree(staging, ignore_errors=True)
    if commit_id is not None and not durable and committed is not None:
        durable = committed(commit_id)
    return durable


def _staged_files(staging: Path) -> Iterator[Path]:
    for path in staging.rglob("*"):
        if path.is_file() and path.name != COMMIT_MARKER:
            yield path.relative_to(staging)


def _roll_forward(target: Path, staging: Path) -> list[Path]:
    published = []
    for rel in sorted(_staged_files(staging)):
        final = target / rel
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / rel, final)
        published.append(final)
    for directory in {final.parent for final in published}:
        fsync_dir(directory)
    shutil.rmtree(staging)
    fsync_dir(target)
    return published
