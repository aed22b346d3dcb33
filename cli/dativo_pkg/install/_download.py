"""Download a file into the install's temporary directory, checking its digest.

The sha256 is computed while streaming and compared with the one the index
(or the lockfile) names; a mismatch, or a size other than the one announced,
is refused and the partial file removed. Each file is downloaded once per
install: the verified local copy is what gets installed.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from dativo_pkg.install._errors import DigestMismatch
from dativo_pkg.install._index import Fetcher, IndexFile

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

__all__ = ["Downloader"]

log = logging.getLogger(__name__)

CHUNK = 1 << 16


class Downloader:
    """Downloads files into ``directory`` once each; a rich progress bar on a terminal."""

    def __init__(self, fetcher: Fetcher, directory: Path, *, progress: bool = False) -> None:
        self.fetcher = fetcher
        self.directory = directory
        self._done: dict[str, tuple[Path, str]] = {}
        self._stack = ExitStack()
        self._progress: Progress | None = _progress_bar() if progress else None
        if self._progress is not None:
            self._stack.enter_context(self._progress)

    def __enter__(self) -> Downloader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stack.close()

    def fetch(self, file: IndexFile, expected_sha256: str | None = None) -> tuple[Path, str]:
        """The local path and sha256 of ``file``, downloaded now or earlier in this install.

        ``expected_sha256`` (a locked digest) is checked as well as the index's.
        """
        if file.filename not in self._done:
            self._done[file.filename] = self._download(file)
        path, sha256 = self._done[file.filename]
        for source, expected in (("the index", file.sha256), ("the lockfile", expected_sha256)):
            if expected is not None and expected.lower() != sha256:
                raise DigestMismatch(
                    f"{file.filename}: sha256 {sha256} differs from {expected.lower()} "
                    f"named by {source}",
                    hint="the file changed after it was published (a compromised or broken "
                    "index, or a tampered connection); nothing was installed",
                )
        return path, sha256

    def _download(self, file: IndexFile) -> tuple[Path, str]:
        target = self.directory / file.filename
        digest = hashlib.sha256()
        size = 0
        log.info("downloading %s", file.url)
        try:
            with self.fetcher.stream(file.url) as response, target.open("wb") as out:
                task = self._start(file, response.headers.get("content-length"))
                for chunk in response.iter_bytes(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                    self._advance(task, len(chunk))
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        if file.size is not None and size != file.size:
            target.unlink(missing_ok=True)
            raise DigestMismatch(
                f"{file.filename}: downloaded {size} bytes, the index announced {file.size}",
                hint="the file changed after it was published, or the download was cut; "
                "nothing was installed",
            )
        return target, digest.hexdigest()

    def _start(self, file: IndexFile, length: str | None) -> TaskID | None:
        if self._progress is None:
            return None
        total = int(length) if length and length.isdigit() else file.size
        return self._progress.add_task(file.filename, total=total)

    def _advance(self, task: TaskID | None, amount: int) -> None:
        if self._progress is not None and task is not None:
            self._progress.advance(task, amount)


def _progress_bar() -> Progress | None:
    """A transient download bar on stderr, when stderr is a terminal (rich loads only then)."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TransferSpeedColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
